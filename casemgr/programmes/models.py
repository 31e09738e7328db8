"""Intervention models and the facts their results are counted from: enrolments, activities,
monitoring visits; and the yearly targets those results are compared with."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.db import Base, BigId, UTCDateTime, intpk, str200, timestamp, utcnow, value_enum
from casemgr.org.models import Area, Unit
from casemgr.reference.models import TargetGroup


class Indicator(enum.StrEnum):
    """What a yearly target counts; every actual is computed from stored facts."""

    PERSONS_ENROLLED = "persons_enrolled"  # distinct persons newly enrolled in the year
    PERSONS_ASSISTED = "persons_assisted"  # distinct enrolled persons given a service in the year
    COMMUNITY_SESSIONS = "community_sessions"  # community sessions held
    SESSION_PARTICIPANTS = "session_participants"  # attendance summed over those sessions
    STAFF_TRAINED = "staff_trained"  # participants summed over training courses
    MONITORING_VISITS = "monitoring_visits"  # monitoring / inspection visits made


class ActivityKind(enum.StrEnum):
    """Activities a model runs; both are counted, never named."""

    COMMUNITY_SESSION = "community_session"
    STAFF_TRAINING = "staff_training"


class Finding(enum.StrEnum):
    """The overall finding of a monitoring or inspection visit."""

    SATISFACTORY = "satisfactory"
    NEEDS_IMPROVEMENT = "needs_improvement"
    UNSATISFACTORY = "unsatisfactory"
    NOT_OPERATING = "not_operating"


class InterventionModel(Base):
    """A community-based intervention model run by a unit for one target group."""

    __tablename__ = "intervention_models"
    __table_args__ = (
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates_in_order"),
    )

    id: Mapped[intpk]
    name: Mapped[str200]
    group_code: Mapped[str] = mapped_column(ForeignKey("target_groups.code"), index=True)
    unit_id: Mapped[int] = mapped_column(BigId, ForeignKey("units.id"), index=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[timestamp]
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    group: Mapped[TargetGroup] = relationship(lazy="joined")
    unit: Mapped[Unit] = relationship(lazy="joined")
    areas: Mapped[list[Area]] = relationship(
        secondary="intervention_model_areas", order_by="Area.code", lazy="selectin"
    )

    def runs_in(self, year: int) -> bool:
        """Whether the model runs on any day of the year."""
        return self.starts_on.year <= year and (self.ends_on is None or self.ends_on.year >= year)

    def __repr__(self) -> str:
        return f"<InterventionModel {self.id}>"


class InterventionModelArea(Base):
    """An area (province or commune) a model serves."""

    __tablename__ = "intervention_model_areas"

    model_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("intervention_models.id"), primary_key=True
    )
    area_id: Mapped[int] = mapped_column(BigId, ForeignKey("areas.id"), primary_key=True)


class Enrolment(Base):
    """A case taking part in a model from one day until it leaves (a case may be in several)."""

    __tablename__ = "enrolments"
    __table_args__ = (
        CheckConstraint("left_on IS NULL OR left_on >= enrolled_on", name="dates_in_order"),
    )

    id: Mapped[intpk]
    model_id: Mapped[int] = mapped_column(BigId, ForeignKey("intervention_models.id"), index=True)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), index=True)
    enrolled_on: Mapped[dt.date] = mapped_column(Date)
    left_on: Mapped[dt.date | None] = mapped_column(Date)
    enrolled_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    left_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[timestamp]

    model: Mapped[InterventionModel] = relationship(lazy="joined")


class Activity(Base):
    """A community session or a training course for commune staff.

    Attendance is three counts by sex and nothing else: no names, no case or person links,
    so that the table can be published and exported without touching personal data.
    """

    __tablename__ = "programme_activities"
    __table_args__ = (
        CheckConstraint("men >= 0 AND women >= 0 AND unspecified >= 0", name="counts"),
        CheckConstraint("duration_minutes > 0", name="duration"),
    )

    id: Mapped[intpk]
    model_id: Mapped[int] = mapped_column(BigId, ForeignKey("intervention_models.id"), index=True)
    kind: Mapped[ActivityKind] = mapped_column(value_enum(ActivityKind, 30))
    held_on: Mapped[dt.date] = mapped_column(Date, index=True)
    area_id: Mapped[int] = mapped_column(BigId, ForeignKey("areas.id"))
    title: Mapped[str200]
    men: Mapped[int] = mapped_column(Integer, default=0)
    women: Mapped[int] = mapped_column(Integer, default=0)
    unspecified: Mapped[int] = mapped_column(Integer, default=0)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    recorded_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[timestamp]

    area: Mapped[Area] = relationship(lazy="joined")

    @property
    def participants(self) -> int:
        return self.men + self.women + self.unspecified


class MonitoringVisit(Base):
    """A monitoring or inspection visit to a unit running the model, with its finding code."""

    __tablename__ = "monitoring_visits"

    id: Mapped[intpk]
    model_id: Mapped[int] = mapped_column(BigId, ForeignKey("intervention_models.id"), index=True)
    visited_on: Mapped[dt.date] = mapped_column(Date, index=True)
    unit_id: Mapped[int] = mapped_column(BigId, ForeignKey("units.id"))
    finding: Mapped[Finding] = mapped_column(value_enum(Finding, 30))
    recorded_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[timestamp]

    unit: Mapped[Unit] = relationship(lazy="joined")


class YearlyTarget(Base):
    """The number a model aims to reach for one indicator in one year."""

    __tablename__ = "yearly_targets"
    __table_args__ = (
        UniqueConstraint("model_id", "year", "indicator"),
        CheckConstraint("target >= 0", name="not_negative"),
    )

    id: Mapped[intpk]
    model_id: Mapped[int] = mapped_column(BigId, ForeignKey("intervention_models.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    indicator: Mapped[Indicator] = mapped_column(value_enum(Indicator, 30))
    target: Mapped[int] = mapped_column(Integer)
    set_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
