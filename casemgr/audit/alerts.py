"""Alerts computed from audit events, and their review with a comment.

scan_for_alerts() reads the events once, in seq order and in batches, and raises:
- volume: a user opened more than N distinct cases within a sliding hour;
- off_hours: a user acted outside working hours (one alert per user and local day);
- denials: more than N refusals for one user, or one address when nobody signed in, within
  M minutes;
- integrity: a value failed to authenticate (crypto.integrity_failure) or a verify failed;
- break_glass: break-glass activity (one alert per user, case and local day) awaiting review;
- recovery_code: a sign-in with an MFA recovery code (raised at once by the sign-in too).
Every alert has a deterministic key, so a scan run twice (or over an overlapping range)
raises nothing new: scans are idempotent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select

from casemgr.audit.models import (
    AlertKind,
    AlertScanState,
    AlertStatus,
    AuditAlert,
    AuditEvent,
)
from casemgr.audit.recorder import Actor, record
from casemgr.audit.scanner import HOUR, Scanner, integrity_finding, recovery_code_finding
from casemgr.audit.settings import AuditSettings, audit_settings
from casemgr.clock import utcnow
from casemgr.extensions import db

SCAN_BATCH = 10_000
COMMENT_MAX_LENGTH = 1000

_SCAN_COLUMNS = (
    AuditEvent.seq,
    AuditEvent.occurred_at,
    AuditEvent.actor_id,
    AuditEvent.actor_name,
    AuditEvent.action,
    AuditEvent.case_id,
    AuditEvent.client_addr,
    AuditEvent.outcome,
    AuditEvent.reason,
    AuditEvent.is_break_glass,
)


class AlertError(RuntimeError):
    """An alert cannot be reviewed as asked; the message is a short code."""


@dataclass
class ScanResult:
    """What a scan did."""

    events_scanned: int = 0
    raised: dict[str, int] = field(default_factory=dict)
    last_seq: int = 0

    @property
    def total(self) -> int:
        return sum(self.raised.values())


def _stream(statement: Select) -> Iterator[Any]:
    """Rows of a select over audit_events in seq order, fetched by keyset batches."""
    last = -1
    while True:
        rows = db.session.execute(
            statement.where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(SCAN_BATCH)
        ).all()
        yield from rows
        if len(rows) < SCAN_BATCH:
            return
        last = rows[-1].seq


def _day_bounds(day: dt.date, settings: AuditSettings) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(), tzinfo=settings.timezone)
    return start.astimezone(dt.UTC), (start + dt.timedelta(days=1)).astimezone(dt.UTC)


def _recount_daily(
    scanner: Scanner, finding: dict[str, Any], after_seq: int
) -> dict[str, Any] | None:
    """Exact counts for a per-day alert from the table (indexed by actor and time)."""
    start, end = _day_bounds(finding["day"], scanner.settings)
    statement = select(AuditEvent.seq, AuditEvent.occurred_at).where(
        AuditEvent.actor_id == finding["actor_id"],
        AuditEvent.occurred_at >= start,
        AuditEvent.occurred_at < end,
        AuditEvent.seq > after_seq,
    )
    if finding["kind"] == AlertKind.BREAK_GLASS:
        statement = statement.where(AuditEvent.is_break_glass.is_(True))
        case_id = finding["case_id"]
        statement = statement.where(
            AuditEvent.case_id.is_(None) if case_id is None else AuditEvent.case_id == case_id
        )
    rows = db.session.execute(statement.order_by(AuditEvent.seq)).all()
    if finding["kind"] == AlertKind.OFF_HOURS:
        rows = [row for row in rows if scanner.off_hours(row.occurred_at)]
    if not rows:
        return None
    return {
        "window_start": rows[0].occurred_at,
        "window_end": rows[-1].occurred_at,
        "event_count": len(rows),
        "first_seq": rows[0].seq,
        "last_seq": rows[-1].seq,
    }


def _store_daily(scanner: Scanner, key: str, finding: dict[str, Any], result: ScanResult) -> None:
    """Create or refresh a per-day alert; after a review, new activity opens a follow-up."""
    existing = list(
        db.session.scalars(
            select(AuditAlert)
            .where((AuditAlert.key == key) | AuditAlert.key.startswith(key + "/"))
            .order_by(AuditAlert.id)
        )
    )
    open_alert = next((a for a in existing if a.status == AlertStatus.OPEN), None)
    reviewed_upto = max(
        (a.last_seq for a in existing if a.status == AlertStatus.REVIEWED), default=0
    )
    stats = _recount_daily(scanner, finding, reviewed_upto)
    if stats is None:
        return
    if open_alert is not None:
        for name, value in stats.items():
            setattr(open_alert, name, value)
        return
    fields = {k: v for k, v in finding.items() if k != "day"}
    alert_key = key if not existing else f"{key}/{stats['first_seq']}"
    db.session.add(AuditAlert(key=alert_key, **fields, **stats))
    result.raised[finding["kind"]] = result.raised.get(finding["kind"], 0) + 1


def _store_once(key: str, finding: dict[str, Any], result: ScanResult) -> None:
    """Create an alert unless one with this key exists (sliding-window and integrity kinds).

    An open one whose hour was only partly scanned before takes the higher measure.
    """
    existing = db.session.scalar(select(AuditAlert).where(AuditAlert.key == key))
    if existing is not None:
        measure = finding.get("measure")
        if existing.status == AlertStatus.OPEN and measure and measure > (existing.measure or 0):
            for name in (
                "measure",
                "window_start",
                "window_end",
                "event_count",
                "first_seq",
                "last_seq",
            ):
                setattr(existing, name, finding[name])
        return
    db.session.add(AuditAlert(key=key, **finding))
    result.raised[finding["kind"]] = result.raised.get(finding["kind"], 0) + 1


def scan_for_alerts(since: dt.datetime | None = None) -> ScanResult:
    """Raise the alerts found in events after the last scan (or since a time); idempotent.

    Without `since`, reads the events after the scan state's last seq and moves it on. With
    `since`, reads every event from that time (a re-scan); the state moves on only if the
    re-scan started at or before it, so an incremental scan never skips events.
    """
    settings = audit_settings()
    session = db.session
    state = session.get(AlertScanState, 1)
    head = session.scalar(select(func.max(AuditEvent.seq))) or 0
    if since is None:
        from_seq = state.last_seq if state else 0
    else:
        first = session.scalar(
            select(func.min(AuditEvent.seq)).where(AuditEvent.occurred_at >= since)
        )
        from_seq = (first - 1) if first is not None else head
    result = ScanResult(last_seq=head)
    scanner = Scanner(settings, from_seq)
    if head > from_seq:
        start = session.scalar(select(AuditEvent.occurred_at).where(AuditEvent.seq == from_seq + 1))
        lookback = max(HOUR, scanner.denial_span)
        context = select(*_SCAN_COLUMNS).where(
            AuditEvent.seq <= from_seq, AuditEvent.occurred_at > start - lookback
        )
        for event in _stream(context):
            scanner.feed(event)
        for event in _stream(
            select(*_SCAN_COLUMNS).where(AuditEvent.seq.between(from_seq + 1, head))
        ):
            scanner.feed(event)
            result.events_scanned += 1
        for key, finding in scanner.sliding.items():
            _store_once(key, finding, result)
        for key, finding in scanner.integrity.items():
            _store_once(key, finding, result)
        for key, finding in scanner.daily.items():
            _store_daily(scanner, key, finding, result)
    if state is None:
        state = AlertScanState(id=1, last_seq=0, scanned_at=utcnow())
        session.add(state)
    if from_seq <= state.last_seq:
        state.last_seq = max(state.last_seq, head)
    state.scanned_at = utcnow()
    session.flush()
    return result


def raise_recovery_code_alert(event: AuditEvent) -> None:
    """Raise the alert for a sign-in with a recovery code now, for the user's supervisors."""
    key, finding = recovery_code_finding(event)
    _store_once(key, finding, ScanResult())
    db.session.flush()


