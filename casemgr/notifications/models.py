"""One notification: a recipient, a kind of event, a case; never any text or personal data."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.cases.models import Case
from casemgr.db import Base, BigId, UTCDateTime, intpk, timestamp, value_enum


class NotificationKind(enum.StrEnum):
    """What happened; the page says it in the reader's language with the case number only."""

    PLAN_APPROVED = "plan_approved"
    PLAN_RETURNED = "plan_returned"
    CLOSURE_APPROVED = "closure_approved"
    CLOSURE_DECLINED = "closure_declined"
    REFERRAL_ANSWERED = "referral_answered"
    TRANSFER_ACCEPTED = "transfer_accepted"
    TRANSFER_DECLINED = "transfer_declined"
    CASE_ASSIGNED = "case_assigned"
    CASE_REASSIGNED = "case_reassigned"
    BREAK_GLASS = "break_glass"
    DUE_TOMORROW = "due_tomorrow"
    OVERDUE = "overdue"


class Notification(Base):
    """Tells one user that an event of `kind` happened to a case; read once `read_at` is set."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_id_read_at", "user_id", "read_at"),
        # A reminder is sent once per deadline, kind and person (the daily duty may run again).
        UniqueConstraint("user_id", "kind", "deadline_id"),
    )

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    kind: Mapped[NotificationKind] = mapped_column(value_enum(NotificationKind, 30))
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), index=True)
    # Reminders only: the deadline they are about (None for every other kind).
    deadline_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("deadlines.id"))
    created_at: Mapped[timestamp]
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    case: Mapped[Case] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind}>"
