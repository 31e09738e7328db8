"""Verbs: correct a record (a new version supersedes it) or void it, with a sealed reason.

One mechanism for every kind in the registry: the old row is never changed except for the
pointer to its successor or the void marks; the history keeps every version. Each change is a
case event ("corrected"/"voided", with the kind, the row and the field names as its code, and
the reason sealed) and an audit event naming fields, never values.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import class_mapper

from casemgr.audit import record as audit
from casemgr.auth.models import User
from casemgr.auth.roles import Action
from casemgr.cases.dates import CaseDateRefused, Since, case_start, check_case_date
from casemgr.cases.models import Case, CaseEventKind, CaseNote, PlanAction
from casemgr.cases.policy import CaseAccess
from casemgr.cases.services import record_event
from casemgr.clock import utcnow
from casemgr.corrections.columns import Correctable
from casemgr.corrections.registry import Kind, kind_of
from casemgr.extensions import db
from casemgr.groups.models import DrugProgramme, DrugTest
from casemgr.people.access import visible_persons_condition
from casemgr.people.models import Person
from casemgr.people.relations import Consent, Relative
from casemgr.support.models import ServiceDelivery, ServiceType
from casemgr.web.access import user_may

MAX_REASON = 2000
# Columns a new version never copies: its own identity, time and version links.
_OWN = {"id", "created_at", "voided_at", "voided_by_id", "void_reason_enc",
        "correction_reason_enc", "corrected_by_id", "replaces_id", "superseded_by_id"}  # fmt: skip


class CorrectionError(ValueError):
    """A correction or void the rules refuse; the code (str) names which, for the view."""


def may_correct(actor: User, access: CaseAccess | None) -> bool:
    """Whether the actor may correct or void: someone who may edit cases, and (for a case
    record) may write to that case. Auditors and administrators never may."""
    if not user_may(actor, Action.EDIT_CASES):
        return False
    return access is None or access.can_write


def _check(actor: User, record: Correctable, reason: str, access: CaseAccess | None) -> Kind:
    kind = kind_of(record)
    if not may_correct(actor, access if kind.on_case else None):
        raise CorrectionError("not allowed")
    if kind.on_case and access is None:
        raise CorrectionError("not allowed")
    if not kind.on_case and not _sees_person(actor, record.person_id):
        raise CorrectionError("not allowed")
    if not record.is_current:
        raise CorrectionError("not current")
    person = db.session.get(Person, record.encryption_person_id())
    if person is None or person.is_erased:  # nothing left to copy, no key to seal a reason
        raise CorrectionError("person erased")
    text = (reason or "").strip()
    if not text:
        raise CorrectionError("reason required")
    if len(text) > MAX_REASON:
        raise CorrectionError("reason too long")
    return kind


def _sees_person(actor: User, person_id: int) -> bool:
    """Whether the person is in the actor's scope (the person page's own condition)."""
    seen = select(Person.id).where(
        Person.id == person_id, visible_persons_condition(actor, narrow=True)
    )
    return db.session.scalar(seen) is not None


def _cases_of(record: Correctable) -> list[Case]:
    """The cases whose history records the change: the record's case, or all the person's."""
    case_id = getattr(record, "case_id", None)
    if case_id is not None:
        return [db.session.get(Case, case_id)]
    return list(
        db.session.scalars(select(Case).where(Case.person_id == record.person_id).order_by(Case.id))
    )


def _check_values(record: Correctable, values: dict[str, Any]) -> None:
    """The rules the original form's service applies, for the kinds that have any."""
    if isinstance(record, Consent) and values.get("relative_id") is not None:
        relative = db.session.get(Relative, values["relative_id"])
        if relative is None or relative.person_id != record.person_id or not relative.is_current:
            raise CorrectionError("relative of another person")
        if not relative.is_guardian:
            raise CorrectionError("not a guardian")
    if isinstance(record, Consent) and values.get("given_by") == "subject":
        values["relative_id"] = None
    if isinstance(record, ServiceDelivery) and values.get("service_type_id") is not None:
        service_type = db.session.get(ServiceType, values["service_type_id"])
        case = db.session.get(Case, record.case_id)
        if service_type is None or service_type.group_code != case.group_code:
            raise CorrectionError("service of another group")
    _check_dates(record, values)
    if isinstance(record, DrugTest):
        programme = db.session.get(DrugProgramme, record.programme_id)
        if values.get("tested_on") and values["tested_on"] < programme.registered_on:
            raise CorrectionError("before registration")


