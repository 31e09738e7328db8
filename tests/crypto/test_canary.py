"""No plaintext at rest (SECURITY.md E1): canaries in every sensitive field, searched everywhere.

Markers are written into every encrypted field of many persons and attachments, committed to
a database of the test's own, searched for and erased; then the raw SQLite file (or every
PostgreSQL row, and a pg_dump), the captured logs and the audit table must hold none of them.
A control marker stored in a plain column must be found, so the scan is shown to work.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from casemgr.auth.roles import Role
from casemgr.extensions import db
from casemgr.people import queries, services
from casemgr.people.models import Person
from tests.crypto.conftest import KeyedDatabase
from tests.dbsetup import fresh_database
from tests.factories import Factories

PERSONS = 60
CONTROL = "CANARYCONTROLPLAIN"


# Fields with a format the services check get markers of that format; every other encrypted
# field of Person (including those added by later modules) gets a text marker.
FORMATTED = {
    "surname": lambda i: f"Canarysurnàmé{i:03d}x",
    "middle_name": lambda i: f"Canarymiddlẽ{i:03d}x",
    "given_name": lambda i: f"Canarygivên{i:03d}x",
    "national_id": lambda i: f"97531{i:07d}",
    "phone": lambda i: f"0397{i:06d}",
    "date_of_birth": lambda i: f"18{i:02d}-07-29",
    "street_address": lambda i: f"CanaryStreet{i:03d}Đường",
}


def canaries(i: int) -> dict[str, str]:
    values = {
        name: FORMATTED.get(name, lambda i, name=name: f"Canary{name}{i:03d}x")(i)
        for name in Person.__encrypted_fields__
    }
    values["note"] = f"CanaryNote{i:03d} " + "narrative " * (i % 50)  # varied lengths
    return values


def attachment_canaries(i: int) -> tuple[str, bytes]:
    return f"CanaryFile{i:03d}.png", b"\x89PNG\r\n\x1a\n" + f"CanaryBlob{i:03d}".encode() * 20


def markers() -> list[str]:
    out = []
    for i in range(PERSONS):
        out += [value.split(" ")[0] for value in canaries(i).values()]
        out += [f"CanaryFile{i:03d}", f"CanaryBlob{i:03d}"]
    return out


def encodings(marker: str) -> list[bytes]:
    """The forms a leaked marker could take in raw storage and dumps."""
    raw = marker.encode("utf-8")
    return [raw, raw.hex().encode(), marker.encode("utf-16-le")]


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def capturing_logs() -> Iterator[list[str]]:
    """Every log record, SQL statements with their parameters included."""
    capture = Capture()
    root = logging.getLogger()
    engine_log = logging.getLogger("sqlalchemy.engine")
    old = (root.level, engine_log.level, engine_log.disabled)
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    engine_log.setLevel(logging.INFO)
    for name in list(logging.root.manager.loggerDict):  # alembic's fileConfig disables them
        if name.startswith(("sqlalchemy", "casemgr", "flask", "werkzeug")):
            logging.getLogger(name).disabled = False
    try:
        yield capture.lines
    finally:
        root.removeHandler(capture)
        root.setLevel(old[0])
        engine_log.setLevel(old[1])


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Iterator[tuple[str, list[str]]]:
    with fresh_database("canary") as url:
        keyed = KeyedDatabase(url, tmp_path_factory.mktemp("canary"))
        app = keyed.app()
        with app.app_context():
            upgrade()  # before capturing: alembic reconfigures logging
            with capturing_logs() as log_lines:
                _write_and_use(app)
            db.session.remove()
            db.engine.dispose()
        yield url, log_lines


def _write_and_use(app) -> None:
    make = Factories(db)
    unit = make.unit(code=CONTROL)  # a plain column: the scans must find it
    first = make.user(Role.SUPERVISOR, unit)
    second = make.user(Role.SUPERVISOR, unit)
    people = []
    for i in range(PERSONS):
        person = services.register_person(first, **canaries(i))
        filename, data = attachment_canaries(i)
        services.add_attachment(
            first, person, filename=filename, content_type="image/png", data=data
        )
        people.append(person)
    db.session.commit()
    # Searches by every indexed value, and edits, go through the audit trail.
    for i, person in enumerate(people[:10]):
        values = canaries(i)
        assert queries.find_persons_by(first, national_id=values["national_id"]) == [person]
        assert person in queries.find_persons_by(first, phone=values["phone"])
        name = f"{values['surname']} {values['given_name']}"
        assert person in queries.find_persons_by(first, name=name)
        services.update_person(first, person, note=values["note"] + " more")
    request = services.request_erasure(first, people[-1], "subject_request")
    services.confirm_erasure(second, request)
    db.session.commit()


def hits(blob: bytes, marker: str) -> int:
    return sum(blob.count(form) for form in encodings(marker))


def test_control_marker_is_found_so_the_scan_works(written):
    url, log_lines = written
    assert hits(raw_storage(url), CONTROL) > 0
    assert any(CONTROL in line for line in log_lines)


def test_every_encrypted_field_carries_a_marker():
    assert set(canaries(0)) == set(Person.__encrypted_fields__)
    assert len(markers()) == PERSONS * (len(Person.__encrypted_fields__) + 2)


def test_no_marker_in_raw_storage(written):
    url, _ = written
    storage = raw_storage(url)
    assert len(storage) > 100_000
    leaked = [m for m in markers() if hits(storage, m)]
    assert leaked == []


def test_no_marker_in_pg_dump(written):
    url, _ = written
    if make_url(url).get_backend_name() != "postgresql":
        pytest.skip("pg_dump applies to PostgreSQL")
    dump = pg_dump(url)
    assert CONTROL.encode() in dump
    assert [m for m in markers() if hits(dump, m)] == []


def test_no_marker_in_logs(written):
    _, log_lines = written
    text = "\n".join(log_lines)
    assert "INSERT INTO persons" in text  # statements and their parameters were logged
    assert [m for m in markers() if m in text or m.encode().hex() in text] == []


def test_no_marker_in_audit_table(written):
    url, _ = written
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT * FROM audit_events")).all()
    finally:
        engine.dispose()
    assert len(rows) > PERSONS * 2
    text = "\n".join(repr(tuple(row)) for row in rows)
    assert [m for m in markers() if m in text] == []


def raw_storage(url: str) -> bytes:
    """Every byte the database keeps: the SQLite files, or every PostgreSQL row as stored."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database)
        return b"".join(
            Path(p).read_bytes() for p in [path, *glob.glob(f"{path}-*")] if os.path.exists(p)
        )
    engine = sa.create_engine(url)
    chunks = []
    try:
        with engine.connect() as conn:
            for table in sa.inspect(conn).get_table_names():
                for row in conn.exec_driver_sql(f'SELECT * FROM "{table}"'):
                    for value in row:
                        if isinstance(value, bytes | memoryview):
                            chunks.append(bytes(value))
                        elif value is not None:
                            chunks.append(str(value).encode("utf-8"))
    finally:
        engine.dispose()
    return b"\x00".join(chunks)


def pg_dump(url: str) -> bytes:
    binary = shutil.which("pg_dump") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"), reverse=True)), None
    )
    if binary is None:
        pytest.skip("pg_dump is not installed")
    parsed = make_url(url)
    env = {**os.environ, "PGPASSWORD": parsed.password or ""}
    command = [binary, "-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432)]
    command += ["-U", parsed.username or "postgres", "--no-owner", parsed.database]
    return subprocess.run(command, check=True, capture_output=True, env=env).stdout
