"""The audit event: who did what to which object, when, from where, with what outcome."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from casemgr.db import Base, BigId, UTCDateTime, utcnow, value_enum


class Outcome(enum.StrEnum):
    """Whether the audited action was allowed, denied or failed."""

    ALLOWED = "allowed"
    DENIED = "denied"
    ERROR = "error"


class AuditEvent(Base):
    """One audit event; rows are never updated or deleted, and each MAC covers the previous one."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_actor_occurred", "actor_id", "occurred_at"),
        Index("ix_audit_events_case_id", "case_id"),
        Index("ix_audit_events_occurred_at", "occurred_at"),
    )

    # Sequence number: 1, 2, 3 ... without gaps; assigned under the append lock.
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Who: user id and username at the time, the roles held (role@unit codes), or "cli"/"system".
    actor_id: Mapped[int | None] = mapped_column(BigId)
    actor_name: Mapped[str | None] = mapped_column(String(64))
    actor_roles: Mapped[str | None] = mapped_column(String(400))
    # What: a dotted action name, the object, the case it belongs to, field names (never values).
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(BigId)
    fields: Mapped[str | None] = mapped_column(String(1000))
    # Where: client address and request id (or the CLI command name).
    client_addr: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(10), default="web")
    outcome: Mapped[Outcome] = mapped_column(value_enum(Outcome, 10))
    # Why: a reason code or a short reason text written by the user (break-glass, approvals).
    reason: Mapped[str | None] = mapped_column(String(1000))
    is_break_glass: Mapped[bool] = mapped_column(Boolean, default=False)
    # Chain: HMAC-SHA256 over the previous MAC and this event's canonical form.
    prev_mac: Mapped[bytes] = mapped_column(LargeBinary(32))
    mac: Mapped[bytes] = mapped_column(LargeBinary(32))
