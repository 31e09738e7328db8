"""Transfer pages: the request on the case, and the receiving supervisor's queue and decision
page, which show only the case number, group and sending unit until the case is accepted.
Registered under /cases (endpoints cases.transfers.*)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from casemgr.auth.models import User
from casemgr.auth.roles import Action
from casemgr.cases import transfers
from casemgr.cases.models import Case, TransferStatus
from casemgr.cases.queries import Need, load_case
from casemgr.cases.services import CaseError, StaleCase
from casemgr.cases.transfer_forms import (
    TransferAcceptForm,
    TransferCancelForm,
    TransferDeclineForm,
    TransferRequestForm,
)
from casemgr.clock import utcnow
from casemgr.extensions import db
from casemgr.org.models import Unit
from casemgr.rules import local_date
from casemgr.web.access import requires, user_may
from casemgr.web.forms import starting_empty
from casemgr.web.pagination import paginate

bp = Blueprint("transfers", __name__)

TRANSFER_ERRORS = {
    "read only": _l("You can read this case but not change it."),
    "case closed": _l("A closed case cannot be transferred."),
    "unit not open": _l("Choose another unit that is open today."),
    "transfer pending": _l("A transfer of this case is already waiting for an answer."),
    "no transfer pending": _l("There is no transfer waiting for an answer."),
    "consent missing": _l(
        "The transfer needs the consent of everyone who must give it. Record the consent on "
        "the person's page, or (supervisors) say why it cannot wait."
    ),
    "reason too short": _l("Write at least one full sentence."),
    "not allowed": _l("Your role does not allow this action."),
    "not a worker of the unit": _l("Choose a social worker of the receiving unit."),
}
STATUS_LABELS = {
    TransferStatus.REQUESTED: _l("Requested"),
    TransferStatus.ACCEPTED: _l("Accepted"),
    TransferStatus.DECLINED: _l("Declined"),
    TransferStatus.CANCELLED: _l("Cancelled"),
}


def _error(exc: CaseError) -> str:
    return str(TRANSFER_ERRORS.get(str(exc), _l("The request could not be completed.")))


@bp.app_template_global()
def transfer_section(case: Case) -> dict:
    """The case page's transfer history and open request (one query)."""
    rows = transfers.history(case)
    return {
        "history": rows,
        "open": next((t for t in rows if t.is_open), None),
        "labels": STATUS_LABELS,
        "cancel_form": TransferCancelForm(),
    }


@bp.route("/transfers/incoming")
@requires(Action.APPROVE_CASES)
def incoming():
    page = paginate(transfers.incoming_transfers(current_user), scalars=False)
    rows = transfers.incoming_rows(current_user, page.items)
    return render_template("cases/transfer_queue.html", page=page, rows=rows)


def _request_page(case, access, form, status=200):
    today = local_date(utcnow())
    return render_template(
        "cases/transfer_request.html",
        case=case,
        form=form,
        missing=transfers.missing_transfer_consents(case, today),
        may_override=user_may(current_user, Action.OVERRIDE_CONSENT),
        pending=transfers.open_transfer(case),
    ), status


@bp.route("/<int:case_id>/transfer", methods=["GET", "POST"])
@requires(Action.EDIT_CASES)
def request_transfer(case_id: int):
    case, access = load_case(current_user, case_id, Need.WRITE)
    form = TransferRequestForm()
    today = local_date(utcnow())
    form.to_unit_id.choices = starting_empty(
        SelectChoice(u.id, f"{u.code} — {u.name}") for u in transfers.receiving_units(case, today)
    )
    if not form.is_submitted():
        return _request_page(case, access, form)
    if not form.validate():
        return _request_page(case, access, form, 400)
    try:
        transfers.request_transfer(
            current_user,
            case,
            access,
            to_unit=db.session.get(Unit, form.to_unit_id.data),
            reason=form.reason.data,
            override_reason=(form.override_reason.data or "").strip() or None,
            today=today,
        )
    except CaseError as exc:
        flash(_error(exc), "danger")
        return _request_page(case, access, form, 409)
    flash(_("Transfer requested. The receiving unit's supervisor will answer."), "success")
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.route("/<int:case_id>/transfer/cancel", methods=["POST"])
@requires(Action.EDIT_CASES)
def cancel_transfer(case_id: int):
    case, access = load_case(current_user, case_id, Need.WRITE)
    if not TransferCancelForm().validate_on_submit():
        return redirect(url_for("cases.detail", case_id=case.id)), 400
    try:
        transfers.cancel_transfer(current_user, case, access)
    except CaseError as exc:
        flash(_error(exc), "danger")
    else:
        flash(_("Transfer request withdrawn."), "success")
    return redirect(url_for("cases.detail", case_id=case.id))


def _decision_page(transfer, info, accept_form=None, decline_form=None, status=200):
    accept_form = accept_form or TransferAcceptForm(formdata=None, version=info.case_version)
    accept_form.owner_id.choices = starting_empty(
        SelectChoice(u.id, u.display_name) for u in transfers.new_owner_choices(transfer)
    )
    return render_template(
        "cases/transfer_decision.html",
        info=info,
        accept_form=accept_form,
        decline_form=decline_form or TransferDeclineForm(formdata=None),
    ), status


@bp.route("/<int:case_id>/transfer/decision")
@requires(Action.APPROVE_CASES)
def decision(case_id: int):
    transfer, info = transfers.load_incoming(current_user, case_id)
    return _decision_page(transfer, info)


@bp.route("/<int:case_id>/transfer/accept", methods=["POST"])
@requires(Action.APPROVE_CASES)
def accept(case_id: int):
    transfer, info = transfers.load_incoming(current_user, case_id)
    form = TransferAcceptForm()
    form.owner_id.choices = starting_empty(
        SelectChoice(u.id, u.display_name) for u in transfers.new_owner_choices(transfer)
    )
    if not form.validate_on_submit():
        return _decision_page(transfer, info, accept_form=form, status=400)
    try:
        transfers.accept_transfer(
            current_user,
            transfer,
            new_owner=db.session.get(User, form.owner_id.data),
            expected_version=int(form.version.data),
            today=local_date(utcnow()),
        )
    except StaleCase as exc:
        form.version.data = exc.current.version
        flash(
            _("The case changed while you were deciding. Check the request and accept again."),
            "warning",
        )
        return _decision_page(transfer, info, accept_form=form, status=409)
    except CaseError as exc:
        flash(_error(exc), "danger")
        return _decision_page(transfer, info, accept_form=form, status=409)
    flash(_("Case %(number)s accepted.", number=info.case_number), "success")
    return redirect(url_for("cases.detail", case_id=case_id))


@bp.route("/<int:case_id>/transfer/decline", methods=["POST"])
@requires(Action.APPROVE_CASES)
def decline(case_id: int):
    transfer, info = transfers.load_incoming(current_user, case_id)
    form = TransferDeclineForm()
    if not form.validate_on_submit():
        return _decision_page(transfer, info, decline_form=form, status=400)
    try:
        transfers.decline_transfer(current_user, transfer, reason=form.reason.data)
    except CaseError as exc:
        flash(_error(exc), "danger")
        return _decision_page(transfer, info, decline_form=form, status=409)
    flash(_("Transfer of %(number)s declined.", number=info.case_number), "success")
    return redirect(url_for(".incoming"))
