"""Verbs on group records: drug-programme enrolments, decisions, tests, completion, escalation;
no-contact order requests and decisions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from casemgr.audit import record
from casemgr.auth.models import User
from casemgr.cases.dates import Since, check_case_date
from casemgr.cases.models import Case
from casemgr.cases.policy import CaseAccess
from casemgr.cases.workflow import Status
from casemgr.extensions import db
from casemgr.groups import dates
from casemgr.groups.models import (
    DrugProgramme,
    DrugProgrammeKind,
    DrugTest,
    DrugTestResult,
    EscalationReason,
    NoContactDecision,
    NoContactOrder,
)
from casemgr.groups.policy import holds_drug_records, holds_no_contact_orders


class RecordError(ValueError):
    """A group record that breaks a rule; the code (str) names which, for the view to word."""


def _check_date(case: Case, day: dt.date | dt.datetime, field: str) -> None:
    # These records are decided by the commune or the police, and may come before the office
    # opened the case (a return from compulsory rehabilitation, an order requested at once):
    # never in the future, never before the person's birth (cases.dates).
    check_case_date(case, day, field, since=Since.BIRTH)


def _check(case: Case, access: CaseAccess, applies: Callable[[Case], bool]) -> None:
    if not access.can_write:
        raise RecordError("read only")
    if not applies(case):
        raise RecordError("not applicable")
    if case.status == Status.CLOSED:
        raise RecordError("case closed")


def _audit(
    action: str,
    actor: User,
    case: Case,
    access: CaseAccess,
    object_type: str,
    object_id: int,
    fields: Iterable[str] = (),
    reason: str | None = None,
) -> None:
    record(
        action,
        actor=actor,
        object_type=object_type,
        object_id=object_id,
        case_id=case.id,
        fields=fields,
        reason=reason,
        is_break_glass=access.is_break_glass,
    )


def _own(case: Case, item: DrugProgramme | NoContactOrder) -> None:
    if item.case_id != case.id:
        raise RecordError("not on this case")


# -- drug programme --------------------------------------------------------------------------


def register_programme(
    actor: User,
    case: Case,
    access: CaseAccess,
    *,
    kind: DrugProgrammeKind,
    registered_on: dt.date,
    note: str | None = None,
) -> DrugProgramme:
    """Record a registration (voluntary), a police notice (illegal use) or a return from
    compulsory rehabilitation (post-rehabilitation): the start of an enrolment."""
    _check(case, access, holds_drug_records)
    _check_date(case, registered_on, "registered_on")
    programme = DrugProgramme(
        case_id=case.id,
        person_id=case.person_id,
        kind=DrugProgrammeKind(kind),
        registered_on=registered_on,
        recorded_by_id=actor.id,
        is_break_glass=access.is_break_glass,
    )
    programme.note = note or None
    db.session.add(programme)
    db.session.flush()
    fields = ["kind", "registered_on", *(["note"] if note else [])]
    _audit("drugs.register", actor, case, access, "drug_programme", programme.id, fields)
    return programme


def record_decision(
    actor: User,
    case: Case,
    access: CaseAccess,
    programme: DrugProgramme,
    *,
    decision_on: dt.date,
    planned_months: int | None = None,
) -> DrugProgramme:
    """Record the commune chairperson's decision; a voluntary term must lie within the rules
    of the registration date (6-12 months), and defaults to the longest."""
    _check(case, access, holds_drug_records)
    _own(case, programme)
    if programme.decision_on is not None:
        raise RecordError("already decided")
    _check_date(case, decision_on, "decision_on")
    if decision_on < programme.registered_on:
        raise RecordError("before registration")
    if programme.kind == DrugProgrammeKind.VOLUNTARY_REHAB:
        term = dates.voluntary_term(programme.registered_on)
        planned_months = planned_months or term.max_months
        if not term.min_months <= planned_months <= term.max_months:
            raise RecordError("term out of range")
    elif planned_months is not None:
        raise RecordError("term fixed by law")
    programme.decision_on = decision_on
    programme.planned_months = planned_months
    db.session.flush()
    fields = ["decision_on", *(["planned_months"] if planned_months else [])]
    _audit("drugs.decision", actor, case, access, "drug_programme", programme.id, fields)
    return programme


def record_drug_test(
    actor: User,
    case: Case,
    access: CaseAccess,
    programme: DrugProgramme,
    *,
    tested_on: dt.date,
    result: DrugTestResult,
) -> DrugTest:
    """Record a drug test (date and result code) during an enrolment."""
    _check(case, access, holds_drug_records)
    _own(case, programme)
    _check_date(case, tested_on, "tested_on")
    if tested_on < programme.registered_on:
        raise RecordError("before registration")
    test = DrugTest(
        programme_id=programme.id,
        case_id=case.id,
        tested_on=tested_on,
        result=DrugTestResult(result),
        recorded_by_id=actor.id,
        is_break_glass=access.is_break_glass,
    )
    db.session.add(test)
    db.session.flush()
    db.session.refresh(programme, ["tests"])
    _audit("drugs.test", actor, case, access, "drug_test", test.id, ["tested_on", "result"])
    return test


def record_completion(
    actor: User,
    case: Case,
    access: CaseAccess,
    programme: DrugProgramme,
    *,
    completed_on: dt.date,
) -> DrugProgramme:
    """Record the completion certificate's date (only after a decision, never after an
    escalation)."""
    _check(case, access, holds_drug_records)
    _own(case, programme)
    if programme.decision_on is None:
        raise RecordError("no decision yet")
    if programme.escalated_on is not None or programme.completed_on is not None:
        raise RecordError("already ended")
    _check_date(case, completed_on, "completed_on")
    if completed_on < programme.decision_on:
        raise RecordError("before decision")
    programme.completed_on = completed_on
    db.session.flush()
    _audit("drugs.complete", actor, case, access, "drug_programme", programme.id, ["completed_on"])
    return programme


def record_escalation(
    actor: User,
    case: Case,
    access: CaseAccess,
    programme: DrugProgramme,
    *,
    escalated_on: dt.date,
    reason: EscalationReason,
) -> DrugProgramme:
    """Record the move to compulsory rehabilitation, with its reason code."""
    _check(case, access, holds_drug_records)
    _own(case, programme)
    if programme.escalated_on is not None or programme.completed_on is not None:
        raise RecordError("already ended")
    _check_date(case, escalated_on, "escalated_on")
    if escalated_on < programme.registered_on:
        raise RecordError("before registration")
    programme.escalated_on = escalated_on
    programme.escalation_reason = EscalationReason(reason)
    db.session.flush()
    _audit(
        "drugs.escalate",
        actor,
        case,
        access,
        "drug_programme",
        programme.id,
        ["escalated_on", "escalation_reason"],
        reason=str(programme.escalation_reason),
    )
    return programme


# -- no-contact orders -----------------------------------------------------------------------


def request_no_contact_order(
    actor: User,
    case: Case,
    access: CaseAccess,
    *,
    requested_at: dt.datetime,
    details: str,
) -> NoContactOrder:
    """Record a request for a no-contact order: the 12-hour decision clock starts at
    `requested_at`."""
    _check(case, access, holds_no_contact_orders)
    if requested_at.tzinfo is None:
        raise ValueError("requested_at must be aware")
    _check_date(case, requested_at, "requested_at")
    order = NoContactOrder(
        case_id=case.id,
        person_id=case.person_id,
        requested_at=requested_at,
        recorded_by_id=actor.id,
        is_break_glass=access.is_break_glass,
    )
    order.details = details
    db.session.add(order)
    db.session.flush()
    _audit(
        "no_contact.request",
        actor,
        case,
        access,
        "no_contact_order",
        order.id,
        ["requested_at", "details"],
    )
    return order


def decide_no_contact_order(
    actor: User,
    case: Case,
    access: CaseAccess,
    order: NoContactOrder,
    *,
    decision: NoContactDecision,
    decided_at: dt.datetime,
    valid_until: dt.datetime | None = None,
) -> NoContactOrder:
    """Record the chairperson's decision. A granted order runs from the decision for at most
    the validity of the rules (3 days); `valid_until` may end it sooner."""
    _check(case, access, holds_no_contact_orders)
    _own(case, order)
    if order.decision is not None:
        raise RecordError("already decided")
    if decided_at < order.requested_at:
        raise RecordError("before request")
    decision = NoContactDecision(decision)
    fields = ["decision", "decided_at"]
    if decision == NoContactDecision.GRANTED:
        longest = dates.no_contact_latest_end(order, decided_at)
        valid_until = valid_until or longest
        if not decided_at < valid_until <= longest:
            raise RecordError("validity out of range")
        # Checked before anything changes: a refused change must leave nothing to commit.
        order.valid_from, order.valid_until = decided_at, valid_until
        fields += ["valid_from", "valid_until"]
    order.decision = decision
    order.decided_at = decided_at
    order.decision_recorded_by_id = actor.id
    db.session.flush()
    _audit(
        "no_contact.decide",
        actor,
        case,
        access,
        "no_contact_order",
        order.id,
        fields,
        reason=str(decision),
    )
    return order
