"""Audit tables: the chained events, signed archive anchors, and alerts raised from events."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, Index, Integer, LargeBinary, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from casemgr.db import Base, BigId, UTCDateTime, intpk, utcnow, value_enum


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
        # The auditor's search by username (case-insensitive), newest first: migrations 0023 and
        # 0025. The name itself as the last column lets PostgreSQL count a user's events from
        # the index alone (an expression index alone cannot serve an index-only scan).
        Index(
            "ix_audit_events_actor_name_seq", func.lower(text("actor_name")), "seq", "actor_name"
        ),
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


class AuditAnchor(Base):
    """Where the chain in the database starts after older events were archived and removed.

    The event `seq` (the last one archived) and its MAC become the starting point of
    verification. The Ed25519 signature (audit signing key) covers seq, MAC, the archive's
    SHA-256 and its file name, so a row forged to hide deleted events fails verification.
    """

    __tablename__ = "audit_anchors"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    mac: Mapped[bytes] = mapped_column(LargeBinary(32))
    first_seq: Mapped[int] = mapped_column(BigId)
    archive_name: Mapped[str] = mapped_column(String(200))
    archive_sha256: Mapped[str] = mapped_column(String(64))
    archived_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))


class AlertKind(enum.StrEnum):
    """What an alert is about."""

    VOLUME = "volume"  # many distinct cases opened in an hour
    OFF_HOURS = "off_hours"  # activity outside working hours
    DENIALS = "denials"  # repeated refusals in a short time
    INTEGRITY = "integrity"  # a value failed to authenticate, or the chain failed to verify
    BREAK_GLASS = "break_glass"  # a break-glass use awaiting review
    RECOVERY_CODE = "recovery_code"  # a user signed in with an MFA recovery code


class AlertStatus(enum.StrEnum):
    """An alert is open until someone reviews it with a comment."""

    OPEN = "open"
    REVIEWED = "reviewed"


class AuditAlert(Base):
    """A pattern found in the audit events that an auditor or supervisor must look at.

    Holds ids, counts and sequence numbers only, never case content; `key` makes scans
    idempotent (the same finding is never raised twice).
    """

    __tablename__ = "audit_alerts"
    __table_args__ = (Index("ix_audit_alerts_status_detected", "status", "detected_at"),)

    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[AlertKind] = mapped_column(value_enum(AlertKind, 20))
    status: Mapped[AlertStatus] = mapped_column(
        value_enum(AlertStatus, 10), default=AlertStatus.OPEN
    )
    # Whom and what it is about (any may be empty: integrity alerts have no actor).
    actor_id: Mapped[int | None] = mapped_column(BigId, index=True)
    actor_name: Mapped[str | None] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(BigId)
    client_addr: Mapped[str | None] = mapped_column(String(64))
    # The evidence: a time window, how many events, the measure compared with the threshold
    # (distinct cases, denials), and the range of events to read in the audit log.
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    window_end: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    event_count: Mapped[int] = mapped_column(Integer)
    measure: Mapped[int | None] = mapped_column(Integer)
    first_seq: Mapped[int] = mapped_column(BigId)
    last_seq: Mapped[int] = mapped_column(BigId)
    # A short code, never free text: the failure kind of an integrity alert, say.
    code: Mapped[str | None] = mapped_column(String(40))
    detected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The review.
    reviewed_by_id: Mapped[int | None] = mapped_column(BigId)
    reviewed_by_name: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    review_comment: Mapped[str | None] = mapped_column(String(1000))


class AuditHead(Base):
    """The last appended seq and its MAC, kept outside audit_events (one row, id 1).

    Advanced by record() in the same transaction as each append, under the append lock (so it
    adds no contention: the lock already serialises appends), and never moved backwards: a
    log whose head is below it, or whose event at its seq has another MAC, was cut.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigId)
    mac: Mapped[bytes] = mapped_column(LargeBinary(32))


class AlertScanState(Base):
    """How far the alert scan has read the log (one row), so a scheduled scan is incremental."""

    __tablename__ = "audit_alert_scan_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(BigId)
    scanned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
