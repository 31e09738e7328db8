"""The intake report: who reported what about which child, for which commune office, when,
and what the office decided; the deadlines the dated rules set from the moment of intake."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.auth.models import User
from casemgr.crypto import sealedtext
from casemgr.db import Base, BigId, UTCDateTime, intpk, timestamp, value_enum
from casemgr.org.models import Unit


class IntakeSource(enum.StrEnum):
    """The channel a report came in by (labels are translated in the UI)."""

    HOTLINE = "hotline"  # the child helpline 111, or another hotline
    PARTNER = "partner"  # a partner organisation: school, health facility, NGO, police
    WALK_IN = "walk_in"  # someone came to the commune office
    PHONE = "phone"  # a call or message to the commune office itself


class IntakeStatus(enum.StrEnum):
    """Where a report stands: waiting in the commune's queue, or decided."""

    RECEIVED = "received"
    ACCEPTED = "accepted"  # a case was opened for it, or it was linked to an existing case
    DISMISSED = "dismissed"  # not a child at risk, or a duplicate: the reason is sealed


class IntakeSealedText(sealedtext.SealedText):
    """A sealed field of an intake report (no person is known yet to own a data key)."""

    purpose = "casemgr intake reports"


class IntakeReport(Base):
    """A report about a child at risk, received for one commune office.

    Everything said about the child, the place, the carers and the reporter is sealed; only
    the facts the queue sorts and counts by are plain: unit, channel, times, status, whether
    the reporter said the child is in danger now, and the stored deadlines (computed once at
    intake from the dated rules in force that day, rules.deadline).
    """

    __tablename__ = "intake_reports"
    __table_args__ = (UniqueConstraint("number"),)

    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(String(60))
    unit_id: Mapped[int] = mapped_column(BigId, ForeignKey("units.id"), index=True)
    source: Mapped[IntakeSource] = mapped_column(value_enum(IntakeSource, 20))
    status: Mapped[IntakeStatus] = mapped_column(
        value_enum(IntakeStatus, 20), default=IntakeStatus.RECEIVED, index=True
    )
    is_emergency: Mapped[bool] = mapped_column(default=False)
    # The reporter agreed that their name and contact be recorded (Decree 56/2017, form 01).
    reporter_consents: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    received_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    # The API token that filed it (None on the screen): a token reads back only its own reports.
    source_token_id: Mapped[int | None] = mapped_column(BigId, index=True)
    recorded_at: Mapped[timestamp]
    # Stored once at intake: emergency action within 12 hours, case plan within 5 working days.
    emergency_due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    plan_due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    case_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("cases.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    child_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    child_details_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    location_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    situation_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    carers_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    reporter_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    reporter_contact_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    dismissal_reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    child_name = IntakeSealedText("child_name_enc")
    child_details = IntakeSealedText("child_details_enc")
    location = IntakeSealedText("location_enc")
    situation = IntakeSealedText("situation_enc")
    carers = IntakeSealedText("carers_enc")
    reporter_name = IntakeSealedText("reporter_name_enc")
    reporter_contact = IntakeSealedText("reporter_contact_enc")
    dismissal_reason = IntakeSealedText("dismissal_reason_enc")

    unit: Mapped[Unit] = relationship(lazy="joined")
    received_by: Mapped[User] = relationship(foreign_keys=[received_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_open(self) -> bool:
        """Whether the report still waits for the office's decision."""
        return self.status == IntakeStatus.RECEIVED

    def __repr__(self) -> str:
        return f"<IntakeReport {self.id}>"


class IntakeNumberCounter(Base):
    """The last report number given by a unit in a year (numbers read TN-UNIT-YYYY-NNNN)."""

    __tablename__ = "intake_number_counters"

    unit_id: Mapped[int] = mapped_column(BigId, ForeignKey("units.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


SEALED_FIELDS = (
    "child_name", "child_details", "location", "situation", "carers", "reporter_name",
    "reporter_contact",
)  # fmt: skip
