"""A request's audit events are appended at its commit: the chain's lock is not held meanwhile."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import select

from casemgr import create_app
from casemgr.audit import record
from casemgr.audit.models import AuditEvent
from casemgr.audit.recorder import APPEND_LOCK_ID, chain_head
from casemgr.audit.services import verify_chain
from casemgr.crypto.keyfile import new_key_document
from casemgr.extensions import db as _db
from tests import conftest
from tests.audit.synthetic import create_audit_tables
from tests.dbsetup import fresh_database


def test_a_request_appends_its_events_in_order_when_it_commits(app, db):
    before, _ = chain_head(db.session)
    with app.test_request_context("/cases/1"):
        events = [record("test.view", actor=None, object_id=n) for n in range(3)]
        assert [event.seq for event in events] == [None] * 3  # queued, not yet in the chain
        assert chain_head(db.session)[0] == before
        db.session.commit()
    assert [event.seq for event in events] == [before + 1, before + 2, before + 3]
    assert events[1].prev_mac == events[0].mac and events[2].prev_mac == events[1].mac
    assert verify_chain(checkpoint_folder="/nonexistent").ok


def test_a_request_that_rolls_back_appends_nothing(app, db):
    before = chain_head(db.session)
    with app.test_request_context("/cases/1"):
        record("test.dropped", actor=None)
        db.session.rollback()
        kept = record("test.kept", actor=None)
        db.session.commit()
    assert kept.seq == before[0] + 1
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.seq > before[0]))
    assert list(actions) == ["test.kept"]


def test_a_read_of_the_trail_in_the_request_sees_the_committed_chain(app, db):
    with app.test_request_context("/audit/events"):
        event = record("test.search", actor=None, object_type="thing", object_id="read-back")
        found = db.session.scalars(select(AuditEvent).where(AuditEvent.object_id == "read-back"))
        assert list(found) == [] and event.seq is None  # still queued: the read took no lock
        db.session.commit()
    found = db.session.scalars(select(AuditEvent).where(AuditEvent.object_id == "read-back"))
    assert [e.action for e in found] == ["test.search"]


def test_an_event_in_a_savepoint_rolls_back_with_it(app, db):
    before, _ = chain_head(db.session)
    with app.test_request_context("/jobs/1"):
        outer = record("test.outer", actor=None)
        savepoint = db.session.begin_nested()
        inner = record("test.inner", actor=None)
        savepoint.rollback()
        kept = db.session.begin_nested()
        committed = record("test.committed", actor=None)
        kept.commit()
        db.session.commit()
    assert inner.seq is None  # went with its savepoint
    assert (outer.seq, committed.seq) == (before + 1, before + 2)
    assert chain_head(db.session)[0] == before + 2


def test_immediate_gives_the_seq_at_once(app, db):
    before, _ = chain_head(db.session)
    with app.test_request_context("/auth/mfa"):
        event = record("test.alerted", actor=None, immediate=True)
        assert event.seq == before + 1


@pytest.fixture
def own_database() -> Iterator[tuple[Flask, str]]:
    """An app on a database of its own, so that no test fixture's transaction holds a lock."""
    with fresh_database("audit_deferred") as url:
        app = create_app(conftest.app_config(url, new_key_document()))
        with app.app_context():
            create_audit_tables(_db.engine)
        yield app, url
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()


def _lock_is_free(url: str) -> bool:
    """Whether another connection could take the chain's append lock now."""
    if url.startswith("sqlite"):
        other = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")  # the write lock that an append takes
            other.rollback()
            return True
        except sqlite3.OperationalError:  # database is locked
            return False
        finally:
            other.close()
    engine = sa.create_engine(url)
    try:
        with engine.connect() as other:
            free = other.scalar(sa.text(f"SELECT pg_try_advisory_xact_lock({APPEND_LOCK_ID})"))
            return bool(free)
    finally:
        engine.dispose()


def test_the_chain_lock_is_free_until_the_request_commits(own_database):
    app, url = own_database
    with app.test_request_context("/cases/1"):
        record("test.view", actor=None)
        _db.session.execute(sa.text("SELECT 1"))  # the page goes on reading and rendering
        assert _lock_is_free(url)
        _db.session.scalars(sa.select(AuditEvent)).all()  # an audit page reads the trail
        assert _lock_is_free(url)
        # The check can fail: an append held now keeps the lock until the commit.
        record("test.now", actor=None, immediate=True)
        assert not _lock_is_free(url)
        _db.session.commit()
        assert _lock_is_free(url)
    with app.app_context():
        assert verify_chain(checkpoint_folder=url).events_checked == 2


def test_an_event_recorded_by_the_commits_own_flush_is_kept(app, db, make):
    from sqlalchemy import event

    from casemgr.auth.roles import Role

    user = make.user(Role.SOCIAL_WORKER)
    before, _ = chain_head(db.session)
    recorded = []

    def record_in_flush(session, flush_context, instances) -> None:
        recorded.append(record("test.in_flush", actor=None))

    session = db.session()
    with app.test_request_context("/admin/users"):
        user.display_name = "Người dùng thử"  # flushed by the commit, not before
        event.listen(session, "before_flush", record_in_flush)
        try:
            db.session.commit()
        finally:
            event.remove(session, "before_flush", record_in_flush)
    assert [e.seq for e in recorded] == [before + 1]  # appended at once, not queued and lost
    assert chain_head(db.session)[0] == before + 1
