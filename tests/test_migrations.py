"""Migrations: one head, and upgrading an empty database gives exactly the models' schema."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from casemgr import create_app
from casemgr.crypto.keyfile import new_key_document
from casemgr.extensions import db
from tests.conftest import app_config
from tests.dbsetup import fresh_database


def test_single_head(app):
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_upgrade_matches_models_and_downgrade_empties():
    with fresh_database("migrations") as url:
        app = create_app(app_config(url, new_key_document()))
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                diff = compare_metadata(
                    MigrationContext.configure(conn, opts={"compare_type": True}),
                    db.metadata,
                )
            assert diff == []
            downgrade(revision="base")
            with db.engine.connect() as conn:
                assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
            upgrade()  # and back up again
            db.engine.dispose()
