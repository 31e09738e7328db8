"""Audit maintenance verbs: verify and record the result, checkpoint, archive old events.

Like every service they flush and audit but never commit; the CLI command commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, func, select, text

from casemgr.audit.anchors import ANCHOR_DOMAIN, anchor_body
from casemgr.audit.archive import WrittenArchive, write_archive
from casemgr.audit.checkpoints import load_checkpoints, write_checkpoint
from casemgr.audit.models import AlertScanState, AuditAnchor, AuditEvent, AuditHead, Outcome
from casemgr.audit.parallel import parallel_segments, worker_count
from casemgr.audit.recorder import Actor, chain_head, record
from casemgr.audit.settings import audit_settings
from casemgr.audit.signing import Signer, TrustedKeys, load_public_key
from casemgr.audit.verify import (
    Evidence,
    VerifyReport,
    count_estimate,
    iter_events,
    verify_log,
)
from casemgr.clock import utcnow
from casemgr.extensions import db


class ArchiveRefused(RuntimeError):
    """The archive cannot be made; the message says why (no content in it)."""


def signer() -> Signer:
    """The checkpoint and anchor signer, from the key material's audit signing seed."""
    return Signer.from_seed(current_app.extensions["casemgr.keys"].audit_signing_key)


def trusted_keys(extra: Iterable[str | Path] = ()) -> TrustedKeys:
    """The current signing key's public half, plus any public key files given (rotated keys)."""
    keys = TrustedKeys([signer().public_key])
    for path in extra:
        keys.add(load_public_key(path))
    return keys


def checkpoint_dir() -> Path:
    """The folder for checkpoint files (outside the database)."""
    return Path(current_app.config["CASEMGR_AUDIT_CHECKPOINT_DIR"])


def evidence() -> Evidence:
    """How far the log has gone by the database's other records (counter, scan state, anchors)."""
    session = db.session
    head = session.execute(select(AuditHead.seq, AuditHead.mac).where(AuditHead.id == 1)).first()
    scan = session.scalar(select(AlertScanState.last_seq).where(AlertScanState.id == 1))
    anchor = session.scalar(select(func.max(AuditAnchor.seq)))
    return Evidence(
        head_seq=head.seq if head else 0,
        head_mac=bytes(head.mac) if head else None,
        scan_seq=scan or 0,
        anchor_seq=anchor or 0,
    )


def verify_chain(
    *,
    checkpoint_folder: str | Path | None = None,
    public_keys: Iterable[str | Path] = (),
    batch_size: int = 10_000,
    progress: Callable[[int], None] | None = None,
    start: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Verify the log and every checkpoint; `start` is told how many events will be read."""
    checkpoints = load_checkpoints(checkpoint_folder or checkpoint_dir())
    conn = db.session.connection()
    if start is not None:
        start(count_estimate(conn))
    mac_key = current_app.extensions["casemgr.keys"].audit_mac_key
    # The evidence and the checkpoints are read before the parallel ranges end at the
    # highest seq present, so none of them names an event appended after it.
    found = evidence()
    workers = worker_count(audit_settings().verify_workers)
    return verify_log(
        conn,
        mac_key,
        trusted=trusted_keys(public_keys),
        checkpoints=checkpoints,
        batch_size=batch_size,
        progress=progress,
        evidence=found,
        segments=parallel_segments(
            conn, mac_key, workers, batch_size=batch_size, progress=progress
        ),
    )


def record_verification(
    report: VerifyReport, actor: Actor | None = None, channel: str | None = None
) -> AuditEvent:
    """Audit a verification run (by the CLI, or a user); a failed one becomes an integrity
    alert at the next scan."""
    first = report.first_problem
    return record(
        "audit.verify",
        actor=actor,
        object_type="audit_event",
        object_id=first.seq if first else report.last_seq,
        outcome=Outcome.ALLOWED if report.ok else Outcome.ERROR,
        reason=str(first.kind) if first else None,
        channel=channel,
        immediate=True,  # a failed run's event becomes an alert, keyed by its seq
    )


def make_checkpoint(folder: str | Path | None = None, now: dt.datetime | None = None) -> Path:
    """Sign the current head (seq, MAC, time) into a new checkpoint file; audited."""
    seq, mac = chain_head(db.session)
    path = write_checkpoint(folder or checkpoint_dir(), signer(), seq, mac, now or utcnow())
    record("audit.checkpoint", actor=None, object_type="audit_event", object_id=seq)
    return path


@dataclass
class ArchiveResult:
    """What an archive run did."""

    written: WrittenArchive
    removed: int


def retention_limit(now: dt.datetime) -> dt.datetime:
    """The latest cut-off `archive` accepts: now minus the retention period."""
    return now - dt.timedelta(days=audit_settings().retention_days)


def archive_events(
    before: dt.datetime,
    *,
    folder: str | Path | None = None,
    public_keys: Iterable[str | Path] = (),
    now: dt.datetime | None = None,
) -> ArchiveResult | None:
    """Export the events older than `before` to a signed archive, anchor the chain, delete them.

    Refuses a cut-off inside the retention period and a chain that does not verify (archiving
    it would launder the tampering). Returns None when there is nothing to archive.
    """
    now = now or utcnow()
    if before > retention_limit(now):
        raise ArchiveRefused("cut-off is inside the retention period")
    report = verify_chain(public_keys=public_keys)
    if not report.ok:
        first = report.first_problem
        raise ArchiveRefused(f"the chain does not verify (first bad entry: seq {first.seq})")
    session = db.session
    newer = session.scalar(select(func.min(AuditEvent.seq)).where(AuditEvent.occurred_at >= before))
    upto = min(report.last_seq, newer - 1 if newer is not None else report.last_seq)
    first_seq = report.start_seq + 1
    if upto < first_seq:
        return None
    conn = session.connection()
    key = signer()
    written = write_archive(
        Path(folder or audit_settings().archive_dir),
        iter_events(conn, report.start_seq, until_seq=upto),
        first_seq=first_seq,
        last_seq=upto,
        anchor_in=report.start_mac,
        signer=key,
        now=now,
    )
    anchor = AuditAnchor(
        seq=upto,
        mac=written.last_mac,
        first_seq=first_seq,
        archive_name=written.path.name,
        archive_sha256=written.sha256,
        archived_at=now,
        key_id=key.key_id,
    )
    anchor.signature = key.sign(ANCHOR_DOMAIN, anchor_body(anchor))
    if session.get_bind().dialect.name == "postgresql":
        # Only this SECURITY DEFINER function may delete audit rows (see migration 0002).
        removed = session.scalar(
            text(
                "SELECT casemgr_audit_archive(:seq, :mac, :first_seq, :archive_name, "
                ":archive_sha256, :archived_at, :key_id, :signature)"
            ),
            {
                "seq": anchor.seq,
                "mac": anchor.mac,
                "first_seq": anchor.first_seq,
                "archive_name": anchor.archive_name,
                "archive_sha256": anchor.archive_sha256,
                "archived_at": anchor.archived_at,
                "key_id": anchor.key_id,
                "signature": anchor.signature,
            },
        )
    else:
        session.add(anchor)
        session.flush()
        removed = session.execute(delete(AuditEvent).where(AuditEvent.seq <= upto)).rowcount
    record(
        "audit.archive",
        actor=None,
        object_type="audit_event",
        object_id=upto,
        reason=f"archived {first_seq}-{upto}",
    )
    return ArchiveResult(written, removed)
