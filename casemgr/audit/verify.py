"""Chain verification: sequence, links, MACs, archive anchors and signed checkpoints.

Reads the log in keyset batches (seq > last ORDER BY seq LIMIT n), so memory stays bounded
whatever its size, and reports every problem with the sequence number it was found at.
"""

from __future__ import annotations

import enum
import hmac
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select

from casemgr.audit.anchors import ANCHOR_DOMAIN, anchor_body
from casemgr.audit.chain import CHAINED_FIELDS, FORMAT_TAG, GENESIS_MAC, canonical_values
from casemgr.audit.checkpoints import Checkpoint
from casemgr.audit.models import AuditAnchor, AuditEvent
from casemgr.audit.signing import TrustedKeys

try:  # what hmac.digest calls, without its Python wrapper (about 0.7 µs an event here)
    from _hashlib import hmac_digest as _hmac_digest
except ImportError:  # a Python without OpenSSL
    _hmac_digest = hmac.digest

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
    EMPTY_LOG = "empty_log"  # no event left, while checkpoints, anchors or counters say some were
    BELOW_EVIDENCE = "below_evidence"  # the log ends below what the database itself recorded
    HEAD_MISMATCH = "head_mismatch"  # the event at the head counter's seq has another MAC


DESCRIPTIONS = {
    ProblemKind.MISSING: "expected event is missing (deleted, or later events renumbered)",
    ProblemKind.BROKEN_LINK: "previous-MAC link does not match the preceding event",
    ProblemKind.BAD_MAC: "MAC does not match the event's content (edited, inserted or moved)",
    ProblemKind.ARCHIVED_ROW: "event at or before the archive anchor is still in the table",
    ProblemKind.BAD_ANCHOR: "archive anchor signature does not verify",
    ProblemKind.TAIL_CUT: "a signed checkpoint names an event beyond the end of the log",
    ProblemKind.CHECKPOINT_MISMATCH: "log MAC at a signed checkpoint differs from the checkpoint",
    ProblemKind.BAD_CHECKPOINT: "checkpoint is unreadable, or its signature does not verify",
    ProblemKind.EMPTY_LOG: "the log is empty but checkpoints, anchors or counters name events",
    ProblemKind.BELOW_EVIDENCE: "the log ends below a seq the database recorded elsewhere",
    ProblemKind.HEAD_MISMATCH: "the event at the head counter's seq is not the one it recorded",
}


@dataclass(frozen=True)
class Evidence:
    """What the database holds outside audit_events about how far the log has gone."""

    head_seq: int = 0  # the head counter (audit_head), advanced with each append
    head_mac: bytes | None = None
    scan_seq: int = 0  # audit_alert_scan_state.last_seq: the alert scan read up to here
    anchor_seq: int = 0  # the newest archive anchor, valid or not

    def named(self) -> list[tuple[str, int]]:
        """(what, seq) pairs the log's head must reach."""
        return [
            ("head counter", self.head_seq),
            ("alert scan state", self.scan_seq),
            ("archive anchor", self.anchor_seq),
        ]


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
# and the MACs together at 10^6 rows.
_SELECT = f"SELECT {', '.join(COLUMN_NAMES)} FROM audit_events WHERE seq > {{p}}"  # noqa: S608
_BATCH = _SELECT + " ORDER BY seq LIMIT {p}"
_BATCH_UNTIL = _SELECT + " AND seq <= {p} ORDER BY seq LIMIT {p}"
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}

