"""SQLite under concurrent requests: a writer waits for the lock instead of failing.

Every audited request writes (its audit event) and commits; on the rollback journal a commit
needs every reader gone, so a slow page's long SELECT made the others' commits fail with
"database is locked" (503 under the bench's 8 connections). casemgr.db.configure_sqlite puts
the database in WAL mode, where readers and the writer do not block each other.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from casemgr import create_app
from casemgr.extensions import db
from tests.conftest import app_config
from tests.dbsetup import base_url, fresh_database

pytestmark = pytest.mark.skipif(base_url() is not None, reason="SQLite's locking only")


@pytest.fixture
def scratch_app(keys: dict) -> Iterator[Flask]:
    """An app on a database of its own, with one table of 2,000 rows."""
    with fresh_database("locking") as url:
        app = create_app(app_config(url, keys))
        with app.app_context():
            with db.engine.begin() as conn:
                conn.exec_driver_sql("CREATE TABLE scratch (id INTEGER PRIMARY KEY, v TEXT)")
                conn.exec_driver_sql(
                    "INSERT INTO scratch (v) VALUES (?)", [("row",) for _ in range(2000)]
                )
            yield app
            db.engine.dispose()


def _write_in_thread(app: Flask, errors: list[Exception]) -> threading.Thread:
    def write() -> None:
        with app.app_context():
            try:
                with db.engine.begin() as conn:
                    conn.exec_driver_sql("INSERT INTO scratch (v) VALUES ('new')")
            except sa.exc.OperationalError as exc:  # "database is locked"
                errors.append(exc)

    return threading.Thread(target=write)


def test_a_commit_is_not_refused_while_a_long_read_is_running(scratch_app):
    """A reader in the middle of a statement (a slow page's GROUP BY) does not stop another
    request from committing its write: before WAL this failed with "database is locked"."""
    errors: list[Exception] = []
    with scratch_app.app_context(), db.engine.connect() as reader:
        rows = reader.exec_driver_sql("SELECT id, v FROM scratch ORDER BY id")
        assert rows.fetchone() is not None  # the statement is open: the reader holds its read
        writer = _write_in_thread(scratch_app, errors)
        writer.start()
        writer.join()  # finishes with or without the reader: it never waits for it
        assert len(rows.fetchall()) == 1999  # the reader's snapshot is unchanged
        rows.close()
    assert errors == []
    with scratch_app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM scratch").scalar() == 2001


def test_writers_queue_for_the_write_lock(scratch_app):
    """Two writers at once: the second waits for the first's commit (the busy timeout is the
    setting's), and both rows are kept."""
    errors: list[Exception] = []
    with scratch_app.app_context():
        with db.engine.connect() as conn:
            timeout = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
            assert timeout == scratch_app.config["CASEMGR_SQLITE_BUSY_TIMEOUT"] * 1000
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        with db.engine.begin() as first:
            first.exec_driver_sql("INSERT INTO scratch (v) VALUES ('first')")  # holds the lock
            second = _write_in_thread(scratch_app, errors)
            second.start()
            second.join(timeout=0.2)  # it waits for the lock, held until the commit below
        second.join()
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM scratch").scalar() == 2002
    assert errors == []
