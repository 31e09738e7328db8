"""Key ring, envelope keys, field encryption and blind indexes; imports no domain package."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, current_app
from werkzeug.exceptions import InternalServerError

from casemgr.crypto import keycheck
from casemgr.crypto.errors import IntegrityFailure
from casemgr.crypto.keyfile import KeyFileError, ensure_key_file, load_key_material
from casemgr.crypto.keyring import KeyRing

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Load the key material and check it against the database (fail closed).

    A missing key file is created (mode 0600) only for a database that was never keyed; keys
    that are missing, malformed, readable by others or not the ones this database was written
    with stop the app with a KeyFileError naming the problem.
    """
    key_file = app.config["CASEMGR_KEY_FILE"]
    keys_json = app.config["CASEMGR_KEYS_JSON"]
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    state = keycheck.read_database(uri)
    if not keys_json and not Path(key_file).exists():
        if not state.never_keyed:
            raise KeyFileError(
                f"key file {key_file} is missing but this database holds data written with "
                "keys; restore the key file from its backup"
            )
        ensure_key_file(key_file)
        log.warning("created a new key file at %s (mode 0600); back it up", key_file)
    keys = load_key_material(key_file, keys_json)
    ring = KeyRing(
        keys,
        path=None if keys_json else key_file,
        validator=lambda new: keycheck.verify(new, keycheck.read_database(uri)),
    )
    keycheck.verify(ring, state)
    keycheck.record_missing(uri, ring, state)
    app.extensions["casemgr.keys"] = keys
    app.extensions["casemgr.keyring"] = ring
    app.config["SECRET_KEY"] = keys.secret_key

    from casemgr.crypto import containment, fields, models  # noqa: F401 - tables in metadata

    fields.install_events()
    containment.init_app(app)
    app.before_request(_follow_key_file)
    app.register_error_handler(IntegrityFailure, _integrity_failure)


def _follow_key_file() -> None:
    # A rotation run on this host rewrites the key file: pick the new keys up at once.
    ring: KeyRing = current_app.extensions["casemgr.keyring"]
    if ring.refresh():
        current_app.extensions["casemgr.keys"] = ring.material


def _integrity_failure(exc: IntegrityFailure):
    """Nothing is shown; the request's changes are dropped but the failure stays audited."""
    from casemgr.crypto.fields import report_integrity_failure
    from casemgr.extensions import db

    db.session.rollback()
    report_integrity_failure(exc, force=True)
    db.session.commit()
    return current_app.handle_http_exception(InternalServerError())
