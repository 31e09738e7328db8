"""Readiness: the database answers, the keys are loaded, the schema is at the migrations' head."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from casemgr.extensions import db

HEADS = "casemgr.migration_heads"


def migration_heads(app: Flask) -> frozenset[str]:
    """The head revisions of the migrations folder, read once per app."""
    if HEADS not in app.extensions:
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        config = Config()
        config.set_main_option("script_location", str(Path(app.extensions["migrate"].directory)))
        app.extensions[HEADS] = frozenset(ScriptDirectory.from_config(config).get_heads())
    return app.extensions[HEADS]


def readiness() -> dict[str, bool]:
    """Each check and whether it passes; a connection of its own, never the request's session."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    checks = {"database": False, "keys": False, "migrations": False}
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            checks["database"] = True
            query = text("SELECT version_num FROM alembic_version")
            revisions = set(connection.execute(query).scalars())
            checks["migrations"] = revisions == migration_heads(app)
    except SQLAlchemyError:
        pass
    ring = app.extensions.get("casemgr.keyring")
    try:
        checks["keys"] = ring is not None and bool(ring.active_master.id)
    except Exception:  # any failure to reach the active key means not ready
        checks["keys"] = False
    return checks
