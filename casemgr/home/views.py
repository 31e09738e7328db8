"""The dashboard each role lands on, and /healthz for load balancers."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from casemgr import clock
from casemgr.auth.roles import Action
from casemgr.extensions import db
from casemgr.web.access import public, requires, user_may

bp = Blueprint("home", __name__)


@bp.route("/")
@public
def index():
    if current_user.is_authenticated:
        return redirect(url_for("home.dashboard"))
    return redirect(url_for("auth.login"))


@bp.route("/dashboard")
@requires(Action.VIEW_DASHBOARD)
def dashboard():
    return render_template(
        "home/dashboard.html",
        Action=Action,
        today=clock.today(),
        may=lambda action: user_may(current_user, action),
    )


@bp.route("/healthz")
@public
def healthz():
    """Database reachability only; no versions, hosts or counts."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return {"status": "unavailable"}, 503
    return {"status": "ok"}
