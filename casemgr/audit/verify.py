"""Chain verification: sequence, links, MACs, archive anchors and signed checkpoints.

Reads the log in keyset batches (seq > last ORDER BY seq LIMIT n), so memory stays bounded
whatever its size, and reports every problem with the sequence number it was found at.
"""

from __future__ import annotations

import enum
import hmac
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select

from casemgr.audit.anchors import ANCHOR_DOMAIN, anchor_body
from casemgr.audit.chain import CHAINED_FIELDS, GENESIS_MAC, canonical_values
from casemgr.audit.checkpoints import Checkpoint
from casemgr.audit.models import AuditAnchor, AuditEvent
from casemgr.audit.signing import TrustedKeys

BATCH_SIZE = 10_000
MAX_PROBLEMS = 1_000


class ProblemKind(enum.StrEnum):
    """What is wrong at a sequence number."""

    MISSING = "missing"  # an expected event is absent: deleted, or the rest renumbered
    BROKEN_LINK = "broken_link"  # prev_mac is not the previous event's MAC
    BAD_MAC = "bad_mac"  # the event's content does not match its MAC: edited or forged
    ARCHIVED_ROW = "archived_row"  # an event at or before the archive anchor is still present
    BAD_ANCHOR = "bad_anchor"  # an archive anchor whose signature does not verify
    TAIL_CUT = "tail_cut"  # a checkpoint names an event beyond the end of the log
    CHECKPOINT_MISMATCH = "checkpoint_mismatch"  # the log's MAC at a checkpoint differs
    BAD_CHECKPOINT = "bad_checkpoint"  # a checkpoint file that is unreadable or badly signed


DESCRIPTIONS = {
    ProblemKind.MISSING: "expected event is missing (deleted, or later events renumbered)",
    ProblemKind.BROKEN_LINK: "previous-MAC link does not match the preceding event",
    ProblemKind.BAD_MAC: "MAC does not match the event's content (edited, inserted or moved)",
    ProblemKind.ARCHIVED_ROW: "event at or before the archive anchor is still in the table",
    ProblemKind.BAD_ANCHOR: "archive anchor signature does not verify",
    ProblemKind.TAIL_CUT: "a signed checkpoint names an event beyond the end of the log",
    ProblemKind.CHECKPOINT_MISMATCH: "log MAC at a signed checkpoint differs from the checkpoint",
    ProblemKind.BAD_CHECKPOINT: "checkpoint is unreadable, or its signature does not verify",
}


@dataclass(frozen=True)
class Problem:
    """One finding: the sequence number it concerns, what kind, and a detail without content."""

    seq: int | None
    kind: ProblemKind
    detail: str = ""

    def describe(self) -> str:
        where = f"seq {self.seq}" if self.seq is not None else "no seq"
        detail = f" ({self.detail})" if self.detail else ""
        return f"{where}: {self.kind} - {DESCRIPTIONS[self.kind]}{detail}"


@dataclass
class VerifyReport:
    """The outcome of one verification run."""

    events_checked: int = 0
    start_seq: int = 0  # the anchor: events after this one are expected in the table
    start_mac: bytes = GENESIS_MAC
    last_seq: int = 0
    head_mac: bytes = GENESIS_MAC
    checkpoints_checked: int = 0
    anchors_checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    problems_total: int = 0

    @property
    def ok(self) -> bool:
        return self.problems_total == 0

    @property
    def first_problem(self) -> Problem | None:
        """The problem with the lowest sequence number (the first bad entry)."""
        if not self.problems:
            return None
        return min(self.problems, key=lambda p: (p.seq is None, p.seq or 0))

    def add(self, problem: Problem) -> None:
        self.problems_total += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)


# The chained fields first, in canonical order, then the two MACs.
COLUMN_NAMES = (*CHAINED_FIELDS, "prev_mac", "mac")
_N = len(CHAINED_FIELDS)
# Read through the driver's own cursor: SQLAlchemy's result layer costs more than the query
# and the MACs together at 10^6 rows; _normalise() does the one conversion needed.
_SELECT = f"SELECT {', '.join(COLUMN_NAMES)} FROM audit_events WHERE seq > {{p}}"  # noqa: S608
_BATCH = _SELECT + " ORDER BY seq LIMIT {p}"
_BATCH_UNTIL = _SELECT + " AND seq <= {p} ORDER BY seq LIMIT {p}"
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def iter_events(
    conn: Connection,
    after_seq: int = 0,
    batch_size: int = BATCH_SIZE,
    *,
    until_seq: int | None = None,
) -> Iterator[list[list]]:
    """Yield the events after `after_seq` (up to `until_seq`) in seq order, a batch at a time.

    Each event is the driver's row, values in COLUMN_NAMES order, unconverted (time may be
    text on SQLite: see chain.event_time).
    """
    placeholder = _PLACEHOLDERS[conn.dialect.paramstyle]
    batch_sql = (_BATCH if until_seq is None else _BATCH_UNTIL).replace("{p}", placeholder)
    driver = conn.connection.driver_connection
    last = after_seq
    while True:
        params = (last, batch_size) if until_seq is None else (last, until_seq, batch_size)
        cursor = driver.cursor()
        try:
            cursor.execute(batch_sql, params)
            rows = cursor.fetchall()
        finally:
            cursor.close()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def count_estimate(conn: Connection, after_seq: int = 0) -> int:
    """How many events verification will read (from the PK index: max - min + 1)."""
    low, high = conn.execute(
        select(func.min(AuditEvent.seq), func.max(AuditEvent.seq)).where(AuditEvent.seq > after_seq)
    ).one()
    return 0 if low is None else high - low + 1


