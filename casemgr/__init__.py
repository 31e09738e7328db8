"""casemgr: confidential case management for community-based intervention programmes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from casemgr import crypto, i18n, instance, jobs, ops
from casemgr.cli import register_cli
from casemgr.config import build_config
from casemgr.db import configure_sqlite
from casemgr.extensions import bootstrap, csrf, db, limiter, login_manager, migrate
from casemgr.web import errors, ids, layout, security, transaction

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, keys, extensions, blueprints, CLI, error pages."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        # The instance folder (keys, SQLite database, checkpoints): ./instance by default.
        instance_path=os.environ.get("CASEMGR_INSTANCE_PATH") or None,
        template_folder=str(ROOT / "templates"),
    )
    app.config.update(build_config(app.instance_path, config))

    ops.init_app(app)  # logs and request ids before anything can log; metrics; /readyz
    instance.secure_instance(app)  # private folders and database files, or no start
    crypto.init_app(app)  # loads keys; refuses to start without sound ones
    _init_extensions(app)
    ids.init_app(app)  # bounded <int:...> ids, before any route is added
    _register_blueprints(app)
    register_cli(app)
    errors.init_app(app)
    layout.init_app(app)
    # after_request hooks run last-registered first: the edge commit is registered first so
    # that it runs last, after the headers (which read the signed-in user before it expires).
    transaction.init_app(app)  # one commit per request, at the edge
    security.init_app(app)  # headers, no-store, request ids
    jobs.init_app(app)  # the task queue; audit commits queue checkpoints (no thread here)
    return app


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine, app.config["CASEMGR_SQLITE_BUSY_TIMEOUT"])
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    bootstrap.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    from casemgr.auth import sessions

    sessions.init_app(app, login_manager)
    from casemgr import api

    api.init_app(app)  # token checks run before the sign-in checks of the blueprints


def _register_blueprints(app: Flask) -> None:
    from casemgr.admin.views import bp as admin_bp
    from casemgr.audit.views import bp as audit_bp
    from casemgr.auth.views import bp as auth_bp
    from casemgr.cases.views import bp as cases_bp
    from casemgr.corrections.views import bp as corrections_bp
    from casemgr.home.views import bp as home_bp
    from casemgr.intake.views import bp as intake_bp
    from casemgr.jobs.views import bp as jobs_bp
    from casemgr.notifications.views import bp as notifications_bp
    from casemgr.people.views import bp as people_bp
    from casemgr.programmes.views import bp as programmes_bp
    from casemgr.reports.views import bp as reports_bp
    from casemgr.rules.views import bp as rules_bp
    from casemgr.supervision.views import bp as supervision_bp
    from casemgr.support.views import bp as support_bp
    from casemgr.tokens.views import bp as tokens_bp

    for blueprint in (
        home_bp,
        auth_bp,
        admin_bp,
        audit_bp,
        people_bp,
        cases_bp,
        intake_bp,
        rules_bp,
        support_bp,
        supervision_bp,
        programmes_bp,
        reports_bp,
        corrections_bp,
        notifications_bp,
        jobs_bp,
        tokens_bp,
    ):
        app.register_blueprint(blueprint)
    _register_case_pages(app)


def _register_case_pages(app: Flask) -> None:
    # Pages of other packages about one case live under /cases/<id>/ and are named
    # cases.<package>.* like the case's own pages (scoped and audited like them).
    from casemgr.cases.transfer_views import bp as transfers_bp
    from casemgr.groups.views import bp as groups_bp
    from casemgr.programmes.views import case_bp as programmes_case_bp

    for blueprint in (transfers_bp, groups_bp, programmes_case_bp):
        app.register_blueprint(blueprint, url_prefix="/cases", name_prefix="cases")
