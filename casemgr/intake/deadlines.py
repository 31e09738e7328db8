"""The deadlines stored on an intake report: computed once at intake from the dated rules in
force that day, and computed again for the reports still waiting when a rule version or a day
off that could move them is added or removed (the same moments rules.deadlines refreshes the
cases' deadlines), in the same transaction as that change."""

from __future__ import annotations

import datetime as dt

from flask import has_app_context
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from casemgr.extensions import db
from casemgr.intake.models import IntakeReport, IntakeStatus
from casemgr.org.models import Unit
from casemgr.rules import deadline
from casemgr.rules.models import DatedRule, DayOff

# rule key -> the column of the report that stores its due moment
RULES = {"child.emergency_action": "emergency_due_at", "child.plan_draft": "plan_due_at"}
_PENDING = "casemgr.intake.deadlines.pending"


def due_moments(received_at: dt.datetime, unit_path: str) -> dict[str, dt.datetime]:
    """The report's due moments, by column (NoRuleInForce if no version covers the day)."""
    return {
        column: deadline(key, received_at, unit_path=unit_path) for key, column in RULES.items()
    }


def refresh_waiting() -> int:
    """Recompute the stored deadlines of every report still waiting; return how many moved."""
    rows = db.session.execute(
        select(IntakeReport.id, IntakeReport.received_at, Unit.path, *_columns())
        .join(Unit, Unit.id == IntakeReport.unit_id)
        .where(IntakeReport.status == IntakeStatus.RECEIVED)
    )
    moved = 0
    for row in rows.all():
        due = due_moments(row.received_at, row.path)
        if any(getattr(row, column) != value for column, value in due.items()):
            # A plain UPDATE: the version (a user's decision in progress) is left alone.
            db.session.execute(
                update(IntakeReport.__table__)
                .where(IntakeReport.__table__.c.id == row.id)
                .values(**due)
            )
            moved += 1
    return moved


def _columns():
    return [getattr(IntakeReport, column) for column in RULES.values()]


def _touches(obj: object) -> bool:
    return isinstance(obj, DayOff) or (isinstance(obj, DatedRule) and obj.key in RULES)


@event.listens_for(Session, "after_flush")
def _note_calendar_changes(session: Session, flush_context) -> None:
    if any(_touches(obj) for obj in (*session.new, *session.deleted)):
        session.info[_PENDING] = True


@event.listens_for(Session, "after_flush_postexec")
def _refresh_after_flush(session: Session, flush_context) -> None:
    if not session.info.pop(_PENDING, False):
        return
    if has_app_context() and session is db.session():
        refresh_waiting()