def _check_anchors(conn: Connection, trusted: TrustedKeys, report: VerifyReport) -> None:
    """Take the newest validly signed anchor as the start; report every badly signed one."""
    for anchor in conn.execute(select(AuditAnchor.__table__).order_by(AuditAnchor.seq)).all():
        report.anchors_checked += 1
        if trusted.verify(
            anchor.key_id, bytes(anchor.signature), ANCHOR_DOMAIN, anchor_body(anchor)
        ):
            report.start_seq, report.start_mac = anchor.seq, bytes(anchor.mac)
        else:
            report.add(Problem(anchor.seq, ProblemKind.BAD_ANCHOR, f"anchor {anchor.seq}"))


def verify_log(
    conn: Connection,
    mac_key: bytes,
    *,
    trusted: TrustedKeys,
    checkpoints: Iterable[Checkpoint] = (),
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Verify the whole log and the checkpoints against it.

    For each event: its seq is the one expected (no gap), its prev_mac is the preceding
    event's MAC (no broken link), and HMAC(key, prev_mac || canonical) equals its MAC (no
    edit). Then every checkpoint must be validly signed by a trusted key, lie within the log
    (else the tail was cut) and name the MAC the log holds at its seq.
    """
    report = VerifyReport()
    _check_anchors(conn, trusted, report)
    checkpoints = list(checkpoints)
    wanted = {c.seq for c in checkpoints if c.seq is not None}
    macs_at: dict[int, bytes] = {}
    expected = report.start_seq + 1
    prev_mac = report.start_mac
    digest = hmac.digest
    # Rows still present at or before the anchor (archive interrupted, or rows put back).
    stray = conn.execute(
        select(func.min(AuditEvent.seq), func.count()).where(AuditEvent.seq <= report.start_seq)
    ).one()
    if stray[1]:
        report.add(Problem(stray[0], ProblemKind.ARCHIVED_ROW, f"{stray[1]} rows"))
    for rows in iter_events(conn, report.start_seq, batch_size):
        for row in rows:
            seq = row[0]
            row_prev = bytes(row[_N])
            row_mac = bytes(row[_N + 1])
            if seq != expected:
                report.add(Problem(expected, ProblemKind.MISSING, f"next present: {seq}"))
            elif row_prev != prev_mac:
                report.add(Problem(seq, ProblemKind.BROKEN_LINK))
            if not hmac.compare_digest(
                digest(mac_key, row_prev + canonical_values(row), "sha256"), row_mac
            ):
                report.add(Problem(seq, ProblemKind.BAD_MAC))
            if seq in wanted:
                macs_at[seq] = row_mac
            expected = seq + 1
            prev_mac = row_mac
        report.events_checked += len(rows)
        if progress is not None:
            progress(len(rows))
    report.last_seq = expected - 1
    report.head_mac = prev_mac
    _check_checkpoints(checkpoints, trusted, macs_at, report)
    return report


def _check_checkpoints(
    checkpoints: list[Checkpoint],
    trusted: TrustedKeys,
    macs_at: dict[int, bytes],
    report: VerifyReport,
) -> None:
    for checkpoint in checkpoints:
        report.checkpoints_checked += 1
        name = checkpoint.path.name
        if checkpoint.error is not None:
            report.add(Problem(checkpoint.seq, ProblemKind.BAD_CHECKPOINT, f"{name}: unreadable"))
            continue
        if not checkpoint.signature_valid(trusted):
            why = "unknown key" if checkpoint.key_id not in trusted else "bad signature"
            report.add(Problem(checkpoint.seq, ProblemKind.BAD_CHECKPOINT, f"{name}: {why}"))
            continue
        seq = checkpoint.seq
        if seq > report.last_seq:
            report.add(
                Problem(
                    report.last_seq + 1,
                    ProblemKind.TAIL_CUT,
                    f"{name} signs seq {seq}, the log ends at {report.last_seq}",
                )
            )
        elif seq < report.start_seq or seq == 0:
            continue  # archived: checked against the archive file, not the table
        elif seq == report.start_seq:
            if checkpoint.head_mac != report.start_mac:
                report.add(Problem(seq, ProblemKind.CHECKPOINT_MISMATCH, name))
        elif macs_at.get(seq) != checkpoint.head_mac:
            report.add(Problem(seq, ProblemKind.CHECKPOINT_MISMATCH, name))
