"""Fixtures for encryption tests: an app on a database of its own, with a key file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade

from casemgr import create_app
from casemgr.crypto.keyfile import new_key_document, write_key_document
from casemgr.extensions import db
from tests.conftest import app_config
from tests.dbsetup import fresh_database


def file_config(url: str, key_file: Path) -> dict:
    """Test settings with keys read from a key file instead of the environment."""
    config = app_config(url, {})
    config.update({"CASEMGR_KEYS_JSON": None, "CASEMGR_KEY_FILE": str(key_file)})
    return config


class KeyedDatabase:
    """A migrated database with a key file, and ways to start apps against it."""

    def __init__(self, url: str, folder: Path) -> None:
        self.url = url
        self.folder = folder
        self.key_file = folder / "casemgr.keys"
        self.document = new_key_document()
        write_key_document(self.key_file, self.document)

    def app(self, key_file: Path | None = None) -> Flask:
        return create_app(file_config(self.url, key_file or self.key_file))

    def env_app(self, document: dict) -> Flask:
        config = app_config(self.url, document)
        config["CASEMGR_KEY_FILE"] = str(self.folder / "unused.keys")
        return create_app(config)


@pytest.fixture(scope="module")
def keyed(tmp_path_factory) -> Iterator[KeyedDatabase]:
    """A database migrated and holding one person, written with its own key file."""
    with fresh_database("keys") as url:
        keyed = KeyedDatabase(url, tmp_path_factory.mktemp("keys"))
        app = keyed.app()
        with app.app_context():
            upgrade()
            from casemgr.people.services import register_person

            register_person(None, surname="Phạm", given_name="Thu")
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        yield keyed


def dump(document: dict) -> str:
    return json.dumps(document)