# The walk reads each event as (seq, canonical form, prev_mac, MAC): the database writes the
# canonical form (chain.canonical_values) itself, in C, instead of handing over sixteen values
# for Python to convert and encode (on PostgreSQL two thirds of the client's time per event;
# on SQLite, where the guard below costs about as much as the encoding, an eighth).
# Where the database cannot be shown to write exactly the bytes canonical_values() would, it
# writes NULL and the event is read whole and encoded in Python (_exact_row): the report is
# the same, problem for problem.
#
# SQLite: json_array() escapes strings as Python's encoder does (\" \\ \b \f \n \r \t, other
# control characters as \u00xx, everything else as is) and prints integers alike. The guard
# lets through only values both encode identically: integers, text and NULL; a time stored
# as SQLAlchemy writes it ('YYYY-MM-DD HH:MM:SS.ffffff', a real date and time, year 1000 or
# later), whose microseconds since 1970 are computed exactly, in integers; an outcome that is
# text (str(None) would be "None"); is_break_glass an integer 0 or 1 (bool('0') is true); both
# MACs blobs. Anything else (edited in by hand) takes the Python path.
_ANY = "typeof({c}) IN ('integer', 'text', 'null')"
_D2 = "[0-9][0-9]"
_SQLITE_TIME = f"[1-9][0-9]{_D2}-{_D2}-{_D2} {_D2}:{_D2}:{_D2}.{_D2}{_D2}{_D2}"
_SQLITE_GUARD = " AND ".join(
    [
        "typeof(occurred_at) = 'text'",
        f"occurred_at GLOB '{_SQLITE_TIME}'",
        # The seconds computed below, written back, give the text stored: a real date and
        # time (datetime() alone passes 2026-02-30 through, which Python refuses).
        "datetime(strftime('%s', substr(occurred_at, 1, 19)), 'unixepoch')"
        " = substr(occurred_at, 1, 19)",
        *(_ANY.format(c=name) for name in CHAINED_FIELDS[2:13]),
        "typeof(outcome) = 'text'",
        _ANY.format(c="reason"),
        "typeof(is_break_glass) = 'integer'",
        "is_break_glass IN (0, 1)",
        "typeof(prev_mac) = 'blob'",
        "typeof(mac) = 'blob'",
    ]
)
_SQLITE_CANONICAL = (
    f"CASE WHEN {_SQLITE_GUARD} THEN CAST(json_array('{FORMAT_TAG}', seq, "
    "CAST(strftime('%s', substr(occurred_at, 1, 19)) AS INTEGER) * 1000000"
    " + CAST(substr(occurred_at, 21) AS INTEGER), "
    f"{', '.join(CHAINED_FIELDS[2:15])}, "
    "json(CASE WHEN is_break_glass THEN 'true' ELSE 'false' END)) AS BLOB) END"
)


# PostgreSQL: the columns are typed, so no value needs a guard but the outcome (NULL would be
# "None" in Python); to_json() escapes text exactly as Python does (a NUL cannot be stored),
# bigint prints as Python prints an int, and EXTRACT(EPOCH) of a timestamptz is an exact
# numeric from PostgreSQL 14 on (before, a float: those servers take the Python path, as does
# a table whose column types are not the ones below). Sent in binary: bytea as is.
def _pg_text(name: str) -> str:
    return f"COALESCE(to_json({name})::text, 'null')"


def _pg_int(name: str) -> str:
    return f"COALESCE({name}::text, 'null')"


_PG_CANONICAL = (
    "convert_to("
    + " || ',' || ".join(
        [
            f"'[\"{FORMAT_TAG}\",' || seq::text",
            "(EXTRACT(EPOCH FROM occurred_at) * 1000000)::bigint::text",
            _pg_int("actor_id"),
            *(_pg_text(name) for name in CHAINED_FIELDS[3:8]),
            _pg_int("case_id"),
            *(_pg_text(name) for name in CHAINED_FIELDS[9:13]),
            "to_json(outcome)::text",  # NULL makes the whole form NULL: the Python path
            _pg_text("reason"),
            "CASE WHEN is_break_glass THEN 'true]' ELSE 'false]' END",
        ]
    )
    + ", 'UTF8')"
)
# Type OIDs the PostgreSQL form is written for, per column (int8/int4, timestamptz,
# varchar/text, bool, bytea).
_INT, _TEXT = frozenset({20, 23}), frozenset({1043, 25})
_PG_TYPES = (
    _INT,
    frozenset({1184}),
    _INT,
    *(_TEXT,) * 5,
    _INT,
    *(_TEXT,) * 6,
    frozenset({16}),
    frozenset({17}),
    frozenset({17}),
)
_CANONICAL = {"sqlite": _SQLITE_CANONICAL, "postgresql": _PG_CANONICAL}


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
    yield from _batches(conn, batch_sql, after_seq, batch_size, until_seq)


def _batches(
    conn: Connection,
    sql: str,
    after_seq: int,
    batch_size: int,
    until_seq: int | None,
    binary: bool = False,
) -> Iterator[list]:
    driver = conn.connection.driver_connection
    last = after_seq
    while True:
        params = (last, batch_size) if until_seq is None else (last, until_seq, batch_size)
        cursor = driver.cursor(binary=True) if binary else driver.cursor()
        try:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        finally:
            cursor.close()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _exact_row(raw: Sequence[Any]) -> tuple[int, bytes, bytes, bytes]:
    """(seq, canonical form, prev_mac, MAC) of a raw row, converted in Python."""
    return raw[0], canonical_values(raw), bytes(raw[_N]), bytes(raw[_N + 1])


def _database_form(conn: Connection) -> str | None:
    """The SQL expression of the canonical form for this database, or None (Python path)."""
    name = conn.dialect.name
    if name == "postgresql":
        if conn.dialect.driver != "psycopg" or conn.dialect.server_version_info < (14,):
            return None
        cursor = conn.connection.driver_connection.cursor()
        try:
            cursor.execute(_SELECT.replace("{p}", "%s") + " AND false", (0,))
            types = [column.type_code for column in cursor.description]
        finally:
            cursor.close()
        if any(oid not in allowed for oid, allowed in zip(types, _PG_TYPES, strict=True)):
            return None
    elif name == "sqlite":
        cursor = conn.connection.driver_connection.cursor()
        try:
            cursor.execute("SELECT json_array(1)")
        except conn.dialect.dbapi.Error:
            return None  # a SQLite built without JSON
        finally:
            cursor.close()
    return _CANONICAL.get(name)


