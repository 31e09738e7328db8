"""The SQLite backup is online: a writer's open transaction neither blocks it nor leaks into it."""

from __future__ import annotations

import sqlite3

import pytest

from casemgr.operations import backup as backups


def test_sqlite_backup_while_a_writer_holds_a_transaction(tmp_path):
    path = tmp_path / "live.sqlite"
    setup = sqlite3.connect(path)
    setup.executescript(
        "CREATE TABLE alembic_version (version_num TEXT);"
        "INSERT INTO alembic_version VALUES ('0042');"
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);"
        "INSERT INTO notes (body) VALUES ('one'), ('two');"
    )
    setup.commit()
    setup.close()
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO notes (body) VALUES ('not yet committed')")
    key = backups.new_backup_key()
    result = backups.make_backup(
        f"sqlite:///{path}", tmp_path / "b.cmbk", key,
        checkpoint_dir=None, archive_dir=None, key_ids=["mk-test"],
    )  # fmt: skip
    writer.execute("COMMIT")  # the writer was never refused
    writer.close()
    assert result.manifest.row_counts == {"alembic_version": 1, "notes": 2}
    assert result.manifest.schema_revision == "0042"
    verified = backups.verify_backup(result.path, key)
    assert verified.manifest.row_counts["notes"] == 2
    with pytest.raises(backups.BackupError, match="never overwritten"):
        backups.make_backup(f"sqlite:///{path}", result.path, key, checkpoint_dir=None,
                            archive_dir=None, key_ids=[])  # fmt: skip
    with pytest.raises(backups.BackupError, match="sealed with backup key"):
        backups.verify_backup(result.path, backups.new_backup_key())
