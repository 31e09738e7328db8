"""L3 tamper evidence on a log of 10^5 events: every kind of tampering found at the right seq.

The log is built once per module in a database of its own; each test tampers inside a
transaction that is rolled back, then verifies through the same connection.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from casemgr.audit.anchors import ANCHOR_DOMAIN, anchor_body
from casemgr.audit.chain import compute_mac
from casemgr.audit.checkpoints import load_checkpoints, write_checkpoint
from casemgr.audit.models import AuditAnchor, AuditEvent
from casemgr.audit.signing import Signer, TrustedKeys
from casemgr.audit.verify import ProblemKind, verify_log
from tests.audit.synthetic import synthetic_log

N = 100_000
MAC_KEY = secrets.token_bytes(32)
SIGNER = Signer.from_seed(secrets.token_bytes(32))
TRUSTED = TrustedKeys([SIGNER.public_key])
EVENTS = AuditEvent.__table__


@pytest.fixture(scope="module")
def engine() -> Iterator[sa.Engine]:
    with synthetic_log("audit_tamper", MAC_KEY, N) as engine:
        yield engine


@pytest.fixture
def conn(engine) -> Iterator[sa.Connection]:
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            yield conn
        finally:
            transaction.rollback()


def verify(conn, checkpoints=()):
    return verify_log(conn, MAC_KEY, trusted=TRUSTED, checkpoints=checkpoints)


def event(conn, seq: int) -> dict:
    return dict(conn.execute(sa.select(EVENTS).where(EVENTS.c.seq == seq)).mappings().one())


def renumber(conn, from_seq: int, shift: int) -> None:
    """Move seq >= from_seq by `shift` without tripping the primary key half-way."""
    conn.execute(sa.update(EVENTS).where(EVENTS.c.seq >= from_seq).values(seq=-EVENTS.c.seq))
    conn.execute(sa.update(EVENTS).where(EVENTS.c.seq < 0).values(seq=-EVENTS.c.seq + shift))


def checkpoint_at(conn, folder: Path, seq: int, signer: Signer = SIGNER) -> Path:
    mac = conn.execute(sa.select(EVENTS.c.mac).where(EVENTS.c.seq == seq)).scalar_one()
    return write_checkpoint(folder, signer, seq, bytes(mac), dt.datetime.now(dt.UTC))


def test_untouched_log_verifies(conn, tmp_path):
    checkpoint_at(conn, tmp_path, N // 2)
    checkpoint_at(conn, tmp_path, N)
    report = verify(conn, load_checkpoints(tmp_path))
    assert report.ok, report.problems[:3]
    assert (report.events_checked, report.last_seq, report.checkpoints_checked) == (N, N, 2)


def test_edited_events_are_each_found_at_their_seq(conn):
    # One column edited per event, first and last events included.
    edits = {
        1: {"action": "case.update"},
        31_337: {"actor_name": "worker999"},
        50_000: {"case_id": 4},
        64_000: {"fields": "narrative"},
        77_777: {"occurred_at": dt.datetime(2026, 1, 6, tzinfo=dt.UTC)},
        88_888: {"is_break_glass": True},
        N: {"outcome": "denied"},
    }
    for seq, values in edits.items():
        conn.execute(sa.update(EVENTS).where(EVENTS.c.seq == seq).values(**values))
    report = verify(conn)
    assert [(p.seq, p.kind) for p in report.problems] == [
        (seq, ProblemKind.BAD_MAC) for seq in edits
    ]
    assert report.first_problem.seq == 1


def test_deleted_event_is_found_as_a_gap(conn):
    conn.execute(sa.delete(EVENTS).where(EVENTS.c.seq == 42_000))
    report = verify(conn)
    assert [(p.seq, p.kind) for p in report.problems] == [(42_000, ProblemKind.MISSING)]


def test_deleted_range_renumbered_to_close_the_gap(conn):
    conn.execute(sa.delete(EVENTS).where(EVENTS.c.seq.between(99_000, 99_009)))
    renumber(conn, 99_010, -10)
    report = verify(conn)
    assert report.first_problem.seq == 99_000
    assert {p.kind for p in report.problems if p.seq == 99_000} == {
        ProblemKind.BROKEN_LINK,
        ProblemKind.BAD_MAC,
    }
    assert report.last_seq == N - 10


def test_inserted_event_is_found_at_its_seq(conn):
    # A forger copies a real event, gives it the right prev_mac but cannot compute the MAC.
    forged = event(conn, 98_765)
    renumber(conn, 98_765, 1)
    forged.update(action="case.view", case_id=1, mac=secrets.token_bytes(32))
    conn.execute(sa.insert(EVENTS), forged)
    report = verify(conn)
    assert report.first_problem.seq == 98_765
    assert report.first_problem.kind == ProblemKind.BAD_MAC
    assert report.last_seq == N + 1


def test_event_appended_with_a_wrong_key_is_found(conn):
    last = event(conn, N)
    forged = {**last, "seq": N + 1, "prev_mac": last["mac"], "reason": "cover"}
    forged["mac"] = compute_mac(secrets.token_bytes(32), last["mac"], SimpleNamespace(**forged))
    conn.execute(sa.insert(EVENTS), forged)
    report = verify(conn)
    assert [(p.seq, p.kind) for p in report.problems] == [(N + 1, ProblemKind.BAD_MAC)]


def test_reordered_events_are_found_at_the_first_moved(conn):
    # Swap two whole rows (content and MACs), each taking the other's place in the sequence.
    a, b = event(conn, 20_000), event(conn, 20_500)
    conn.execute(sa.delete(EVENTS).where(EVENTS.c.seq.in_([20_000, 20_500])))
    conn.execute(sa.insert(EVENTS), [{**a, "seq": 20_500}, {**b, "seq": 20_000}])
    report = verify(conn)
    assert report.first_problem.seq == 20_000
    assert {p.seq for p in report.problems} == {20_000, 20_001, 20_500, 20_501}


def test_cut_tail_is_found_by_a_checkpoint(conn, tmp_path):
    checkpoint_at(conn, tmp_path, N - 10)
    conn.execute(sa.delete(EVENTS).where(EVENTS.c.seq > N - 100))
    # Without a checkpoint the shortened chain is self-consistent: that is why checkpoints exist.
    assert verify(conn).ok
    report = verify(conn, load_checkpoints(tmp_path))
    assert [(p.seq, p.kind) for p in report.problems] == [(N - 99, ProblemKind.TAIL_CUT)]


def test_rewritten_chain_with_the_mac_key_is_found_by_a_checkpoint(conn, tmp_path):
    # An insider with the MAC key edits seq 99_000 and recomputes every later MAC.
    checkpoint_at(conn, tmp_path, 99_500)
    prev = event(conn, 98_999)["mac"]
    rows = [event(conn, seq) for seq in range(99_000, N + 1)]
    rows[0]["actor_name"] = "someone_else"
    conn.execute(sa.delete(EVENTS).where(EVENTS.c.seq >= 99_000))
    for row in rows:
        row["prev_mac"] = prev
        row["mac"] = prev = compute_mac(MAC_KEY, prev, SimpleNamespace(**row))
    conn.execute(sa.insert(EVENTS), rows)
    report = verify(conn, load_checkpoints(tmp_path))
    assert [(p.seq, p.kind) for p in report.problems] == [(99_500, ProblemKind.CHECKPOINT_MISMATCH)]


def test_forged_checkpoints_are_found_at_the_seq_they_claim(conn, tmp_path):
    # A genuine checkpoint edited to claim a longer log (to fake a cut tail) ...
    path = checkpoint_at(conn, tmp_path, N)
    document = json.loads(path.read_text())
    document["seq"] = N + 500
    path.write_text(json.dumps(document))
    # ... one made by a forger with a key of their own (public key written beside it) ...
    forger = Signer.from_seed(secrets.token_bytes(32))
    checkpoint_at(conn, tmp_path, 70_000, signer=forger)
    # ... and one that is not even JSON.
    (tmp_path / "checkpoint-000000000077-20260101T000000000000Z.json").write_text("{not json")
    report = verify(conn, load_checkpoints(tmp_path))
    found = sorted((p.seq, p.kind, p.detail.split(": ")[-1]) for p in report.problems)
    assert found == [
        (77, ProblemKind.BAD_CHECKPOINT, "unreadable"),
        (70_000, ProblemKind.BAD_CHECKPOINT, "unknown key"),
        (N + 500, ProblemKind.BAD_CHECKPOINT, "bad signature"),
    ]
    assert report.first_problem.seq == 77


def test_forged_anchor_hiding_deleted_events_is_found(conn):
    # Delete the first 1,000 events and add an anchor there, signed with another key.
    mac = event(conn, 1_000)["mac"]
    conn.execute(sa.delete(EVENTS).where(EVENTS.c.seq <= 1_000))
    anchor = SimpleNamespace(
        seq=1_000,
        mac=mac,
        first_seq=1,
        archive_name="audit-archive-000000000001-000000001000.jsonl.gz",
        archive_sha256="0" * 64,
        archived_at=dt.datetime.now(dt.UTC),
        key_id=SIGNER.key_id,
    )
    forger = Signer.from_seed(secrets.token_bytes(32))
    anchor.signature = forger.sign(ANCHOR_DOMAIN, anchor_body(anchor))
    conn.execute(sa.insert(AuditAnchor.__table__), vars(anchor))
    report = verify(conn)
    # The anchor fails, so verification starts at seq 1, which is gone.
    assert [(p.seq, p.kind) for p in report.problems] == [
        (1_000, ProblemKind.BAD_ANCHOR),
        (1, ProblemKind.MISSING),
    ]
    assert report.first_problem.seq == 1


def test_genuine_anchor_lets_the_rest_verify(conn):
    mac = event(conn, 1_000)["mac"]
    conn.execute(sa.delete(EVENTS).where(EVENTS.c.seq <= 1_000))
    anchor = SimpleNamespace(
        seq=1_000,
        mac=mac,
        first_seq=1,
        archive_name="audit-archive-000000000001-000000001000.jsonl.gz",
        archive_sha256="0" * 64,
        archived_at=dt.datetime.now(dt.UTC),
        key_id=SIGNER.key_id,
    )
    anchor.signature = SIGNER.sign(ANCHOR_DOMAIN, anchor_body(anchor))
    conn.execute(sa.insert(AuditAnchor.__table__), vars(anchor))
    report = verify(conn)
    assert report.ok, report.problems[:3]
    assert (report.start_seq, report.events_checked) == (1_000, N - 1_000)