def iter_chain(
    conn: Connection,
    after_seq: int = 0,
    batch_size: int = BATCH_SIZE,
    *,
    until_seq: int | None = None,
) -> Iterator[list[tuple[int, bytes, bytes, bytes]]]:
    """Yield the events after `after_seq` (up to `until_seq`) in seq order, a batch at a time,
    each as (seq, canonical form, prev_mac, MAC): what walk_events reads."""
    form = _database_form(conn)
    placeholder = _PLACEHOLDERS[conn.dialect.paramstyle]
    if form is None:
        for rows in iter_events(conn, after_seq, batch_size, until_seq=until_seq):
            yield [_exact_row(row) for row in rows]
        return
    sql = f"SELECT seq, {form}, prev_mac, mac FROM audit_events WHERE seq > {{p}}"  # noqa: S608
    sql += "" if until_seq is None else " AND seq <= {p}"
    sql += " ORDER BY seq LIMIT {p}"
    binary = conn.dialect.name == "postgresql"
    for rows in _batches(conn, sql.replace("{p}", placeholder), after_seq, batch_size, until_seq,
                         binary):  # fmt: skip
        if any(row[1] is None for row in rows):
            # Values not shown to encode alike: read this batch whole, encode those in Python.
            raw = {
                row[0]: row
                for batch in iter_events(conn, rows[0][0] - 1, batch_size, until_seq=rows[-1][0])
                for row in batch
            }
            rows = [_exact_row(raw[row[0]]) if row[1] is None else row for row in rows]
        yield rows


def count_estimate(conn: Connection, after_seq: int = 0) -> int:
    """How many events verification will read (from the PK index: max - min + 1)."""
    low, high = conn.execute(
        select(func.min(AuditEvent.seq), func.max(AuditEvent.seq)).where(AuditEvent.seq > after_seq)
    ).one()
    return 0 if low is None else high - low + 1


@dataclass
class Walk:
    """What a walk over consecutive events found: its first event (seq, prev_mac) and its last
    (seq, MAC), whose link to their neighbours the join checks, and the problems in between."""

    events: int = 0
    first: tuple[int, bytes] | None = None
    last: tuple[int, bytes] | None = None
    problems: list[Problem] = field(default_factory=list)
    problems_total: int = 0
    macs_at: dict[int, bytes] = field(default_factory=dict)


def walk_events(
    batches: Iterable[list],
    mac_key: bytes,
    wanted: set[int],
    progress: Callable[[int], None] | None = None,
) -> Walk:
    """Check a run of events in seq order: no gap, each linked to the one before, each MAC
    right; keep the MACs at the `wanted` seqs. The events are (seq, canonical form, prev_mac,
    MAC), as iter_chain reads them. The first event's place in the chain (its seq and link)
    is left to the join (join_walks), which knows what comes before it."""
    found = Walk()
    problems = found.problems
    digest, compare = _hmac_digest, hmac.compare_digest
    expected, prev_mac = None, None

    def add(problem: Problem) -> None:
        found.problems_total += 1
        if len(problems) < MAX_PROBLEMS:
            problems.append(problem)

    for rows in batches:
        for seq, form, row_prev, row_mac in rows:
            if seq != expected:
                if expected is None:
                    found.first = (seq, row_prev)
                else:
                    add(Problem(expected, ProblemKind.MISSING, f"next present: {seq}"))
            elif row_prev != prev_mac:
                add(Problem(seq, ProblemKind.BROKEN_LINK))
            if not compare(digest(mac_key, row_prev + form, "sha256"), row_mac):
                add(Problem(seq, ProblemKind.BAD_MAC))
            if seq in wanted:
                found.macs_at[seq] = row_mac
            expected = seq + 1
            prev_mac = row_mac
        found.events += len(rows)
        if progress is not None:
            progress(len(rows))
    if expected is not None:
        found.last = (expected - 1, prev_mac)
    return found


