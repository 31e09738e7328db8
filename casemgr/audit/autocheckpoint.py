"""Automatic checkpoints: verify the tail since the newest checkpoint, then sign the head.

The task queue's worker runs `checkpoint_after_tail_check` when the worker starts, as a
scheduled duty every CASEMGR_AUDIT_CHECKPOINT_MINUTES, and as a task sent by the commit that
appended a multiple of CASEMGR_AUDIT_CHECKPOINT_EVERY events or found the head counter ahead
of the log (the listener below; the web process starts no thread). Before signing it verifies
the events since the newest valid checkpoint (and the evidence: head counter, alert-scan
state, anchors); on failure it signs nothing, records a failed `audit.verify` and raises an
integrity alert. `casemgr init` calls the same verb at its end.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from casemgr.audit.alerts import raise_integrity_alert
from casemgr.audit.checkpoints import Checkpoint, load_checkpoints, write_checkpoint
from casemgr.audit.recorder import (
    APPENDED_SEQ,
    FIRST_APPENDED_SEQ,
    HEAD_MISMATCH,
    lock_chain,
    record,
)
from casemgr.audit.services import (
    checkpoint_dir,
    evidence,
    record_verification,
    signer,
    trusted_keys,
)
from casemgr.audit.settings import audit_settings
from casemgr.audit.signing import TrustedKeys
from casemgr.audit.verify import ProblemKind, VerifyReport, verify_log
from casemgr.clock import utcnow
from casemgr.extensions import db


@dataclass
class CheckpointRun:
    """What one automatic checkpoint did: the tail's report, and the file (None if refused)."""

    report: VerifyReport
    path: Path | None
    head_seq: int


def newest_valid(checkpoints: list[Checkpoint], trusted: TrustedKeys) -> Checkpoint | None:
    """The validly signed checkpoint with the highest seq, if any."""
    valid = [c for c in checkpoints if c.seq is not None and c.signature_valid(trusted)]
    return max(valid, key=lambda c: c.seq, default=None)


def checkpoint_after_tail_check(
    folder: str | Path | None = None,
    now: dt.datetime | None = None,
    known_failure: str | None = None,
) -> CheckpointRun:
    """Verify the tail since the newest valid checkpoint, then sign the head into a new one.

    Holds the append lock throughout, so the head signed is the head verified. On failure
    nothing is signed (that would launder the tampering): a failed `audit.verify` is recorded
    and an integrity alert raised, unless the same failure (`known_failure`) was already.
    The caller commits.
    """
    session = db.session
    lock_chain(session)
    folder = Path(folder or checkpoint_dir())
    trusted = trusted_keys()
    checkpoints = load_checkpoints(folder)
    newest = newest_valid(checkpoints, trusted)
    report = verify_log(
        session.connection(),
        current_app.extensions["casemgr.keys"].audit_mac_key,
        trusted=trusted,
        checkpoints=checkpoints,
        tail_from=newest,
        evidence=evidence(),
    )
    if not report.ok:
        if failure_signature(report) != known_failure:
            raise_integrity_alert(record_verification(report, channel="system"))
        return CheckpointRun(report, None, report.last_seq)
    if newest is not None and report.last_seq <= newest.seq + 1:
        # Nothing since the newest checkpoint but its own event (an idle app, or another
        # process that just signed): verified, and nothing new to sign.
        return CheckpointRun(report, newest.path, report.last_seq)
    path = write_checkpoint(folder, signer(), report.last_seq, report.head_mac, now or utcnow())
    event = record(
        "audit.checkpoint",
        actor=None,
        object_type="audit_event",
        object_id=report.last_seq,
        channel="system",
        immediate=True,
    )
    return CheckpointRun(report, path, event.seq)


def failure_signature(report: VerifyReport) -> str | None:
    """A short key of a failed report's first problem (to record one failure once)."""
    first = report.first_problem
    if first is None:
        return None
    if first.kind in (ProblemKind.BELOW_EVIDENCE, ProblemKind.EMPTY_LOG):
        return str(first.kind)  # found at the log's end, which moves as events are appended
    return f"{first.kind}:{first.seq}"


def _after_commit(session: Session) -> None:
    seq = session.info.pop(APPENDED_SEQ, None)
    first = session.info.pop(FIRST_APPENDED_SEQ, seq)
    mismatch = session.info.pop(HEAD_MISMATCH, False)
    if seq is None or not has_app_context() or _trigger is None:
        return
    if not current_app.config.get("CASEMGR_AUDIT_AUTO_CHECKPOINT"):
        return
    every = audit_settings().checkpoint_every
    # This commit moved the head past a multiple of N (only one commit can), or found the
    # head counter ahead of the log: a checkpoint is due now, whatever the clock says.
    if mismatch or seq // every > (first - 1) // every:
        _trigger()


def _after_rollback(session: Session) -> None:
    session.info.pop(APPENDED_SEQ, None)
    session.info.pop(FIRST_APPENDED_SEQ, None)
    session.info.pop(HEAD_MISMATCH, None)


_trigger: Callable[[], None] | None = None


def init_app(app: Flask, trigger: Callable[[], None]) -> None:
    """Call `trigger` (the task queue's checkpoint task) after each commit that appended the
    N-th event since a multiple of CASEMGR_AUDIT_CHECKPOINT_EVERY, or found the head counter
    ahead of the log, when CASEMGR_AUDIT_AUTO_CHECKPOINT is on. The clock's part of the
    schedule (every CASEMGR_AUDIT_CHECKPOINT_MINUTES) is a scheduled duty of the worker."""
    global _trigger
    _trigger = trigger
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
