"""Fail closed at start: missing, malformed, world-readable and wrong keys each stop the app."""

from __future__ import annotations

import json
import logging
import os
import stat

import pytest
import sqlalchemy as sa

from casemgr.crypto.errors import KeyUnavailable
from casemgr.crypto.keyfile import (
    KeyFileError,
    load_key_file,
    new_key_document,
    with_new_key,
    write_key_document,
)
from casemgr.crypto.keyring import KeyRing
from casemgr.extensions import db
from tests.crypto.conftest import KeyedDatabase, file_config
from tests.dbsetup import fresh_database


def test_the_right_key_file_starts_and_reads(keyed: KeyedDatabase):
    app = keyed.app()
    with app.app_context():
        from casemgr.people.models import Person

        person = db.session.scalars(sa.select(Person)).one()
        assert person.surname == "Phạm"
        kinds = dict(db.session.execute(sa.text("SELECT key_id, kind FROM key_checks")).all())
        assert set(kinds) == {
            keyed.document["master_keys"][0]["id"],
            keyed.document["index_keys"][0]["id"],
            "secret_key",
            "audit_mac_key",
            "audit_signing_key",
        }
        db.session.remove()
        db.engine.dispose()


def test_missing_key_file_refused_for_a_keyed_database(keyed: KeyedDatabase):
    with pytest.raises(
        KeyFileError, match=r"key file .*missing\.keys is missing but this database"
    ):
        keyed.app(keyed.folder / "missing.keys")
    assert not (keyed.folder / "missing.keys").exists()  # no new key file was made


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        (json.dumps({"format": 99}), "not a casemgr key document"),
        ("LENGTH", "must be 32 bytes"),
        ("TWO_ACTIVE", "exactly one active key"),
        ("BAD_STATE", "unknown state"),
    ],
)
def test_malformed_key_file_refused(keyed: KeyedDatabase, content, message):
    document = json.loads(json.dumps(keyed.document))
    if content == "LENGTH":
        document["master_keys"][0]["key"] = "c2hvcnQ="
        content = json.dumps(document)
    elif content == "TWO_ACTIVE":
        document, _ = with_new_key(document, "master_keys", state="active")
        document["master_keys"][0]["state"] = "active"
        content = json.dumps(document)
    elif content == "BAD_STATE":
        document["master_keys"][0]["state"] = "pending"  # pending is for index keys only
        content = json.dumps(document)
    path = keyed.folder / "malformed.keys"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(content)
    with pytest.raises(KeyFileError, match=message):
        keyed.app(path)


def test_world_readable_key_file_refused(keyed: KeyedDatabase):
    path = keyed.folder / "readable.keys"
    write_key_document(path, keyed.document)
    os.chmod(path, 0o644)
    with pytest.raises(KeyFileError, match=r"readable by others \(mode 644\).*chmod 600"):
        keyed.app(path)
    os.chmod(path, 0o640)
    with pytest.raises(KeyFileError, match="readable by others"):
        keyed.app(path)


def test_another_key_file_refused(keyed: KeyedDatabase):
    path = keyed.folder / "other.keys"
    write_key_document(path, new_key_document())
    master = keyed.document["master_keys"][0]["id"]
    with pytest.raises(KeyFileError, match=f"lacks the master key {master} that this database"):
        keyed.app(path)


def test_same_ids_with_wrong_key_bytes_refused(keyed: KeyedDatabase):
    forged = json.loads(json.dumps(keyed.document))
    forged["master_keys"][0]["key"] = new_key_document()["master_keys"][0]["key"]
    path = keyed.folder / "forged.keys"
    write_key_document(path, forged)
    master = forged["master_keys"][0]["id"]
    with pytest.raises(KeyFileError, match=f"master key {master} is wrong for this database"):
        keyed.app(path)


def test_wrong_secret_key_refused(keyed: KeyedDatabase):
    forged = json.loads(json.dumps(keyed.document))
    forged["audit_mac_key"] = new_key_document()["audit_mac_key"]
    with pytest.raises(KeyFileError, match="CASEMGR_KEYS: the secret key audit_mac_key is wrong"):
        keyed.env_app(forged)


def test_wrong_keys_from_environment_refused(keyed: KeyedDatabase):
    with pytest.raises(KeyFileError, match="CASEMGR_KEYS lacks the master key"):
        keyed.env_app(new_key_document())


def test_fresh_database_gets_a_new_key_file_with_mode_600(tmp_path):
    with fresh_database("freshkeys") as url:
        key_file = tmp_path / "instance" / "casemgr.keys"
        from casemgr import create_app

        app = create_app(file_config(url, key_file))
        assert key_file.exists()
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert (
            app.extensions["casemgr.keys"].master_keys[0].id
            == load_key_file(key_file).master_keys[0].id
        )
        with app.app_context():
            db.engine.dispose()


def test_keyring_reloads_a_rotated_key_file(tmp_path):
    path = tmp_path / "casemgr.keys"
    document = new_key_document()
    write_key_document(path, document)
    ring = KeyRing(load_key_file(path), path=str(path))
    rotated, new_id = with_new_key(document, "master_keys", state="active")
    write_key_document(path, rotated)
    # A worker that has not seen the rotation meets a data key under the new master key.
    assert ring.master_aead(new_id) is not None
    assert ring.active_master.id == new_id
    with pytest.raises(KeyUnavailable, match="is not loaded"):
        ring.master_aead("mk-unknown")


def test_keyring_keeps_its_keys_if_the_file_turns_bad(tmp_path):
    path = tmp_path / "casemgr.keys"
    document = new_key_document()
    write_key_document(path, document)
    ring = KeyRing(load_key_file(path), path=str(path))
    path.write_text("{broken")
    assert ring.refresh() is False
    assert ring.active_master.id == document["master_keys"][0]["id"]


def test_a_running_app_refuses_a_swapped_key_file(keyed: KeyedDatabase, caplog):
    # Alembic's logging set-up (run by the fixture's migration) disables existing loggers.
    logging.getLogger("casemgr.crypto.keyring").disabled = False
    live = keyed.folder / "live.keys"
    write_key_document(live, keyed.document)
    app = keyed.app(live)
    ring = app.extensions["casemgr.keyring"]
    write_key_document(live, new_key_document())  # someone replaces the file under it
    assert ring.refresh() is False
    assert "key file changed but is refused" in caplog.text
    assert "lacks the master key" in caplog.text
    assert ring.active_master.id == keyed.document["master_keys"][0]["id"]
    # A genuine change (a new pending index key) is taken up.
    document, pending = with_new_key(keyed.document, "index_keys", state="pending")
    write_key_document(live, document)
    assert ring.refresh() is True
    assert ring.pending_index.id == pending
    with app.app_context():
        db.engine.dispose()
