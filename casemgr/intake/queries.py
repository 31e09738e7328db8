"""Reads over intake reports: the office's queue, the loader that decides 404 vs 403, the
units a report can be filed for, and the counts the home pages show."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Select, func, select
from sqlalchemy import case as sql_case
from werkzeug.exceptions import Forbidden, NotFound

from casemgr.audit import record
from casemgr.auth.models import User
from casemgr.cases.models import Case
from casemgr.cases.queries import visible_cases
from casemgr.clock import today
from casemgr.collation import vietnamese
from casemgr.extensions import db
from casemgr.intake import policy
from casemgr.intake.models import IntakeReport, IntakeStatus
from casemgr.org.models import Unit, UnitKind


class Need(StrEnum):
    """What the caller is about to do with the report it loads."""

    READ = "read"
    DECIDE = "decide"


def unit_for_intake(code: str) -> Unit | None:
    """The commune office open today with this unit code, or None."""
    if not isinstance(code, str) or not 0 < len(code.strip()) <= 40:
        return None
    unit = db.session.scalar(select(Unit).where(Unit.code == code.strip().upper()))
    return unit if unit is not None and policy.takes_reports(unit, today()) else None


def receiving_units(user: User) -> list[Unit]:
    """The commune offices open today that the user may record reports for, by name."""
    reach = policy.reach(user)
    units = db.session.scalars(
        select(Unit)
        .where(Unit.kind == UnitKind.COMMUNE_OFFICE, reach.condition(Unit.id, Unit.path))
        .order_by(vietnamese(Unit.name), Unit.id)
    )
    day = today()
    return [unit for unit in units if policy.may_receive(user, unit) and unit.is_open_on(day)]


def visible_reports(user: User) -> Select:
    """Every report the user may read, as a select to refine."""
    return (
        select(IntakeReport)
        .join(Unit, Unit.id == IntakeReport.unit_id)
        .where(policy.reach(user).condition(Unit.id, Unit.path))
    )


def waiting(user: User) -> Select:
    """Reports waiting for a decision, the soonest emergency deadline first (the queue and
    the home pages read this one statement)."""
    return (
        visible_reports(user)
        .where(IntakeReport.status == IntakeStatus.RECEIVED)
        .order_by(IntakeReport.emergency_due_at, IntakeReport.id)
    )


def waiting_counts(user: User, now: dt.datetime) -> tuple[int, int]:
    """How many reports wait for a decision, and how many of them are past their emergency
    deadline (one statement; counts only, no report named)."""
    rows = waiting(user).order_by(None).subquery()
    late = func.coalesce(func.sum(sql_case((rows.c.emergency_due_at < now, 1), else_=0)), 0)
    waiting_count, late_count = db.session.execute(select(func.count(), late)).one()
    return waiting_count, int(late_count)


def past_deadline(user: User, now: dt.datetime, limit: int = 10) -> tuple[int, list[IntakeReport]]:
    """How many waiting reports are past their emergency deadline, and the `limit` most late
    (the overdue page lists them beside the cases' deadlines); the read is audited."""
    count = waiting_counts(user, now)[1]
    record("intake.list", actor=user, object_type="intake_report", reason="overdue tasks")
    if not count:
        return 0, []
    late = waiting(user).where(IntakeReport.emergency_due_at < now)
    return count, list(db.session.scalars(late.limit(limit)))


def decided(user: User) -> Select:
    """Reports accepted or dismissed, the latest decision first."""
    return (
        visible_reports(user)
        .where(IntakeReport.status != IntakeStatus.RECEIVED)
        .order_by(IntakeReport.decided_at.desc(), IntakeReport.id.desc())
    )


def queue(user: User, *, decided_only: bool = False) -> Select:
    """The office queue (waiting, or decided); the read is audited: it lists reports."""
    record("intake.list", actor=user, object_type="intake_report", reason="intake queue")
    return decided(user) if decided_only else waiting(user)


def load_report(user: User, report_id: int, need: Need = Need.READ) -> IntakeReport:
    """Load a report: 404 outside the user's reach, 403 when seen but not decidable; every
    outcome audited like a read of case content."""
    report = db.session.get(IntakeReport, report_id)
    if report is None or not policy.may_read(user, report):
        record(
            "intake.view",
            actor=user,
            object_type="intake_report",
            object_id=report_id,
            outcome="denied",
            reason="out of scope",
        )
        raise NotFound()
    if need == Need.DECIDE and not policy.may_decide(user, report):
        record(
            "intake.view",
            actor=user,
            object_type="intake_report",
            object_id=report.id,
            case_id=report.case_id,
            outcome="denied",
            reason="read only",
        )
        raise Forbidden()
    record(
        "intake.view",
        actor=user,
        object_type="intake_report",
        object_id=report.id,
        case_id=report.case_id,
    )
    return report


def visible_case_by_number(user: User, number: str) -> Case | None:
    """An open case the user may see, by its exact number (to link a report to it)."""
    cleaned = (number or "").strip().upper()
    if not cleaned or len(cleaned) > 40:
        return None
    return db.session.scalar(visible_cases(user, narrow=True).where(Case.number == cleaned))


def reports_of_case(case_id: int) -> list[IntakeReport]:
    """The reports accepted into the case (it was opened from them, or they were linked to it)."""
    return list(
        db.session.scalars(
            select(IntakeReport)
            .where(IntakeReport.case_id == case_id)
            .order_by(IntakeReport.received_at, IntakeReport.id)
        )
    )
