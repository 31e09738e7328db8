"""Scheduled duties: each runs once per period, whatever the number of workers.

Every worker's scheduler enqueues `duties_tick` every CASEMGR_JOBS_TICK_SECONDS (60). A tick
looks at each duty: the period it is in starts at `slot` (periods are aligned on local
midnight, so a daily duty runs just after it). The worker whose insert of (duty, slot) into
`duty_runs` succeeds runs it; another worker's insert fails on the unique key and it moves on.
Each run is an audit event of the system (`duty.run`, the duty and its period in object_id,
its counts in the reason) and leaves its outcome in `duty_runs` for the administrators' page:
named counts and codes as JSON (`{"alerts": 3, "events": 137}`), put in words in the reader's
language only when shown (jobs.wording).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from casemgr.audit import record
from casemgr.audit.alerts import raise_integrity_alert, scan_for_alerts
from casemgr.audit.autocheckpoint import checkpoint_after_tail_check, failure_signature
from casemgr.audit.models import Outcome
from casemgr.audit.services import record_verification, verify_chain
from casemgr.audit.settings import audit_settings
from casemgr.auth.models import UserSession
from casemgr.cases.models import BreakGlassGrant
from casemgr.clock import LOCAL_TZ, utcnow
from casemgr.db import refresh_statistics
from casemgr.extensions import db
from casemgr.jobs import reminders, services
from casemgr.jobs.models import DutyRun

log = logging.getLogger(__name__)
EPOCH = dt.datetime(2000, 1, 1, tzinfo=LOCAL_TZ)  # periods count from a local midnight
ANALYSIS_SAMPLE = 1000  # rows of each index the analyze duty reads (SQLite's analysis_limit)
Counts = dict[str, Any]  # named counts (int) and codes (str) of one run, never a value


@dataclass(frozen=True)
class Duty:
    """A scheduled duty: its name, the setting of its period in minutes, and its work."""

    name: str
    setting: str
    work: Callable[[DutyRun], Counts]


def alert_scan(run: DutyRun) -> Counts:
    result = scan_for_alerts()
    raised = sum(result.raised.values())
    return {"events": result.events_scanned, "alerts": raised}


def checkpoint(run: DutyRun) -> Counts:
    """Verify the tail and sign the head (the same verb as the start-up and N-event runs)."""
    return run_checkpoint()


def run_checkpoint() -> Counts:
    """One automatic checkpoint; a failure already recorded is not recorded again."""
    known = db.session.scalar(
        select(DutyRun.detail)
        .where(DutyRun.duty == "checkpoint", DutyRun.detail.like('{"refused":%'))
        .order_by(DutyRun.id.desc())
        .limit(1)
    )
    result = checkpoint_after_tail_check(known_failure=known and json.loads(known)["refused"])
    if result.path is None:
        log.error("audit tail verification failed; no checkpoint signed")
        return {"refused": failure_signature(result.report)}
    return {"head": result.head_seq}


def verify(run: DutyRun) -> Counts:
    """The nightly full verification; a failure raises an integrity alert at once."""
    report = verify_chain()
    event = record_verification(report, channel="system")
    if not report.ok:
        raise_integrity_alert(event)
        return {"failed": str(report.first_problem.kind)}
    return {"verified": report.events_checked}


def deadline_reminders(run: DutyRun) -> Counts:
    made = reminders.send_reminders(utcnow())
    return {"notifications": made}


def purge_files(run: DutyRun) -> Counts:
    return {"files": services.purge_expired_files()}


def end_expired(run: DutyRun) -> Counts:
    """Record the end of break-glass windows that ran out; end sessions past their limits."""
    now = utcnow()
    ended = 0
    for grant in db.session.scalars(
        select(BreakGlassGrant).where(
            BreakGlassGrant.ended_at.is_(None), BreakGlassGrant.expires_at <= now
        )
    ):
        grant.ended_at = now
        record(
            "case.break_glass_end",
            actor=None,
            object_type="break_glass_grant",
            object_id=grant.id,
            case_id=grant.case_id,
            is_break_glass=True,
            channel="system",
        )
        ended += 1
    config = current_app.config
    idle = now - dt.timedelta(minutes=config["SESSION_IDLE_MINUTES"])
    absolute = now - dt.timedelta(hours=config["SESSION_ABSOLUTE_HOURS"])
    live = UserSession.ended_at.is_(None)
    sessions = 0
    for reason, condition in (
        ("idle", UserSession.last_seen_at < idle),
        ("absolute", UserSession.created_at < absolute),
    ):
        sessions += db.session.execute(
            update(UserSession).where(live, condition).values(ended_at=now, end_reason=reason)
        ).rowcount
    return {"grants": ended, "sessions": sessions}


def analyze(run: DutyRun) -> Counts:
    """Keep SQLite's planner statistics current as the data grows (ANALYZE on a sample of each
    index, a few milliseconds); PostgreSQL's autovacuum does it there."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return {}
    return {"analysed": refresh_statistics(connection, sample=ANALYSIS_SAMPLE)}


