"""Fixtures: one migrated database per run, a rolled-back transaction per test, factories."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy.orm import scoped_session, sessionmaker

# Test apps keep their instance folder (exports, checkpoints, a SQLite file) out of the repo: a
# folder left there by an older run, with other keys or looser modes, would break later runs.
os.environ.setdefault("CASEMGR_INSTANCE_PATH", tempfile.mkdtemp(prefix="casemgr-test-instance-"))

from casemgr import create_app
from casemgr.crypto.keyfile import new_key_document
from casemgr.extensions import db as _db
from casemgr.extensions import limiter
from tests.browser_fixtures import artifacts, browser, live_server, page  # noqa: F401
from tests.dbsetup import fresh_database
from tests.factories import Factories
from tests.web import BrowserClient


def app_config(database_url: str, keys: dict) -> dict:
    """Settings for a test app: cheap argon2, keys from memory, a known database."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "CASEMGR_KEYS_JSON": json.dumps(keys),
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_KIB": 1024,
        "ARGON2_PARALLELISM": 1,
        "RATELIMIT_STORAGE_URI": "memory://",
        # Checkpoints signed by a test app stay in a folder of their own: one left in the repo's
        # instance folder, signed with other keys, would fail every later verification.
        "CASEMGR_AUDIT_CHECKPOINT_DIR": tempfile.mkdtemp(prefix="casemgr-checkpoints-"),
    }


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="session")
def keys() -> dict:
    return new_key_document()


@pytest.fixture(scope="session")
def app(database_url: str, keys: dict) -> Iterator[Flask]:
    app = create_app(app_config(database_url, keys))
    app.test_client_class = BrowserClient
    with app.app_context():
        upgrade()
        from casemgr.org.areas import load_current_areas

        load_current_areas()
        from casemgr.reference.services import load_reference_data

        load_reference_data()
        from casemgr.support.catalogue import load_service_catalogue

        load_service_catalogue()
        from casemgr.rules.services import seed_rules

        seed_rules()
        _db.session.commit()
        _db.session.remove()
    yield app
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture
def db(app: Flask) -> Iterator:
    """The database session, inside a transaction that is rolled back after the test.

    Commits made by the code under test (the edge commit of each request included) only
    release a savepoint, so every test starts from the same committed state.
    """
    with app.app_context():
        connection = _db.engine.connect()
        outer = connection.begin()
        if connection.dialect.name == "sqlite":
            # pysqlite defers BEGIN to the first write, so the test's first SAVEPOINT would be
            # the outermost transaction and its RELEASE (a commit) would reach the file.
            connection.exec_driver_sql("BEGIN")
        original = _db.session
        _db.session = scoped_session(
            # Objects made by a test stay readable after a request closes its session;
            # a test that needs fresh state reads it again with db.session.get().
            sessionmaker(
                bind=connection,
                join_transaction_mode="create_savepoint",
                expire_on_commit=False,
            )
        )
        limiter.reset()
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture(autouse=True)
def immediate_jobs() -> Iterator[None]:
    """Jobs run at once, in the caller (the queue is one per process: a test that built an
    app bound to a real queue must not leave the next test's jobs waiting in it)."""
    from casemgr.jobs.queue import huey

    huey.immediate = True
    yield
    huey.immediate = True


@pytest.fixture
def client(app: Flask, db) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make(db) -> Factories:
    """Factories for units and users: make.unit(...), make.user(role=..., unit=...)."""
    return Factories(db)


def pytest_terminal_summary(terminalreporter) -> None:
    """Print the walk's per-role summary (tests/walk), also when run on xdist workers."""
    lines = [
        value
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for name, value in getattr(report, "user_properties", ())
        if name == "walk-summary"
    ]
    if lines:
        terminalreporter.write_sep("-", "walk summary (tests/walk)")
        for text in sorted(lines):
            terminalreporter.write_line(text)
