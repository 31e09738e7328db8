"""Erasure requests: one authorised user asks, a second one confirms or cancels."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from casemgr.auth.roles import Action
from casemgr.extensions import db
from casemgr.people import queries, services
from casemgr.people.forms import REASON_LABELS, DecisionForm, ErasureRequestForm
from casemgr.people.models import ErasureRequest, Person
from casemgr.web.access import requires

bp = Blueprint("people", __name__, url_prefix="/people")

ERASURE_ERRORS = {
    "not allowed to request erasure": _l("Your role does not allow this action."),
    "not allowed to decide erasure": _l("Your role does not allow this action."),
    "person already erased": _l("This person was already erased."),
    "erasure already requested": _l("Erasure of this person was already requested."),
    "erasure request already decided": _l("This request was already decided."),
    "the requester cannot decide their own request": _l(
        "A second user must decide on a request you made."
    ),
}


def _flash_error(exc: services.PersonError) -> None:
    flash(str(ERASURE_ERRORS.get(str(exc), _l("The request could not be completed."))), "danger")


@bp.route("/erasure-requests")
@requires(Action.CONFIRM_ERASURE)
def erasure_requests():
    return render_template(
        "people/erasure_requests.html",
        requests=queries.pending_erasure_requests(),
        form=ErasureRequestForm(),
        decision=DecisionForm(),
        reason_labels=REASON_LABELS,
    )


@bp.route("/erasure-requests", methods=["POST"])
@requires(Action.REQUEST_ERASURE)
def request_erasure():
    form = ErasureRequestForm()
    if not form.validate_on_submit():
        flash(_("Give a person number and a reason."), "danger")
        return redirect(url_for("people.erasure_requests"))
    person = db.get_or_404(Person, form.person_id.data)
    try:
        services.request_erasure(current_user, person, form.reason.data)
    except services.PersonError as exc:
        _flash_error(exc)
    else:
        flash(_("Erasure requested; a second user must confirm it."), "success")
    return redirect(url_for("people.erasure_requests"))


def _decide(confirm: bool):
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("Choose a request."), "danger")
        return redirect(url_for("people.erasure_requests"))
    request = db.get_or_404(ErasureRequest, form.request_id.data)
    try:
        if confirm:
            services.confirm_erasure(current_user, request)
        else:
            services.cancel_erasure(current_user, request)
    except services.PersonError as exc:
        _flash_error(exc)
    else:
        flash(_("Person erased.") if confirm else _("Request cancelled."), "success")
    return redirect(url_for("people.erasure_requests"))


@bp.route("/erasure-requests/confirm", methods=["POST"])
@requires(Action.CONFIRM_ERASURE)
def confirm_erasure():
    return _decide(confirm=True)


@bp.route("/erasure-requests/cancel", methods=["POST"])
@requires(Action.CONFIRM_ERASURE)
def cancel_erasure():
    return _decide(confirm=False)