def recover_jobs(run: DutyRun) -> Counts:
    requeued, failed = services.recover_stale()
    return {"requeued": requeued, "failed_jobs": failed}


DUTIES = (
    Duty("alert_scan", "CASEMGR_DUTY_ALERT_SCAN_MINUTES", alert_scan),
    Duty("checkpoint", "CASEMGR_AUDIT_CHECKPOINT_MINUTES", checkpoint),
    Duty("verify", "CASEMGR_DUTY_VERIFY_MINUTES", verify),
    Duty("reminders", "CASEMGR_DUTY_REMINDERS_MINUTES", deadline_reminders),
    Duty("purge_files", "CASEMGR_DUTY_PURGE_MINUTES", purge_files),
    Duty("end_expired", "CASEMGR_DUTY_END_EXPIRED_MINUTES", end_expired),
    Duty("recover_jobs", "CASEMGR_DUTY_RECOVER_MINUTES", recover_jobs),
    Duty("analyze", "CASEMGR_DUTY_ANALYZE_MINUTES", analyze),
)


def period_minutes(duty: Duty) -> float:
    """The duty's period (a setting). The checkpoint's is one tick shorter than the audit
    setting CASEMGR_AUDIT_CHECKPOINT_MINUTES: a duty runs at the first tick of its period, so
    two checkpoints are never further apart than that setting (docs/audit.md section 5)."""
    if duty.setting == "CASEMGR_AUDIT_CHECKPOINT_MINUTES":
        tick = current_app.config["CASEMGR_JOBS_TICK_SECONDS"] / 60
        return max(tick, audit_settings().checkpoint_minutes - tick)
    return float(current_app.config[duty.setting])


def slot_of(now: dt.datetime, minutes: float) -> dt.datetime:
    """The start of the period `now` is in (periods of `minutes`, from a local midnight)."""
    width = dt.timedelta(minutes=minutes)
    start = EPOCH + ((now - EPOCH) // width) * width
    return start.astimezone(dt.UTC)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def claim(duty: Duty, slot: dt.datetime, now: dt.datetime) -> DutyRun | None:
    """Take the duty for this period (committed at once), or None if another worker has."""
    run = DutyRun(duty=duty.name, slot=slot, worker=worker_name(), started_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(run)
    except IntegrityError:
        return None
    db.session.commit()
    return run


def run_due(now: dt.datetime | None = None) -> list[str]:
    """Run every duty whose current period has not run yet; return the names run here."""
    ran = []
    for duty in DUTIES:
        now_ = now or utcnow()
        run = claim(duty, slot_of(now_, period_minutes(duty)), now_)
        if run is not None:
            perform(duty, run)
            ran.append(duty.name)
    return ran


def perform(duty: Duty, run: DutyRun) -> None:
    """Do the duty, record it as a system action, and keep its outcome (never raises)."""
    label = f"{duty.name}@{run.slot:%Y-%m-%dT%H:%M:%S}"
    try:
        counts = duty.work(run)
        outcome = Outcome.ALLOWED
    except Exception as error:
        db.session.rollback()
        # The type and the duty only: a message could quote a value.
        log.exception("duty %s failed (%s)", duty.name, type(error).__name__)
        counts, outcome = {"error": type(error).__name__}, Outcome.ERROR
    detail = json.dumps(counts, sort_keys=True, separators=(",", ":"))
    run = db.session.get(DutyRun, run.id)
    run.finished_at = utcnow()
    run.outcome = "ok" if outcome == Outcome.ALLOWED else "failed"
    run.detail = detail[:200]
    record(
        "duty.run",
        actor=None,
        object_type="duty",
        object_id=label,
        outcome=outcome,
        reason=detail[:200],
        channel="system",
    )
    db.session.commit()


def last_runs() -> dict[str, DutyRun]:
    """The newest run of each duty (the administrators' page)."""
    newest = select(DutyRun.duty, func.max(DutyRun.id).label("id")).group_by(DutyRun.duty)
    ids = [row.id for row in db.session.execute(newest)]
    runs = db.session.scalars(select(DutyRun).where(DutyRun.id.in_(ids))) if ids else []
    return {run.duty: run for run in runs}
