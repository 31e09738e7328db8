"""The audit commands on a database of their own: verify, checkpoint, archive, scan, grant-sql."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Iterator

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select, text, update

from casemgr import create_app
from casemgr.audit import record, recorder
from casemgr.audit.archive import verify_archive
from casemgr.audit.models import AuditAnchor, AuditEvent
from casemgr.audit.services import (
    ArchiveRefused,
    archive_events,
    make_checkpoint,
    trusted_keys,
    verify_chain,
)
from casemgr.crypto.keyfile import new_key_document
from casemgr.extensions import db
from tests import conftest
from tests.audit.conftest import Clock
from tests.dbsetup import fresh_database

OLD = dt.datetime(2019, 6, 3, 9, 0)
NEWER = dt.datetime(2022, 6, 6, 9, 0)


@pytest.fixture
def fresh_app(tmp_path) -> Iterator[Flask]:
    with fresh_database("audit_commands") as url:
        config = conftest.app_config(url, new_key_document())
        config["CASEMGR_AUDIT_CHECKPOINT_DIR"] = str(tmp_path / "checkpoints")
        config["CASEMGR_AUDIT_ARCHIVE_DIR"] = str(tmp_path / "archives")
        app = create_app(config)
        with app.app_context():
            upgrade()
            yield app
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def history(fresh_app, monkeypatch) -> None:
    """50 events in 2019 and 30 in 2022, committed."""
    clock = Clock()
    monkeypatch.setattr(recorder, "utcnow", clock)
    clock.at(OLD)
    for number in range(50):
        record("case.view", actor=None, object_type="case", object_id=number, case_id=number)
    clock.at(NEWER)
    for number in range(30):
        record("case.view", actor=None, object_type="case", object_id=number, case_id=number)
    db.session.commit()
    monkeypatch.undo()


def run(app: Flask, *args: str, input: str | None = None):
    return app.test_cli_runner().invoke(args=["casemgr", "audit", *args], input=input)


def tamper(seq: int) -> None:
    """Edit one event as a database superuser would (on PostgreSQL, with triggers off)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
    db.session.execute(update(AuditEvent).where(AuditEvent.seq == seq).values(action="x.y"))
    db.session.commit()


def test_verify_reports_ok_then_names_the_first_bad_entry(fresh_app, history):
    result = run(fresh_app, "verify")
    assert result.exit_code == 0, result.output
    assert "80 events" in result.output and "OK" in result.output
    tamper(33)
    result = run(fresh_app, "verify")
    assert result.exit_code == 1
    assert "first bad entry seq 33: bad_mac" in result.output
    # Each run is itself audited, and a failed one becomes an integrity alert.
    verdicts = db.session.scalars(
        select(AuditEvent.outcome).where(AuditEvent.action == "audit.verify")
    ).all()
    assert verdicts == ["allowed", "error"]
    assert "integrity: 1" in run(fresh_app, "scan").output


def test_checkpoint_then_cut_tail_is_detected(fresh_app, history, tmp_path):
    result = run(fresh_app, "checkpoint")
    assert result.exit_code == 0, result.output
    files = sorted((tmp_path / "checkpoints").glob("checkpoint-*.json"))
    assert [f.name[:23] for f in files] == ["checkpoint-000000000080"]
    assert (
        (tmp_path / "checkpoints" / "audit-signing-key.pub")
        .read_text()
        .startswith("-----BEGIN PUBLIC KEY-----")
    )
    assert json.loads(files[0].read_text())["seq"] == 80
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
    db.session.execute(text("DELETE FROM audit_events WHERE seq > 70"))
    db.session.commit()
    result = run(fresh_app, "verify", "--no-record")
    assert result.exit_code == 1
    assert "first bad entry seq 71: tail_cut" in result.output


def test_archive_keeps_the_rest_verifiable(fresh_app, history, tmp_path):
    make_checkpoint(now=dt.datetime.now(dt.UTC))  # at seq 80, later archived in part
    db.session.commit()
    result = run(fresh_app, "archive", "--before", "2020-01-01")
    assert result.exit_code == 0, result.output
    assert "archived seq 1..50 (50 events)" in result.output
    anchor = db.session.scalar(select(AuditAnchor))
    assert (anchor.first_seq, anchor.seq) == (1, 50)
    assert db.session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq).limit(1)) == 51
    report = verify_chain()
    assert report.ok, report.problems
    assert (report.start_seq, report.checkpoints_checked) == (50, 1)
    manifest = tmp_path / "archives" / "audit-archive-000000000001-000000000050.manifest.json"
    keys = fresh_app.extensions["casemgr.keys"]
    check = verify_archive(manifest, keys.audit_mac_key, trusted_keys())
    assert check.ok and check.count == 50 and check.last_mac == anchor.mac
    assert run(fresh_app, "verify-archive", str(manifest)).exit_code == 0
    # A second archive (with a shorter retention) continues from the first one's last MAC.
    fresh_app.config["CASEMGR_AUDIT_RETENTION_DAYS"] = 365
    second = archive_events(dt.datetime(2023, 1, 1, tzinfo=dt.UTC), now=dt.datetime.now(dt.UTC))
    db.session.commit()
    check2 = verify_archive(second.written.manifest_path, keys.audit_mac_key, trusted_keys())
    assert check2.ok and check2.first_seq == 51 and check2.anchor_in_mac == anchor.mac
    assert verify_chain().ok


def test_altered_archive_file_fails_its_check(fresh_app, history, tmp_path):
    archive_events(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    db.session.commit()
    path = tmp_path / "archives" / "audit-archive-000000000001-000000000050.jsonl.gz"
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    lines[9] = lines[9].replace('"case.view"', '"case.update"')
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    result = run(
        fresh_app, "verify-archive", str(path.with_name(path.name[:-9] + ".manifest.json"))
    )
    assert result.exit_code == 1 and "SHA-256" in result.output


def test_archive_refuses_inside_retention_or_on_a_broken_chain(fresh_app, history):
    now = dt.datetime.now(dt.UTC)
    with pytest.raises(ArchiveRefused, match="retention"):
        archive_events(now - dt.timedelta(days=30), now=now)
    tamper(10)
    with pytest.raises(ArchiveRefused, match="seq 10"):
        archive_events(dt.datetime(2020, 1, 1, tzinfo=dt.UTC), now=now)
    db.session.rollback()
    assert db.session.scalar(select(AuditAnchor)) is None


def test_grant_sql_prints_the_documented_statements(fresh_app):
    result = run(fresh_app, "grant-sql", "--app-role", "casemgr_app", "--maintenance-role", "m")
    assert "REVOKE UPDATE, DELETE, TRUNCATE ON public.audit_events FROM casemgr_app;" in (
        result.output
    )
    assert "GRANT EXECUTE ON FUNCTION public.casemgr_audit_archive(" in result.output
    assert run(fresh_app, "grant-sql", "--app-role", "x; DROP TABLE users").exit_code != 0
