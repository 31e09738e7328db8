"""record(): chained appends, gap-free sequence, no values in the trail, several processes."""

from __future__ import annotations

import multiprocessing

import pytest
from sqlalchemy import select

from casemgr import create_app
from casemgr.audit import record
from casemgr.audit.chain import compute_mac
from casemgr.audit.models import AuditEvent
from casemgr.audit.recorder import REASON_MAX_LENGTH, chain_head
from casemgr.audit.services import verify_chain
from casemgr.crypto.keyfile import new_key_document
from casemgr.extensions import db as _db
from tests import conftest
from tests.audit.synthetic import create_audit_tables
from tests.audit.writer_process import append_events
from tests.dbsetup import fresh_database

WRITERS = 4
PER_WRITER = 25


def test_each_event_chains_to_the_previous_one(app, db):
    first = record("test.one", actor=None, object_type="thing", object_id=1)
    second = record("test.two", actor=None, fields=["b", "a"], reason="code")
    key = app.extensions["casemgr.keys"].audit_mac_key
    assert second.seq == first.seq + 1
    assert second.prev_mac == first.mac
    assert second.mac == compute_mac(key, first.mac, second)
    assert second.fields == "a,b"
    assert second.channel == "cli"  # no request context: a command


def test_a_rolled_back_append_leaves_no_gap(app, db):
    before, _ = chain_head(db.session)
    savepoint = db.session.begin_nested()
    record("test.dropped", actor=None)
    savepoint.rollback()
    kept = record("test.kept", actor=None)
    assert kept.seq == before + 1


def test_the_chain_continues_after_commits(app, db):
    for number in range(5):
        record("test.commit", actor=None, object_id=number)
        db.session.commit()  # releases the test's savepoint: each append sees the last
    report = verify_chain(checkpoint_folder="/nonexistent")
    assert report.ok, report.problems[:3]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"fields": ["Nguyễn Văn A"]},  # a value where a field name belongs
        {"fields": ["national_id=012345678901"]},
        {"object_type": "Case 12"},
        {"reason": "x" * (REASON_MAX_LENGTH + 1)},
        {"object_id": "9" * 65},
    ],
    ids=["name-as-field", "value-in-field", "object-type", "long-reason", "long-object-id"],
)
def test_values_cannot_be_smuggled_into_the_trail(app, db, kwargs):
    before = chain_head(db.session)
    with pytest.raises(ValueError) as caught:
        record("test.smuggle", actor=None, **kwargs)
    assert "Nguyễn" not in str(caught.value) and "0123" not in str(caught.value)
    assert chain_head(db.session) == before


def test_action_names_are_identifiers(app, db):
    with pytest.raises(ValueError):
        record("case viewed by Nguyễn", actor=None)


def test_reason_control_characters_are_collapsed(app, db):
    event = record("test.reason", actor=None, reason="line one\r\nline two\x00")
    assert event.reason == "line one line two"


def test_concurrent_writers_leave_one_linear_chain():
    """Several OS processes append through record() at once; the chain stays linear and valid.

    With the append lock taken out of record(), this fails on both databases (duplicate seq,
    "database is locked", or a broken chain): the writers do contend.
    """
    keys = new_key_document()
    with fresh_database("audit_writers") as url:
        app = create_app(conftest.app_config(url, keys))
        with app.app_context():
            create_audit_tables(_db.engine)  # all record() needs; quicker than every migration
            _db.engine.dispose()
        # Fresh processes (no connection inherited from this one), forked from a server that
        # imported the app once: much quicker than "spawn", which imports it in every writer.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["casemgr", "tests.audit.writer_process"])
        barrier = context.Barrier(WRITERS)
        processes = [
            context.Process(target=append_events, args=(url, keys, worker, PER_WRITER, barrier))
            for worker in range(WRITERS)
        ]
        for process in processes:
            process.start()
        for process in processes:
            process.join(timeout=120)
        assert [p.exitcode for p in processes] == [0] * WRITERS
        with app.app_context():
            report = verify_chain(checkpoint_folder=url)  # no checkpoints there
            rows = _db.session.execute(
                select(AuditEvent.seq, AuditEvent.object_id).order_by(AuditEvent.seq)
            ).all()
            _db.session.remove()
            _db.engine.dispose()
    assert report.ok, report.problems[:3]
    assert report.events_checked == WRITERS * PER_WRITER
    assert [row.seq for row in rows] == list(range(1, WRITERS * PER_WRITER + 1))
    tags = [tuple(map(int, row.object_id.split(":"))) for row in rows]
    assert sorted(tags) == [(w, n) for w in range(WRITERS) for n in range(PER_WRITER)]
    for worker in range(WRITERS):  # each writer's events in the order it wrote them
        assert [n for w, n in tags if w == worker] == list(range(PER_WRITER))
