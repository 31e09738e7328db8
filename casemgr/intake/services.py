"""Verbs on intake reports: receive a report, tell its status, accept it into a case, dismiss it.

Contract (the screens in intake/views.py and the JSON API call the same functions; they
flush and audit, and never commit: the caller commits at its edge):

    receive_report(data: ReportData, *, unit: Unit, source: IntakeSource, received_by: User,
                   source_token_id: int | None = None, channel: str | None = None)
        -> IntakeReport
        Record a report for a commune office. `data.received_at` (aware) is when the report
        came in (None: now); the stored deadlines run from it: `emergency_due_at` (rule
        "child.emergency_action", 12 hours) and `plan_due_at` ("child.plan_draft", 5 working
        days), under the rule versions in force on the local date of intake and the unit's
        days off. Raises IntakeInvalid (`.errors`: field name -> code, e.g. {"situation":
        "required"}; `field_messages(exc)` gives them in the request's language) before
        anything is written. Field names: the ReportData attributes, plus "unit" and
        "source". On the screen (source_token_id None) the user must be a social worker of
        the unit or a supervisor above it (IntakeDenied otherwise). With an API token
        (source_token_id given), the caller has checked the token's `intake` scope: any
        commune office open today may be named; the token's user is `received_by`.
        Audited as "intake.receive" (object intake_report, field names only, never values).

    report_status(number: str, *, source_token_id: int | None = None,
                  actor: User | None = None, channel: str | None = None)
        -> tuple[str, IntakeStatus]
        The report's number and status, and nothing else. With `source_token_id`: only a
        report filed by that token; with `actor`: a report in the actor's intake scope.
        Anything else (unknown number, another token's report, out of scope) raises
        IntakeNotFound (answer 404). Audited as "intake.status" (allowed or denied).

    unit_for_intake(code: str) -> Unit | None   (casemgr.intake.queries)
        The commune office open today with this unit code, or None.

    field_messages(exc: IntakeInvalid) -> dict[str, str]
        The refusal per field, translated in the current locale (English msgids).

ReportData fields (all optional in the type; the service checks them): situation and
location (required text), child_name, child_details, carers, reporter_name, reporter_contact
(text; the reporter's two only with reporter_consents=True), reporter_consents, is_emergency
(bools), received_at (aware datetime; more than 5 minutes ahead is refused, less counts as
now). Longest texts: MAX_LENGTHS. Error codes: the keys of FIELD_MESSAGES. ReportData,
IntakeSource ("hotline", "partner", "walk_in", "phone"), IntakeStatus ("received",
"accepted", "dismissed") and the errors are importable from here.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from sqlalchemy import select

from casemgr.audit import record
from casemgr.auth.models import User
from casemgr.cases import services as case_services
from casemgr.cases.models import Case, ProtectionLevel, RiskLevel
from casemgr.clock import local_date, utcnow
from casemgr.db import lock_latest, next_yearly_number
from casemgr.extensions import db
from casemgr.intake import deadlines, policy
from casemgr.intake.models import IntakeNumberCounter, IntakeReport, IntakeSource, IntakeStatus
from casemgr.intake.validation import (
    FIELD_MESSAGES,
    MAX_DISMISSAL_REASON,
    MAX_LENGTHS,
    MIN_DISMISSAL_REASON,
    IntakeDenied,
    IntakeError,
    IntakeInvalid,
    IntakeNotFound,
    ReportData,
    field_messages,
    validated,
)
from casemgr.org.models import Unit
from casemgr.people.models import Person
from casemgr.reference.models import SubGroup
from casemgr.rules import NoRuleInForce

__all__ = [
    "FIELD_MESSAGES",
    "MAX_LENGTHS",
    "IntakeDenied",
    "IntakeError",
    "IntakeInvalid",
    "IntakeNotFound",
    "IntakeSource",
    "IntakeStatus",
    "ReportData",
    "accept_into_new_case",
    "dismiss_report",
    "field_messages",
    "link_to_case",
    "receive_report",
    "report_status",
]

# The target group a report about a child at risk belongs to (the only one it may join).
CHILD_GROUP = "child"


def _deadlines(received_at: dt.datetime, unit: Unit) -> dict[str, dt.datetime]:
    try:
        return deadlines.due_moments(received_at, unit.path)
    except NoRuleInForce:
        raise IntakeInvalid({"received_at": "no rule in force"}) from None


def next_report_number(unit: Unit, year: int) -> str:
    """The unit's next report number for the year, e.g. TN-C01-2026-0007 (safe when two
    reports arrive at once)."""
    last = next_yearly_number(IntakeNumberCounter, unit.id, year)
    return f"TN-{unit.code}-{year}-{last:04d}"


def _audit(action: str, actor: User | None, report: IntakeReport, **kwargs) -> None:
    record(
        action,
        actor=actor,
        object_type="intake_report",
        object_id=report.id,
        case_id=report.case_id,
        **kwargs,
    )


def receive_report(
    data: ReportData,
    *,
    unit: Unit,
    source: IntakeSource,
    received_by: User,
    source_token_id: int | None = None,
    channel: str | None = None,
) -> IntakeReport:
    """Record a report received for a commune office, with its deadlines from intake."""
    if source_token_id is None and not policy.may_receive(received_by, unit):
        raise IntakeDenied("not your unit")
    values, received_at = validated(data, unit, source)
    due = _deadlines(received_at, unit)
    report = IntakeReport(
        number=next_report_number(unit, local_date(received_at).year),
        unit_id=unit.id,
        source=IntakeSource(source),
        status=IntakeStatus.RECEIVED,
        is_emergency=bool(data.is_emergency),
        reporter_consents=bool(data.reporter_consents),
        received_at=received_at,
        received_by_id=received_by.id,
        source_token_id=source_token_id,
        **due,
    )
    db.session.add(report)
    db.session.flush()  # the sealed values are bound to the row id
    for name, value in values.items():
        setattr(report, name, value)
    db.session.flush()
    _audit(
        "intake.receive",
        received_by,
        report,
        fields=[name for name, value in values.items() if value],
        channel=channel,
    )
    return report


def report_status(
    number: str,
    *,
    source_token_id: int | None = None,
    actor: User | None = None,
    channel: str | None = None,
) -> tuple[str, IntakeStatus]:
    """The number and status of a report the caller filed (token) or may see (actor)."""
    if (source_token_id is None) == (actor is None):
        raise TypeError("give exactly one of source_token_id and actor")
    cleaned = number.strip().upper() if isinstance(number, str) else ""
    report = (
        db.session.scalar(select(IntakeReport).where(IntakeReport.number == cleaned))
        if 0 < len(cleaned) <= 60
        else None
    )
    allowed = report is not None and (
        report.source_token_id == source_token_id
        if source_token_id is not None
        else policy.may_read(actor, report)
    )
    if not allowed:
        record(
            "intake.status",
            actor=actor,
            object_type="intake_report",
            outcome="denied",
            reason="unknown report number",
            channel=channel,
        )
        raise IntakeNotFound("not found")
    _audit("intake.status", actor, report, channel=channel)
    return report.number, report.status


def _decide(actor: User, report: IntakeReport, expected_version: int) -> None:
    if not policy.may_decide(actor, report):
        raise IntakeDenied("not allowed")
    lock_latest(report)  # the version compared is the one a decision would overwrite
    if report.version != expected_version:
        raise IntakeError("stale")
    if not report.is_open:
        raise IntakeError("already decided")


def _decided(actor: User, report: IntakeReport, status: IntakeStatus) -> None:
    report.status = status
    report.decided_at = utcnow()
    report.decided_by_id = actor.id


def accept_into_new_case(
    actor: User,
    report: IntakeReport,
    *,
    expected_version: int,
    person: Person,
    group_code: str,
    sub_groups: list[SubGroup],
    protection_level: ProtectionLevel,
    risk_level: RiskLevel,
    summary: str | None,
) -> Case:
    """Accept the report by opening a case for `person` in the report's unit, opened at the
    moment of intake (so the case's 12-hour and plan clocks run from the report)."""
    _decide(actor, report, expected_version)
    try:
        case = case_services.open_case(
            actor,
            person=person,
            group_code=group_code,
            sub_groups=sub_groups,
            protection_level=protection_level,
            risk_level=risk_level,
            unit=report.unit,
            summary=summary,
            opened_at=report.received_at,
        )
    except case_services.CaseError as exc:
        raise IntakeError(str(exc)) from None
    _decided(actor, report, IntakeStatus.ACCEPTED)
    report.case_id = case.id
    db.session.flush()
    _audit("intake.accept", actor, report, reason="new case")
    return case


def link_to_case(
    actor: User, report: IntakeReport, *, expected_version: int, case: Case
) -> IntakeReport:
    """Accept the report as news about an existing open case the actor may change (the
    caller loads the case through cases.queries, so its scope and audit apply)."""
    _decide(actor, report, expected_version)
    if case.status == "closed":
        raise IntakeError("case closed")
    if case.group_code != CHILD_GROUP:  # a report is about a child at risk
        raise IntakeError("not a child case")
    _decided(actor, report, IntakeStatus.ACCEPTED)
    report.case_id = case.id
    db.session.flush()
    _audit("intake.accept", actor, report, reason="linked case")
    return report


def dismiss_report(
    actor: User, report: IntakeReport, *, expected_version: int, reason: str | None
) -> IntakeReport:
    """Dismiss the report (not a child at risk, a duplicate, ...) with a sealed reason."""
    text = unicodedata.normalize("NFC", reason or "").strip()
    if len(text) < MIN_DISMISSAL_REASON:
        raise IntakeInvalid({"reason": "reason too short"})
    if len(text) > MAX_DISMISSAL_REASON:
        raise IntakeInvalid({"reason": "too long"})
    _decide(actor, report, expected_version)
    _decided(actor, report, IntakeStatus.DISMISSED)
    report.dismissal_reason = text
    db.session.flush()
    _audit("intake.dismiss", actor, report, fields=["dismissal_reason"])
    return report
