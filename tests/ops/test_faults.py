"""Fault drills, the fast part (the slow ones, with gunicorn and a real restart, are scripts in
bench/drills/): a database that goes away and an exhausted connection pool are answered with
the app's own 503 "try again" page, and the app recovers by itself when the database returns
or a connection is freed. A disk that fills up mid-write leaves no partial file.
"""

from __future__ import annotations

import errno
import os
import re
import time

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy import exc as sa_exc

from casemgr.audit import services as audit_services
from casemgr.audit.models import AuditEvent
from casemgr.config import build_config
from casemgr.extensions import db, limiter
from casemgr.web import errors
from tests.ops.test_health import outage  # noqa: F401


@pytest.fixture(autouse=True)
def fresh_limits():
    """Sign-in attempts are throttled: each test starts with none counted."""
    limiter.reset()


RAW = ("Traceback", "Internal Server Error", "werkzeug", "OperationalError", "psycopg", "sqlite")


def login_attempt(client) -> dict[str, str]:
    """A sign-in form (with its CSRF token) taken while the database is up."""
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token is not None
    return {"csrf_token": token.group(1), "username": "nobody", "password": "x" * 12}


def assert_try_again(response) -> None:
    """The app's own 503 page in Vietnamese, with Retry-After, and nothing raw."""
    body = response.get_data(as_text=True)
    assert response.status_code == 503, body[:300]
    assert response.headers["Retry-After"] == str(errors.RETRY_AFTER_SECONDS)
    assert 'class="navbar' in body and '<html lang="vi">' in body
    with force_locale("vi"):
        assert str(errors.MESSAGES[503][1]) in body
    for raw in RAW:
        assert raw not in body, raw


def test_a_database_outage_answers_try_again_and_the_app_recovers(app, outage):  # noqa: F811
    take_down, bring_back = outage
    client = app.test_client()
    with app.test_request_context():
        for _ in range(2):  # down and back twice: pre-ping replaces the dead connections
            form = login_attempt(client)
            take_down()
            assert_try_again(client.post("/auth/login", data=form))
            bring_back()
            answer = client.post("/auth/login", data=form)
            assert answer.status_code == 200  # the form again, with "wrong name or password"


@pytest.fixture
def tiny_pool(app, database_url, monkeypatch):
    """The app's engine with one connection, no overflow and a 0.3 s wait."""
    engine = sa.create_engine(
        database_url, pool_pre_ping=True, pool_size=1, max_overflow=0, pool_timeout=0.3
    )
    with app.app_context():
        monkeypatch.setitem(db._app_engines[app], None, engine)
    yield engine
    engine.dispose()


def test_an_exhausted_pool_waits_then_answers_try_again(app, tiny_pool):
    client = app.test_client()
    with app.test_request_context():
        form = login_attempt(client)
        held = tiny_pool.connect()  # the only connection is busy (a slow request)
        started = time.monotonic()
        answer = client.post("/auth/login", data=form)
        waited = time.monotonic() - started
        held.close()
        assert_try_again(answer)
        assert waited >= 0.3  # it queued for pool_timeout before refusing
        assert client.post("/auth/login", data=form).status_code == 200  # freed: served


def test_only_outages_are_503_other_database_errors_stay_500():
    import sqlite3

    import psycopg

    def wrapped(orig: Exception) -> sa_exc.OperationalError:
        return sa_exc.OperationalError("SELECT 1", {}, orig)

    unavailable = [
        sa_exc.TimeoutError("QueuePool limit reached"),
        wrapped(psycopg.OperationalError("connection failed: Connection refused")),
        wrapped(sqlite3.OperationalError("database is locked")),
        wrapped(sqlite3.OperationalError("database or disk is full")),
    ]
    faults = [
        wrapped(Exception("duplicate key")),  # what a driver would never say: a fault
        wrapped(sqlite3.OperationalError("no such column: body")),
        sa_exc.IntegrityError("INSERT", {}, Exception("unique")),
    ]
    assert all(errors.database_unavailable(e) for e in unavailable)
    assert not any(errors.database_unavailable(e) for e in faults)


def test_pool_limits_are_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("CASEMGR_DB_POOL_SIZE", "3")
    monkeypatch.setenv("CASEMGR_DB_MAX_OVERFLOW", "1")
    monkeypatch.setenv("CASEMGR_DB_POOL_TIMEOUT", "7")
    options = build_config(str(tmp_path))["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options == {"pool_size": 3, "max_overflow": 1, "pool_timeout": 7, "pool_pre_ping": True}
    memory = build_config(str(tmp_path), {"SQLALCHEMY_DATABASE_URI": "sqlite:///:memory:"})
    assert memory["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_pre_ping": True}


def test_postgresql_sessions_run_without_jit(db):
    """A name search's estimates passed the JIT threshold: 0.4 s of compiling per search."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL setting")
    assert db.session.scalar(sa.text("SHOW jit")) == "off"


def disk_full_on(pattern: str):
    """An os.fsync that fails with ENOSPC for files whose name matches (after the bytes were
    handed to the kernel: the file exists, partly written, as on a disk that just filled)."""
    real = os.fsync

    def fsync(fd: int) -> None:
        if re.search(pattern, os.readlink(f"/proc/self/fd/{fd}")):
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd)

    return fsync


def test_a_full_disk_during_a_checkpoint_leaves_no_partial_file(app, db, tmp_path, monkeypatch):
    count = sa.select(sa.func.count()).select_from(AuditEvent)
    before = db.session.scalar(count)
    monkeypatch.setattr("casemgr.audit.checkpoints.os.fsync", disk_full_on(r"checkpoint-.*\.tmp$"))
    with pytest.raises(OSError) as failure:
        audit_services.make_checkpoint(folder=tmp_path)
    assert failure.value.errno == errno.ENOSPC  # the CLI and the timer log say "no space"
    assert sorted(p.name for p in tmp_path.iterdir() if "checkpoint-" in p.name) == []
    assert list(tmp_path.glob("*.tmp")) == []
    assert db.session.scalar(count) == before  # no "checkpoint made" event either
    monkeypatch.undo()
    assert audit_services.make_checkpoint(folder=tmp_path).exists()  # room again: it works


def test_an_outage_in_an_after_request_hook_is_still_try_again(app):
    """The edge commit runs after the view, where Flask calls only the 500 handler."""
    from werkzeug.exceptions import InternalServerError

    with app.test_request_context("/cases/1/notes", method="POST"):
        failure = InternalServerError(original_exception=sa_exc.TimeoutError("pool"))
        page, code, headers = errors.handle_server_error(failure)
        assert code == 503 and headers["Retry-After"] == str(errors.RETRY_AFTER_SECONDS)
        with force_locale("vi"):
            assert str(errors.MESSAGES[503][1]) in page
        fault = InternalServerError(original_exception=sa_exc.IntegrityError("x", {}, None))
        assert errors.handle_server_error(fault)[1] == 500