def raise_integrity_alert(event: AuditEvent) -> None:
    """Raise the integrity alert for a failure event now (the scan finds it under the same key)."""
    key, finding = integrity_finding(event)
    _store_once(key, finding, ScanResult())
    db.session.flush()


def review_alert(actor: Actor, alert: AuditAlert, comment: str) -> None:
    """Close an alert with the reviewer's comment; nobody reviews an alert about themselves."""
    comment = " ".join(comment.split())
    if not comment:
        raise AlertError("comment required")
    if len(comment) > COMMENT_MAX_LENGTH:
        raise AlertError("comment too long")
    if alert.status == AlertStatus.REVIEWED:
        raise AlertError("already reviewed")
    if alert.actor_id is not None and alert.actor_id == actor.id:
        raise AlertError("own alert")
    alert.status = AlertStatus.REVIEWED
    alert.reviewed_by_id = actor.id
    alert.reviewed_by_name = actor.username
    alert.reviewed_at = utcnow()
    alert.review_comment = comment
    session = db.session
    session.flush()
    # The comment stays in the alert; the trail records that a review happened, not its text.
    record(
        "audit.alert_review",
        actor=actor,
        object_type="audit_alert",
        object_id=alert.id,
        case_id=alert.case_id,
        fields=["review_comment"],
    )