# The dated fields of the case records a correction may change, and what bounds them.
_CASE_DATES = {
    (CaseNote, "occurred_on"): Since.CASE,
    (ServiceDelivery, "delivered_on"): Since.CASE,
    (DrugTest, "tested_on"): Since.BIRTH,
}


def _check_dates(record: Correctable, values: dict[str, Any]) -> None:
    """A corrected date obeys the rule its form's service applies (cases.dates); a date left
    as it was is not judged again, so a record saved before the rule stays correctable."""
    for name, value in values.items():
        if value is None or value == getattr(record, name):
            continue
        since = _CASE_DATES.get((type(record), name))
        if since is not None:
            check_case_date(db.session.get(Case, record.case_id), value, name, since=since)
        if isinstance(record, PlanAction) and name == "due_on":  # a due date may lie ahead
            start = case_start(db.session.get(Case, record.case_id))
            if value < start.day:
                raise CaseDateRefused(name, start.bound, start.day)


def correct(
    actor: User,
    record: Correctable,
    new_values: dict[str, Any],
    reason: str,
    *,
    access: CaseAccess | None = None,
) -> Correctable:
    """Write a new version of `record` with `new_values`; the old one stays, superseded.
    Return the new version (or raise CorrectionError("nothing changed"))."""
    kind = _check(actor, record, reason, access)
    unknown = set(new_values) - set(kind.fields)
    if unknown:
        raise CorrectionError("not a correctable field")
    values = dict(new_values)
    _check_values(record, values)
    changed = sorted(name for name, value in values.items() if getattr(record, name) != value)
    if not changed:
        raise CorrectionError("nothing changed")
    model = type(record)
    encrypted = {f.column: name for name, f in model.__encrypted_fields__.items()}
    copied = {}
    for column in class_mapper(model).columns:
        if column.key in _OWN or column.key in encrypted:
            continue
        copied[column.key] = getattr(record, column.key)
    new = model(**copied)
    for column, name in encrypted.items():
        if column not in _OWN:
            setattr(new, name, getattr(record, name))  # re-sealed for the new row
    for name, value in values.items():
        setattr(new, name, value)
    new.replaces_id = record.id
    new.corrected_by_id = actor.id
    new.correction_reason = reason.strip()
    db.session.add(new)
    db.session.flush()
    record.superseded_by_id = new.id
    for case in _cases_of(record):
        record_event(
            actor, case, CaseEventKind.CORRECTED, access=access,
            code=f"{kind.name}:{new.id}:{','.join(changed)}", reason=reason,
        )  # fmt: skip
    db.session.flush()
    audit(
        "record.correct",
        actor=actor,
        object_type=kind.name,
        object_id=new.id,
        case_id=getattr(record, "case_id", None),
        fields=changed,
        is_break_glass=bool(access and access.is_break_glass),
    )
    return new


def void(
    actor: User, record: Correctable, reason: str, *, access: CaseAccess | None = None
) -> None:
    """Mark `record` voided (who, when, sealed reason); it stays, out of every list and count."""
    kind = _check(actor, record, reason, access)
    if isinstance(record, Relative):
        in_use = db.session.scalar(
            select(Consent.id).where(Consent.relative_id == record.id, Consent.current()).limit(1)
        )
        if in_use is not None:
            raise CorrectionError("relative gave a consent")
    record.voided_at = utcnow()
    record.voided_by_id = actor.id
    record.void_reason = reason.strip()
    for case in _cases_of(record):
        record_event(
            actor, case, CaseEventKind.VOIDED, access=access, code=f"{kind.name}:{record.id}",
            reason=reason,
        )  # fmt: skip
    db.session.flush()
    audit(
        "record.void",
        actor=actor,
        object_type=kind.name,
        object_id=record.id,
        case_id=getattr(record, "case_id", None),
        fields=["voided_at", "void_reason"],
        is_break_glass=bool(access and access.is_break_glass),
    )


def versions(record: Correctable) -> list[Correctable]:
    """Every version of the record, newest first (the current or voided one leads)."""
    model = type(record)
    latest = record
    while latest.superseded_by_id is not None:
        latest = db.session.get(model, latest.superseded_by_id)
    chain = [latest]
    while chain[-1].replaces_id is not None:
        chain.append(db.session.get(model, chain[-1].replaces_id))
    return chain
