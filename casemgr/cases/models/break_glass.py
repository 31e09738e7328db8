"""Break-glass grants: time-limited access to one case outside the user's scope, with a reason."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.auth.models import User
from casemgr.crypto.fields import EncryptedField, EncryptedModel
from casemgr.db import Base, BigId, UTCDateTime, intpk, timestamp, value_enum


class BreakGlassReason(enum.StrEnum):
    """Why the glass was broken; only an emergency allows changes, the others are read-only."""

    EMERGENCY = "emergency"  # a person is in danger now: read and record
    COVERING = "covering"  # covering for an absent colleague: read-only
    REFERRAL = "referral"  # checking a referral or a possible duplicate: read-only


WRITE_REASONS = frozenset({BreakGlassReason.EMERGENCY})


class BreakGlassGrant(EncryptedModel, Base):
    """One user's emergency access to one case, from `started_at` until `expires_at`."""

    __tablename__ = "break_glass_grants"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), index=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"))
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    reason_type: Mapped[BreakGlassReason] = mapped_column(value_enum(BreakGlassReason, 20))
    started_at: Mapped[timestamp]
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # When the scheduled duty recorded the window's end (casemgr.jobs.duties).
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reviewed_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    review_outcome: Mapped[str | None] = mapped_column(String(20))
    # The justification may name people: it is sealed under the case person's key.
    reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    reason = EncryptedField("reason_enc")

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")

    @property
    def allows_changes(self) -> bool:
        """Whether the reason lets the user record things, not only read."""
        return self.reason_type in WRITE_REASONS

    def is_live(self, now: dt.datetime) -> bool:
        """Whether the grant is in force at `now`."""
        return self.started_at <= now < self.expires_at
