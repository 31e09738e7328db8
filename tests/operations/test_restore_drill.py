"""The restore drill (issue 14), on the database under test (SQLite, or PostgreSQL in CI).

1. data with canaries in every encrypted field, an audit archive (anchor) and a checkpoint;
2. a backup key, a key escrow split 2-of-3, a backup; then the database, the key file, the
   backup key and the audit files are wiped;
3. on an empty database: the keys come back from two shares, the data from the backup;
4. the audit chain verifies, every record decrypts to its canary, the row counts match the
   manifest, and neither the backup file nor the database inside it holds a canary.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from casemgr import create_app
from casemgr.crypto.fields import ENCRYPTED_MODELS
from casemgr.extensions import db
from casemgr.operations import backup as backups
from tests.conftest import app_config
from tests.dbsetup import fresh_database
from tests.operations import world


def drill_config(url: str, folder: Path) -> dict:
    """Settings of one host: keys, backup key and audit files in its own folder."""
    config = app_config(url, {})
    config.update(
        {
            "CASEMGR_KEYS_JSON": None,
            "CASEMGR_KEY_FILE": str(folder / "casemgr.keys"),
            "CASEMGR_BACKUP_KEY_FILE": str(folder / "backup.key"),
            "CASEMGR_AUDIT_CHECKPOINT_DIR": str(folder / "audit-checkpoints"),
            "CASEMGR_AUDIT_ARCHIVE_DIR": str(folder / "audit-archives"),
            "CASEMGR_AUDIT_RETENTION_DAYS": 0,  # so that the drill can archive (and anchor)
        }
    )
    return config


def run(app: Flask, *args: str, input: str | None = None):
    result = app.test_cli_runner().invoke(args=["casemgr", *args], input=input)
    assert result.exit_code == 0, result.output
    return result


def close(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@dataclass
class Drill:
    url: str
    source_url: str  # wiped: no database there any more
    backup_file: Path
    expected: dict
    restored: Flask
    manifest: backups.Manifest
    escrow_file: Path
    key_document: dict
    shares: list[str]
    timings: dict[str, float] = field(default_factory=dict)


def _populate(app: Flask) -> dict:
    with app.app_context():
        upgrade()
        from casemgr.reference.services import load_reference_data
        from casemgr.rules.services import seed_rules
        from casemgr.support.catalogue import load_service_catalogue

        world.add_areas()
        load_reference_data()
        load_service_catalogue()
        seed_rules()
        db.session.commit()
        world.build_world()
    run(app, "audit", "archive")  # old events to a signed archive; the anchor stays in the DB
    with app.app_context():
        expected = world.fill_canaries()
    run(app, "audit", "checkpoint")
    return expected


def _wipe(url: str, folder: Path) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        Path(parsed.database).unlink()
    else:
        admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{parsed.database}" WITH (FORCE)'))
        admin.dispose()
    shutil.rmtree(folder)


@pytest.fixture(scope="module")
def drill(tmp_path_factory) -> Iterator[Drill]:
    timings: dict[str, float] = {}
    source_folder = tmp_path_factory.mktemp("source-host")
    target_folder = tmp_path_factory.mktemp("restore-host")
    store = tmp_path_factory.mktemp("backups")  # off-site: survives the wipe
    vault = tmp_path_factory.mktemp("escrow")  # kept apart from the backups
    with fresh_database("backup") as source_url, fresh_database("backup_restore") as url:
        source = create_app(drill_config(source_url, source_folder))
        expected = _populate(source)
        run(source, "backup-key")
        escrow_file = vault / "escrow.json"
        shares_out = run(
            source, "keys", "export-escrow", str(escrow_file), "--shares", "3", "--threshold", "2"
        ).output
        shares = [
            line for line in shares_out.splitlines() if len(line.split()) >= 20
        ]  # the mnemonics
        assert len(shares) == 3
        key_document = source.extensions["casemgr.keys"].raw
        started = time.perf_counter()
        made = run(source, "backup", str(store)).output
        timings["backup"] = time.perf_counter() - started
        backup_file = next(store.glob("*.cmbk"))
        assert str(backup_file) in made
        started = time.perf_counter()
        verified = run(source, "backup", "--verify", str(backup_file)).output
        timings["verify"] = time.perf_counter() - started
        assert "OK: the backup verifies" in verified
        close(source)
        _wipe(source_url, source_folder)

        started = time.perf_counter()
        fresh = create_app(drill_config(url, target_folder))  # makes a new, unused key file
        run(fresh, "keys", "import-escrow", str(escrow_file), input=f"{shares[2]}\n{shares[0]}\n\n")
        close(fresh)
        timings["keys from escrow"] = time.perf_counter() - started
        started = time.perf_counter()
        loader = create_app(drill_config(url, target_folder))
        restored_out = run(loader, "restore", str(backup_file)).output
        timings["restore"] = time.perf_counter() - started
        assert "counts match the manifest" in restored_out
        close(loader)
        restored = create_app(drill_config(url, target_folder))  # refuses wrong keys
        started = time.perf_counter()
        verify_out = run(restored, "audit", "verify").output
        timings["audit verify"] = time.perf_counter() - started
        assert "OK: the audit trail verifies" in verify_out
        with restored.app_context():
            key = backups.load_backup_key(target_folder / "backup.key")
        manifest = backups.verify_backup(backup_file, key).manifest
        yield Drill(
            url,
            source_url,
            backup_file,
            expected,
            restored,
            manifest,
            escrow_file,
            key_document,
            shares,
            timings,
        )
        close(restored)


def test_every_encrypted_kind_holds_canaries(drill):
    assert world.filled_models(drill.expected) == {m.__tablename__ for m in ENCRYPTED_MODELS}


def test_the_audit_trail_with_its_anchor_and_checkpoints_came_back(drill):
    manifest = drill.manifest
    assert manifest.row_counts["audit_anchors"] == 1
    assert any(name.startswith("audit-archives/") for name in manifest.files)
    assert any(name.startswith("audit-checkpoints/checkpoint-") for name in manifest.files)
    result = drill.restored.test_cli_runner().invoke(args=["casemgr", "audit", "verify"])
    assert "1 checkpoints, 1 anchors" in result.output or "checkpoints, 1 anchors" in result.output


def test_restored_records_decrypt_to_their_canaries(drill):
    by_table = {m.__tablename__: m for m in ENCRYPTED_MODELS}
    with drill.restored.app_context():
        for (table, row_id, name), value in drill.expected.items():
            row = db.session.get(by_table[table], row_id)
            assert getattr(row, name) == value, (table, row_id, name)
        db.session.rollback()


def test_row_counts_match_the_manifest(drill):
    engine = sa.create_engine(drill.url)
    try:
        with engine.connect() as conn:
            for table, count in drill.manifest.row_counts.items():
                # The restore and the verify since added their own audit events.
                found = conn.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one()
                assert found == count or (table == "audit_events" and found > count), table
    finally:
        engine.dispose()
    assert drill.manifest.row_counts["persons"] >= 4
    assert drill.manifest.schema_revision


def test_no_canary_in_the_backup_file_or_the_database_inside(drill, tmp_path):
    markers = world.markers(drill.expected)
    assert len(markers) > 50
    sealed = drill.backup_file.read_bytes()
    with drill.restored.app_context():
        key = backups.load_backup_key(drill.restored.config["CASEMGR_BACKUP_KEY_FILE"])
    manifest = backups.unpack(drill.backup_file, key, tmp_path)
    inside = (tmp_path / manifest.database_member).read_bytes()
    if manifest.dialect == "postgresql":  # the custom format is compressed: read it as SQL
        inside = subprocess.run(
            [
                shutil.which("pg_restore") or "pg_restore",
                "-f",
                "-",
                str(tmp_path / "database.dump"),
            ],
            check=True,
            capture_output=True,
        ).stdout
    assert b"Nh\xc3\xa0 t\xe1\xba\xa1m l\xc3\xa1nh" in inside  # a plain column: the scan works
    for blob in (sealed, inside):
        assert [m for m in markers if m in blob or m.hex().encode() in blob] == []
    assert b"Nh\xc3\xa0 t\xe1\xba\xa1m l\xc3\xa1nh" not in sealed


def test_the_escrow_holds_no_key_in_the_clear(drill):
    text = drill.escrow_file.read_text()
    assert drill.key_document["master_keys"][0]["key"] not in text
    assert drill.key_document["audit_mac_key"] not in text


def test_restore_refuses_a_database_that_is_not_empty(drill):
    result = drill.restored.test_cli_runner().invoke(
        args=["casemgr", "restore", str(drill.backup_file)]
    )
    assert result.exit_code != 0
    assert "not empty" in result.output and "empty database only" in result.output


def test_import_escrow_refuses_a_database_written_with_keys(drill):
    result = drill.restored.test_cli_runner().invoke(
        args=["casemgr", "keys", "import-escrow", str(drill.escrow_file)],
        input=f"{drill.shares[0]}\n{drill.shares[1]}\n\n",
    )
    assert result.exit_code != 0 and "already holds data" in result.output


def test_restore_refuses_keys_the_backup_was_not_written_with(drill, tmp_path):
    parsed = make_url(drill.source_url)
    if parsed.get_backend_name() == "postgresql":  # a new, empty database where it was
        admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
        admin.dispose()
    other = create_app(drill_config(drill.source_url, tmp_path))  # new keys of its own
    shutil.copy(drill.restored.config["CASEMGR_BACKUP_KEY_FILE"], tmp_path / "backup.key")
    result = other.test_cli_runner().invoke(args=["casemgr", "restore", str(drill.backup_file)])
    assert result.exit_code != 0
    assert "lacks the keys" in result.output and "import-escrow" in result.output
    assert backups.database_tables(drill.source_url) == []  # nothing was loaded
    close(other)


def test_pg_dump_is_not_older_than_the_server(drill):
    if drill.manifest.dialect != "postgresql":
        pytest.skip("PostgreSQL only")
    tool, server = drill.manifest.tool.split("; server ")
    assert int(tool.split()[-1].split(".")[0]) >= int(server) == 15


def test_verify_refuses_an_altered_backup(drill, tmp_path):
    altered = tmp_path / "altered.cmbk"
    data = bytearray(drill.backup_file.read_bytes())
    data[len(data) // 2] ^= 0x40
    altered.write_bytes(bytes(data))
    result = drill.restored.test_cli_runner().invoke(
        args=["casemgr", "backup", "--verify", str(altered)]
    )
    assert result.exit_code == 1
    assert "does not authenticate" in result.output


def test_drill_timings(drill, request):
    total = sum(drill.timings.values())
    line = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in drill.timings.items())
    dialect = make_url(drill.url).get_backend_name()
    size = drill.backup_file.stat().st_size
    summary = f"restore drill on {dialect}: {line}; backup {size} bytes"
    request.node.user_properties.append(("drill-summary", summary))
    print(summary)
    assert total < 60
