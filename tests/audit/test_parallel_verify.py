"""Verification in parallel processes finds what the sequential walk finds, at the same seqs.

The log is committed (the workers read it on connections of their own), tampered at the
borders of the ranges the workers take and inside them, then verified both ways.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from casemgr.audit.checkpoints import load_checkpoints, write_checkpoint
from casemgr.audit.models import AuditEvent
from casemgr.audit.parallel import RANGES_PER_WORKER, parallel_segments
from casemgr.audit.signing import Signer, TrustedKeys
from casemgr.audit.verify import ProblemKind, verify_log
from tests.audit.synthetic import synthetic_log

N = 16_000
WORKERS = 2
STEP = N // (WORKERS * RANGES_PER_WORKER)  # 2,000: ranges end at 2,000, 4,000, ...
MAC_KEY = secrets.token_bytes(32)
SIGNER = Signer.from_seed(secrets.token_bytes(32))
TRUSTED = TrustedKeys([SIGNER.public_key])
EVENTS = AuditEvent.__table__


@pytest.fixture(scope="module")
def engine() -> Iterator[sa.Engine]:
    with synthetic_log("audit_parallel", MAC_KEY, N) as engine:
        yield engine


def both(engine: sa.Engine, checkpoints=()) -> tuple:
    """The sequential report and the parallel one, as comparable values."""
    reports = []
    with engine.connect() as conn:
        for workers in (1, WORKERS):
            segments = parallel_segments(conn, MAC_KEY, workers, batch_size=500, min_events=0)
            assert (segments is None) == (workers == 1)
            report = verify_log(
                conn, MAC_KEY, trusted=TRUSTED, checkpoints=checkpoints, segments=segments
            )
            reports.append(
                (
                    [(p.seq, p.kind, p.detail) for p in report.problems],
                    report.problems_total,
                    report.events_checked,
                    report.last_seq,
                    report.head_mac,
                    report.checkpoints_checked,
                )
            )
    return tuple(reports)


def checkpoint_at(engine: sa.Engine, folder, seq: int):
    with engine.connect() as conn:
        mac = conn.execute(sa.select(EVENTS.c.mac).where(EVENTS.c.seq == seq)).scalar_one()
    return write_checkpoint(folder, SIGNER, seq, bytes(mac), dt.datetime.now(dt.UTC))


def test_an_untouched_log_verifies_both_ways_with_its_checkpoints(engine, tmp_path):
    for seq in (STEP, STEP + 1, N // 2, N):  # on range borders and inside a range
        checkpoint_at(engine, tmp_path, seq)
    sequential, parallel = both(engine, load_checkpoints(tmp_path))
    assert sequential == parallel
    assert sequential[:4] == ([], 0, N, N) and sequential[5] == 4


def test_tampering_at_and_between_range_borders_is_found_at_the_same_seqs(engine, tmp_path):
    # A signed checkpoint beyond the end: the tail after it was cut (the ranges still end at N).
    write_checkpoint(tmp_path, SIGNER, N + 50, secrets.token_bytes(32), dt.datetime.now(dt.UTC))
    with engine.begin() as conn:
        select = sa.select(EVENTS)
        row = {seq: dict(conn.execute(select.where(EVENTS.c.seq == seq)).mappings().one())
               for seq in (3 * STEP, 3 * STEP + 1)}  # fmt: skip
        # An edit on each side of a border.
        for seq in (STEP, STEP + 1):
            conn.execute(sa.update(EVENTS).where(EVENTS.c.seq == seq).values(reason="hidden"))
        # Two events deleted across the next border.
        conn.execute(sa.delete(EVENTS).where(EVENTS.c.seq.in_([2 * STEP, 2 * STEP + 1])))
        # Two events swapped across the third.
        conn.execute(sa.delete(EVENTS).where(EVENTS.c.seq.in_(list(row))))
        conn.execute(
            sa.insert(EVENTS),
            [{**row[3 * STEP], "seq": 3 * STEP + 1}, {**row[3 * STEP + 1], "seq": 3 * STEP}],
        )
        # A link cut at the first event of a range, and an event in the middle of one.
        for seq in (4 * STEP + 1, 5 * STEP + 777):
            conn.execute(sa.update(EVENTS).where(EVENTS.c.seq == seq).values(prev_mac=b"\x01" * 32))
    sequential, parallel = both(engine, load_checkpoints(tmp_path))
    assert sequential == parallel
    found = {(seq, kind) for seq, kind, _detail in sequential[0]}
    assert {
        (STEP, ProblemKind.BAD_MAC),
        (STEP + 1, ProblemKind.BAD_MAC),
        (2 * STEP, ProblemKind.MISSING),
        (3 * STEP, ProblemKind.BROKEN_LINK),
        (3 * STEP + 1, ProblemKind.BROKEN_LINK),
        (4 * STEP + 1, ProblemKind.BROKEN_LINK),
        (4 * STEP + 1, ProblemKind.BAD_MAC),
        (5 * STEP + 777, ProblemKind.BROKEN_LINK),
        (N + 1, ProblemKind.TAIL_CUT),
    } <= found
    assert sequential[3] == N