def join_walks(report: VerifyReport, walks: Iterable[Walk]) -> dict[int, bytes]:
    """Join walks over consecutive ranges of seq (in order) into the report, as one walk from
    the report's start would have found it: each walk's first event must come next after the
    last event before it and link to its MAC. Returns the MACs kept at the wanted seqs."""
    expected, prev_mac = report.start_seq + 1, report.start_mac
    macs_at: dict[int, bytes] = {}
    for found in walks:
        if found.first is not None:
            seq, first_prev = found.first
            if seq != expected:
                report.add(Problem(expected, ProblemKind.MISSING, f"next present: {seq}"))
            elif first_prev != prev_mac:
                report.add(Problem(seq, ProblemKind.BROKEN_LINK))
        for problem in found.problems:
            report.add(problem)
        report.problems_total += found.problems_total - len(found.problems)
        report.events_checked += found.events
        macs_at.update(found.macs_at)
        if found.last is not None:
            expected, prev_mac = found.last[0] + 1, found.last[1]
    report.last_seq = expected - 1
    report.head_mac = prev_mac
    return macs_at


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
    evidence: Evidence | None = None,
    tail_from: Checkpoint | None = None,
    segments: Callable[[int, set[int]], Iterable[Walk]] | None = None,
) -> VerifyReport:
    """Verify the whole log (or its tail) and the checkpoints and evidence against it.

    For each event: its seq is the one expected (no gap), its prev_mac is the preceding
    event's MAC (no broken link), and HMAC(key, prev_mac || canonical) equals its MAC (no
    edit). Then every checkpoint must be validly signed by a trusted key, lie within the log
    (else the tail was cut) and name the MAC the log holds at its seq; the log must reach the
    evidence (head counter, alert scan state, anchors) and must not be empty when any exists.
    With `tail_from` (a validly signed checkpoint), only the events after it are read, from
    its MAC, once the log is shown to hold that MAC at its seq: what the app does at each
    automatic checkpoint. With `segments` (audit.parallel), the events after the start are
    walked in ranges of seq apart, then joined: the same checks, the same report.
    """
    report = VerifyReport()
    _check_anchors(conn, trusted, report)
    anchor_seq = report.start_seq
    evidence = evidence or Evidence()
    checkpoints = list(checkpoints)
    if tail_from is not None and tail_from.seq > anchor_seq:
        checkpoints = [c for c in checkpoints if c.seq is None or c.seq >= tail_from.seq]
        _start_at_checkpoint(conn, tail_from, report)
    wanted = {c.seq for c in checkpoints if c.seq is not None} | {evidence.head_seq}
    # Rows still present at or before the anchor (archive interrupted, or rows put back).
    stray = conn.execute(
        select(func.min(AuditEvent.seq), func.count()).where(AuditEvent.seq <= anchor_seq)
    ).one()
    if stray[1]:
        report.add(Problem(stray[0], ProblemKind.ARCHIVED_ROW, f"{stray[1]} rows"))
    if segments is not None and tail_from is None:
        walks = segments(report.start_seq, wanted)
    else:
        walks = [walk_events(iter_chain(conn, report.start_seq, batch_size), mac_key, wanted,
                             progress=progress)]  # fmt: skip
    macs_at = join_walks(report, walks)
    _check_checkpoints(checkpoints, trusted, macs_at, report)
    _check_evidence(conn, evidence, checkpoints, macs_at, report)
    return report


def _start_at_checkpoint(conn: Connection, checkpoint: Checkpoint, report: VerifyReport) -> None:
    """Start the walk after a checkpoint, once the log is shown to hold its MAC at its seq."""
    mac = conn.execute(select(AuditEvent.mac).where(AuditEvent.seq == checkpoint.seq)).scalar()
    if mac is None:
        return  # walk from the anchor: the missing event is reported where it is found
    if bytes(mac) != checkpoint.head_mac:
        report.add(Problem(checkpoint.seq, ProblemKind.CHECKPOINT_MISMATCH, checkpoint.path.name))
    report.start_seq, report.start_mac = checkpoint.seq, bytes(mac)


def _check_evidence(
    conn: Connection,
    evidence: Evidence,
    checkpoints: list[Checkpoint],
    macs_at: dict[int, bytes],
    report: VerifyReport,
) -> None:
    """The log must reach every seq recorded outside it, and hold the head counter's MAC."""
    present = conn.execute(select(func.count()).select_from(AuditEvent)).scalar()
    recorded = [seq for _, seq in evidence.named() if seq > 0]
    if not present and (recorded or checkpoints or report.anchors_checked):
        report.add(Problem(report.last_seq + 1, ProblemKind.EMPTY_LOG))
    for what, seq in evidence.named():
        if seq > report.last_seq:
            report.add(
                Problem(
                    report.last_seq + 1,
                    ProblemKind.BELOW_EVIDENCE,
                    f"{what} reached seq {seq}, the log ends at {report.last_seq}",
                )
            )
    head = evidence.head_seq
    in_range = evidence.head_mac is not None and report.start_seq < head <= report.last_seq
    if in_range and macs_at.get(head) != evidence.head_mac:
        report.add(Problem(head, ProblemKind.HEAD_MISMATCH))


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
