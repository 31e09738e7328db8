"""Supervisor pages: the dashboard, the approvals queue and the reassignment of cases."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from casemgr.auth.roles import Action
from casemgr.cases.forms import RISK_LABELS
from casemgr.cases.queries import case_ids, cases_by_ids
from casemgr.cases.workflow import STATUS_LABELS
from casemgr.supervision import queries, services
from casemgr.supervision.forms import PeriodForm, ReassignForm, Ticks
from casemgr.supervision.models import ReassignReason
from casemgr.web.access import requires
from casemgr.web.ids import id_arg
from casemgr.web.pagination import page_number, paginate_ids

bp = Blueprint("supervision", __name__, url_prefix="/supervision")

REFUSALS = {
    "explain other": _l("Explain the reason when you choose Other."),
    "reason too long": _l("The explanation is too long."),
    "nothing chosen": _l("Choose at least one case."),
    "unknown owner": _l("Choose a new owner."),
    "out of scope": _l("Some of the chosen cases are not in your units. Nothing was changed."),
    "closed": _l("Closed cases cannot be reassigned: %(numbers)s. Nothing was changed."),
    "stale": _l(
        "These cases changed since the page was loaded: %(numbers)s. Nothing was changed; "
        "check them and choose again."
    ),
    "owner not in unit": _l(
        "The new owner is not a social worker of the unit of %(numbers)s. Nothing was changed."
    ),
    "same owner": _l("The new owner already owns %(numbers)s. Nothing was changed."),
    "too many": _l("Tick at most %(max)d cases at a time.", max=services.MAX_CHOSEN),
}
# Refusals after which the cases they name are unticked: changed, closed or not the
# supervisor's, the list shows them otherwise (or not at all); the message names them.
UNTICKED_ON_REFUSAL = {"stale", "closed", "out of scope"}


@bp.context_processor
def labels():
    return {
        "status_labels": STATUS_LABELS,
        "risk_labels": RISK_LABELS,
        "kind_labels": {
            "child.emergency_action": _l("Emergency action (12 hours)"),
            "child.plan_draft": _l("Plan drafted (5 working days)"),
        },
    }


@bp.route("/")
@requires(Action.APPROVE_CASES)
def dashboard():
    form = PeriodForm(request.args)
    if not form.validate():  # a period not offered: the default, shown as the one used
        form.period.data = form.period.default
    return render_template(
        "supervision/dashboard.html",
        form=form,
        board=queries.dashboard(current_user, period_days=form.period.data),
    )


@bp.route("/approvals")
@requires(Action.APPROVE_CASES)
def approvals():
    page = paginate_ids(case_ids(queries.approvals(current_user)), cases_by_ids)
    queries.audit_list(current_user, "approvals queue")
    return render_template("supervision/approvals.html", page=page)


@bp.route("/reassign", methods=["GET", "POST"])
@requires(Action.REASSIGN_CASES)
def reassign():
    worker_id = id_arg("worker")
    if request.args.get("worker") and worker_id is None:
        abort(404)  # an edited link naming no worker, as on the overdue list
    form = ReassignForm()
    form.owner_id.choices = [
        SelectChoice(0, "—"),
        *(SelectChoice(uid, label) for uid, label in queries.owner_choices(current_user)),
    ]
    ticked = form.ticked()
    goto = None
    if form.is_submitted() and form.browsing():  # the list again, ticks kept: nothing changes
        if form.select_all.data and worker_id:
            ticked = queries.reassignable_versions(current_user, worker_id)
        elif form.clear.data:
            ticked = {}
        goto = page_number(form.goto.data) if form.goto.data is not None else None
    elif form.validate_on_submit():
        choices = form.choices_made()
        try:
            if choices is None:
                raise services.ReassignError("nothing chosen")
            moved = services.reassign_cases(
                current_user,
                choices,
                form.owner_id.data or None,
                reason=ReassignReason(form.reason.data),
                reason_text=form.reason_text.data,
            )
        except services.ReassignError as exc:
            message = REFUSALS.get(str(exc), _l("The request could not be completed."))
            flash(str(message) % {"numbers": ", ".join(exc.numbers)}, "danger")
            if str(exc) in UNTICKED_ON_REFUSAL:  # the list no longer offers them as they were
                ticked = {i: v for i, v in ticked.items() if i not in exc.case_ids}
        else:
            flash(_("%(num)d case(s) reassigned.", num=len(moved)), "success")
            return redirect(url_for("supervision.reassign", worker=worker_id))
    page = paginate_ids(
        case_ids(queries.reassignable_cases(current_user, worker_id)), cases_by_ids, page=goto
    )
    queries.audit_list(current_user, "reassignment list")
    return render_template(
        "supervision/reassign.html",
        form=form,
        page=page,
        ticks=Ticks.on_page(page.items, ticked),
        max_chosen=services.MAX_CHOSEN,
        worker_id=worker_id,
        workers=queries.owner_choices(current_user),
    )
