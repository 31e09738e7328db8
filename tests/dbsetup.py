"""Test databases: a fresh SQLite file, or a fresh PostgreSQL database per test run."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url


def base_url() -> str | None:
    """The PostgreSQL server to test against (CASEMGR_TEST_DATABASE_URL), or None for SQLite."""
    return os.environ.get("CASEMGR_TEST_DATABASE_URL") or None


@contextmanager
def fresh_database(label: str = "run") -> Iterator[str]:
    """Yield the URL of a new, empty database, dropped afterwards.

    On PostgreSQL each test run (and each concurrent runner) gets a database of its own on the
    configured server, so that runs never see each other's rows.
    """
    server = base_url()
    if server is None:
        with tempfile.TemporaryDirectory(prefix="casemgr-test-") as folder:
            yield f"sqlite:///{Path(folder) / (label + '.sqlite')}"
        return
    url = make_url(server).set(drivername="postgresql+psycopg")
    name = f"casemgr_{label}_{secrets.token_hex(4)}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
