"""Dated rules (durations and deadlines by the date they apply from), local days off, the
emergency actions that stop the 12-hour clock of a high-risk child case, and the stored
deadlines every list of "due" and "overdue" reads."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from casemgr.db import Base, BigId, UTCDateTime, intpk, timestamp, value_enum


class DurationUnit(enum.StrEnum):
    """The unit a rule's amount is counted in."""

    HOURS = "hours"
    DAYS = "days"  # calendar days
    WORKING_DAYS = "working_days"  # Viet Nam's working days (calendar.py)
    MONTHS = "months"
    YEARS = "years"


class DatedRule(Base):
    """One version of a rule: `amount` `unit` from `valid_from` until the next version starts.

    Versions are only ever added, never edited or deleted: a case keeps the rule of its time.
    """

    __tablename__ = "dated_rules"
    __table_args__ = (UniqueConstraint("key", "valid_from"),)

    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(80))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(Integer)
    unit: Mapped[DurationUnit] = mapped_column(value_enum(DurationUnit, 20))
    # The legal source, as a citation a supervisor can look up (never personal data).
    source: Mapped[str] = mapped_column(Text, default="")
    # Found in one weak source only: shown as "(check)" until someone verifies it.
    needs_check: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[timestamp]
    # None for the versions seeded at installation.
    created_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))

    def __repr__(self) -> str:
        return f"<DatedRule {self.key} {self.valid_from}: {self.amount} {self.unit}>"


class DayOff(Base):
    """A local exception to the national calendar, everywhere (no unit) or in a unit's subtree.

    Usually a day off (a provincial holiday, a bridge day); with `is_working_day` it is the
    opposite: a weekend day worked in exchange for a bridge day, as the government decides
    some years.
    """

    __tablename__ = "days_off"

    id: Mapped[intpk]
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    reason: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("units.id"))
    is_working_day: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[timestamp]
    created_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))


class EmergencyMeasure(enum.StrEnum):
    """What was done to protect the child (Decree 56/2017 Art. 25: emergency intervention)."""

    SEPARATED = "separated"  # separated from the person causing harm
    SAFE_PLACEMENT = "safe_placement"  # placed with a safe carer or in a shelter
    MEDICAL_CARE = "medical_care"
    POLICE = "police"  # handed to or protected by the police
    OTHER = "other"


class EmergencyAction(Base):
    """The emergency action taken on a case; its existence ends the 12-hour task.

    Only the measure and times are kept here (no free text, so nothing to encrypt): details
    belong in an encrypted case note.
    """

    __tablename__ = "emergency_actions"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), index=True)
    measure: Mapped[EmergencyMeasure] = mapped_column(value_enum(EmergencyMeasure, 30))
    taken_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    recorded_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    recorded_at: Mapped[timestamp]
    is_break_glass: Mapped[bool] = mapped_column(default=False)


class Deadline(Base):
    """One deadline of one case, computed once from the dated rule in force and Viet Nam's
    working-day calendar, and stored: the tasks, overdue, dashboard, caseload and report views
    all read these rows (casemgr/rules/deadlines.py keeps them up to date).

    `object_id` names the thing that is due (a plan action, a referral, ...), 0 for a deadline
    of the case itself. `due_at` is the moment it falls due (the end of the local day for a
    deadline counted in days); None when no version of its rule covers the case. A `lapses`
    deadline is a reminder that simply ends at `due_at` (a no-contact order running out): it
    is never overdue.
    """

    __tablename__ = "deadlines"
    __table_args__ = (
        UniqueConstraint("case_id", "kind", "object_id"),
        # Every "open", "overdue" and compliance count joins a case's deadlines and reads just
        # these columns: the index alone answers it, without a visit to each row.
        Index("ix_deadlines_case_id_state", "case_id", "kind", "due_at", "met_at", "lapses"),
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column(BigId, default=0)
    # No index of its own: "due before now" holds for most rows, and reads through an index on
    # it cost more than the pass over each case's deadlines (ix_deadlines_case_id_state).
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    due_on: Mapped[dt.date | None] = mapped_column(Date)  # the local date of due_at
    met_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    lapses: Mapped[bool] = mapped_column(default=False)

    def __repr__(self) -> str:
        return f"<Deadline {self.kind} case={self.case_id} due={self.due_at}>"
