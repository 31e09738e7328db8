"""Referrals to partner organisations: sent, accepted or declined, completed with an outcome."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Date, ForeignKey, Index, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.auth.models import User
from casemgr.crypto.fields import EncryptedField, EncryptedModel
from casemgr.db import Base, BigId, intpk, timestamp, value_enum
from casemgr.support.models.catalogue import ServiceType
from casemgr.support.models.points import ServicePoint


class ReferralStatus(enum.StrEnum):
    """Where a referral is in its loop; declined and completed close it."""

    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    COMPLETED = "completed"


OPEN_STATUSES = frozenset({ReferralStatus.SENT, ReferralStatus.ACCEPTED})


class Referral(EncryptedModel, Base):
    """A referral of a case's person to a partner for one service.

    Dates, status and the answer deadline are plain (lists sort overdue ones first in SQL;
    reports count by them). Every free text - the reason, the decline reason, the outcome and
    a consent override's justification - is sealed under the person's key.
    """

    __tablename__ = "referrals"
    __table_args__ = (Index("ix_referrals_status_answer_due_on", "status", "answer_due_on"),)

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), index=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"))
    partner_id: Mapped[int] = mapped_column(BigId, ForeignKey("service_points.id"), index=True)
    service_type_id: Mapped[int] = mapped_column(BigId, ForeignKey("service_types.id"))
    status: Mapped[ReferralStatus] = mapped_column(
        value_enum(ReferralStatus, 20), default=ReferralStatus.SENT
    )
    sent_on: Mapped[dt.date] = mapped_column(Date)
    # Fixed when sent, from the rule in force that day (a later rule does not move it).
    answer_due_on: Mapped[dt.date] = mapped_column(Date)
    answered_on: Mapped[dt.date | None] = mapped_column(Date)
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
    sent_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    # The partner has no account: a worker of the case records its answer on its behalf.
    answered_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    completed_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    consent_overridden: Mapped[bool] = mapped_column(default=False)
    override_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[timestamp]
    is_break_glass: Mapped[bool] = mapped_column(default=False)
    reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    decline_reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    outcome_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    override_reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    reason = EncryptedField("reason_enc")
    decline_reason = EncryptedField("decline_reason_enc")
    outcome = EncryptedField("outcome_enc")
    override_reason = EncryptedField("override_reason_enc")

    partner: Mapped[ServicePoint] = relationship(lazy="joined")
    service_type: Mapped[ServiceType] = relationship(lazy="joined")
    sent_by: Mapped[User] = relationship(foreign_keys=[sent_by_id], lazy="joined")

    @property
    def is_open(self) -> bool:
        """Whether the loop is still open (waiting for an answer or for the outcome)."""
        return self.status in OPEN_STATUSES

    def is_overdue(self, day: dt.date) -> bool:
        """Whether the partner has not answered and the answer deadline has passed on `day`."""
        return self.status == ReferralStatus.SENT and day > self.answer_due_on

    def __repr__(self) -> str:
        return f"<Referral {self.id}>"
