"""Key ring, envelope keys, field encryption and blind indexes; imports no domain package."""

from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from casemgr.crypto.keyfile import KeyFileError, ensure_key_file, load_key_material

log = logging.getLogger(__name__)


def database_is_fresh(uri: str) -> bool:
    """Whether the database holds no users yet (so that a new key file cannot orphan any data)."""
    engine = sa.create_engine(uri)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("users"):
                return True
            return conn.execute(sa.text("SELECT count(*) FROM users")).scalar_one() == 0
    finally:
        engine.dispose()


def init_app(app: Flask) -> None:
    """Load the key material (fail closed) and derive the Flask secret from it.

    A missing key file is created (mode 0600) only for a fresh database; with data present,
    the app refuses to start rather than run with keys that cannot read it.
    """
    key_file = app.config["CASEMGR_KEY_FILE"]
    keys_json = app.config["CASEMGR_KEYS_JSON"]
    if not keys_json and not Path(key_file).exists():
        if not database_is_fresh(app.config["SQLALCHEMY_DATABASE_URI"]):
            raise KeyFileError(
                f"key file {key_file} is missing but the database holds data; "
                "restore the key file from its backup"
            )
        ensure_key_file(key_file)
        log.warning("created a new key file at %s (mode 0600); back it up", key_file)
    keys = load_key_material(key_file, keys_json)
    app.extensions["casemgr.keys"] = keys
    app.config["SECRET_KEY"] = keys.secret_key
