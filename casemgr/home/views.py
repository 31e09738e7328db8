"""The dashboard each role lands on, and /healthz for load balancers."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casemgr import clock
from casemgr.audit import services as audit_services
from casemgr.audit.forms import ALERT_KIND_LABELS
from casemgr.auth.roles import Action
from casemgr.cases.workflow import BY_NAME, STATUS_LABELS
from casemgr.home import queries
from casemgr.home.forms import VerifyForm
from casemgr.supervision.queries import audit_list
from casemgr.web.access import public, requires, user_may
from casemgr.web.pagination import paginate

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
    now = clock.utcnow()
    return render_template(
        "home/dashboard.html",
        Action=Action,
        today=clock.today(),
        now=now,
        home=queries.home(current_user, now),
        verify_form=VerifyForm(),
        short=queries.SHORT_LIST,
        status_labels=STATUS_LABELS,
        workflow_moves=BY_NAME,
        alert_kind_labels=ALERT_KIND_LABELS,
        may=lambda action: user_may(current_user, action),
    )


@bp.route("/dashboard/returned-plans")
@requires(Action.EDIT_CASES)
def returned_plans():
    page = paginate(queries.returned_plans(current_user), scalars=False)
    queries.unseal_returns(page.items)
    audit_list(current_user, "returned plans")
    return render_template("home/returned_plans.html", page=page, workflow_moves=BY_NAME)


@bp.route("/dashboard/verify", methods=["POST"])
@requires(Action.VIEW_AUDIT)
def verify():
    if not VerifyForm().validate_on_submit():
        abort(400)
    report = audit_services.verify_chain()
    audit_services.record_verification(report, current_user)
    if report.ok:
        flash(
            _("The audit trail verifies: %(n)d events checked.", n=report.events_checked), "success"
        )
    else:
        first = report.first_problem
        flash(
            _("The audit trail does NOT verify: first bad entry at seq %(seq)s.", seq=first.seq),
            "danger",
        )
    return redirect(url_for("home.dashboard"))


@bp.route("/healthz")
@public
def healthz():
    """The process is alive and answers; no database, versions, hosts or counts (see /readyz)."""
    return {"status": "ok"}
