"""Case pages for group records: the drug programme, no-contact orders, and the printable
child-protection forms 01-06. Registered under /cases (endpoints cases.groups.*)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

import casemgr.groups.tasks  # noqa: F401  (registers the deadline sources)
from casemgr import clock
from casemgr.auth.roles import Action
from casemgr.cases.dates import CaseDateRefused
from casemgr.cases.queries import Need, load_case
from casemgr.clock import utcnow
from casemgr.groups import decree56, policy, queries, services
from casemgr.groups.forms import (
    DECISION_LABELS,
    ESCALATION_LABELS,
    KIND_LABELS,
    ORDER_STATUS_LABELS,
    RESULT_LABELS,
    STAGE_LABELS,
    START_LABELS,
    CompletionForm,
    DecisionForm,
    DrugTestForm,
    EscalationForm,
    NoContactDecisionForm,
    NoContactRequestForm,
    ProgrammeForm,
    as_utc,
    local_now,
)
from casemgr.rules import local_date
from casemgr.web.access import requires
from casemgr.web.forms import date_refused

bp = Blueprint("groups", __name__)

RECORD_ERRORS = {
    "read only": _l("You can read this case but not change it."),
    "not applicable": _l("These records are not kept for this case's target group."),
    "case closed": _l("The case is closed."),
    "not on this case": _l("That record belongs to another case."),
    "already decided": _l("A decision is already recorded."),
    "before registration": _l("The date is before the registration."),
    "before request": _l("The decision cannot come before the request."),
    "before decision": _l("The date is before the decision."),
    "no decision yet": _l("Record the commune's decision first."),
    "already ended": _l("This enrolment has already ended."),
    "term out of range": _l("The term is outside what the rules allow for this registration."),
    "term fixed by law": _l("Only voluntary rehabilitation has a chosen term."),
    "validity out of range": _l("An order lasts at most 3 days from the decision."),
}


@bp.context_processor
def labels():
    return {
        "kind_labels": KIND_LABELS,
        "start_labels": START_LABELS,
        "stage_labels": STAGE_LABELS,
        "result_labels": RESULT_LABELS,
        "escalation_labels": ESCALATION_LABELS,
        "decision_labels": DECISION_LABELS,
        "order_status_labels": ORDER_STATUS_LABELS,
    }


@bp.app_template_global()
def group_sections(case) -> dict[str, bool]:
    """Which group sections the case page offers (no query: from the case's group)."""
    return {
        "drugs": policy.holds_drug_records(case),
        "no_contact": policy.holds_no_contact_orders(case),
        "forms": policy.has_child_forms(case),
    }


def _error(exc: services.RecordError) -> str:
    return str(RECORD_ERRORS.get(str(exc), _l("The request could not be completed.")))


# -- drug programme --------------------------------------------------------------------------


def _drug_page(case, access, status: int = 200, **forms):
    today = local_date(utcnow())
    forms = {
        "programme_form": ProgrammeForm(formdata=None, registered_on=today),
        "decision_form": DecisionForm(formdata=None, decision_on=today),
        "test_form": DrugTestForm(formdata=None, tested_on=today),
        "completion_form": CompletionForm(formdata=None, completed_on=today),
        "escalation_form": EscalationForm(formdata=None, escalated_on=today),
        **forms,
    }
    return render_template(
        "groups/drugs.html",
        case=case,
        access=access,
        applies=policy.holds_drug_records(case),
        programmes=queries.programmes(case, today),
        today=today,
        **forms,
    ), status


@bp.route("/<int:case_id>/drugs")
@requires(Action.VIEW_CASES)
def drugs(case_id: int):
    case, access = load_case(current_user, case_id)
    return _drug_page(case, access)


def _drug_step(case_id: int, form_class, form_name: str, apply: Callable) -> object:
    """Validate a step form, apply it through one service call, commit at the edge."""
    case, access = load_case(current_user, case_id, Need.WRITE)
    form = form_class()
    if not form.validate_on_submit():
        return _drug_page(case, access, 400, **{form_name: form})
    try:
        apply(case, access, form)
    except CaseDateRefused as exc:
        date_refused(form, exc)
        return _drug_page(case, access, 400, **{form_name: form})
    except services.RecordError as exc:
        flash(_error(exc), "danger")
        return _drug_page(case, access, 409, **{form_name: form})
    flash(_("Saved."), "success")
    return redirect(url_for(".drugs", case_id=case.id))


@bp.route("/<int:case_id>/drugs", methods=["POST"])
@requires(Action.EDIT_CASES)
def register_programme(case_id: int):
    return _drug_step(
        case_id,
        ProgrammeForm,
        "programme_form",
        lambda case, access, form: services.register_programme(
            current_user,
            case,
            access,
            kind=form.kind.data,
            registered_on=form.registered_on.data,
            note=form.note.data or None,
        ),
    )


@bp.route("/<int:case_id>/drugs/decision", methods=["POST"])
@requires(Action.EDIT_CASES)
def drug_decision(case_id: int):
    return _drug_step(
        case_id,
        DecisionForm,
        "decision_form",
        lambda case, access, form: services.record_decision(
            current_user,
            case,
            access,
            queries.programme_of(current_user, case, form.programme_id.data),
            decision_on=form.decision_on.data,
            planned_months=form.planned_months.data,
        ),
    )


@bp.route("/<int:case_id>/drugs/tests", methods=["POST"])
@requires(Action.EDIT_CASES)
def drug_test(case_id: int):
    return _drug_step(
        case_id,
        DrugTestForm,
        "test_form",
        lambda case, access, form: services.record_drug_test(
            current_user,
            case,
            access,
            queries.programme_of(current_user, case, form.programme_id.data),
            tested_on=form.tested_on.data,
            result=form.result.data,
        ),
    )


@bp.route("/<int:case_id>/drugs/completion", methods=["POST"])
@requires(Action.EDIT_CASES)
def drug_completion(case_id: int):
    return _drug_step(
        case_id,
        CompletionForm,
        "completion_form",
        lambda case, access, form: services.record_completion(
            current_user,
            case,
            access,
            queries.programme_of(current_user, case, form.programme_id.data),
            completed_on=form.completed_on.data,
        ),
    )


@bp.route("/<int:case_id>/drugs/escalation", methods=["POST"])
@requires(Action.EDIT_CASES)
def drug_escalation(case_id: int):
    return _drug_step(
        case_id,
        EscalationForm,
        "escalation_form",
        lambda case, access, form: services.record_escalation(
            current_user,
            case,
            access,
            queries.programme_of(current_user, case, form.programme_id.data),
            escalated_on=form.escalated_on.data,
            reason=form.reason.data,
        ),
    )


# -- no-contact orders -----------------------------------------------------------------------


def _orders_page(case, access, status: int = 200, **forms):
    now = local_now()
    forms = {
        "request_form": NoContactRequestForm(formdata=None, requested_at=now),
        "decision_form": NoContactDecisionForm(formdata=None, decided_at=now),
        **forms,
    }
    return render_template(
        "groups/no_contact.html",
        case=case,
        access=access,
        applies=policy.holds_no_contact_orders(case),
        orders=queries.orders(case, utcnow()),
        **forms,
    ), status


@bp.route("/<int:case_id>/no-contact-orders")
@requires(Action.VIEW_CASES)
def no_contact_orders(case_id: int):
    case, access = load_case(current_user, case_id)
    return _orders_page(case, access)


@bp.route("/<int:case_id>/no-contact-orders", methods=["POST"])
@requires(Action.EDIT_CASES)
def request_no_contact_order(case_id: int):
    case, access = load_case(current_user, case_id, Need.WRITE)
    form = NoContactRequestForm()
    if not form.validate_on_submit():
        return _orders_page(case, access, 400, request_form=form)
    try:
        services.request_no_contact_order(
            current_user,
            case,
            access,
            requested_at=as_utc(form.requested_at.data),
            details=form.details.data,
        )
    except CaseDateRefused as exc:
        date_refused(form, exc)
        return _orders_page(case, access, 400, request_form=form)
    except services.RecordError as exc:
        flash(_error(exc), "danger")
        return _orders_page(case, access, 409, request_form=form)
    flash(_("Saved."), "success")
    return redirect(url_for(".no_contact_orders", case_id=case.id))


@bp.route("/<int:case_id>/no-contact-orders/decision", methods=["POST"])
@requires(Action.EDIT_CASES)
def decide_no_contact_order(case_id: int):
    case, access = load_case(current_user, case_id, Need.WRITE)
    form = NoContactDecisionForm()
    if not form.validate_on_submit():
        return _orders_page(case, access, 400, decision_form=form)
    try:
        services.decide_no_contact_order(
            current_user,
            case,
            access,
            queries.order_of(current_user, case, form.order_id.data),
            decision=form.decision.data,
            decided_at=as_utc(form.decided_at.data),
            valid_until=as_utc(form.valid_until.data),
        )
    except services.RecordError as exc:
        flash(_error(exc), "danger")
        return _orders_page(case, access, 409, decision_form=form)
    flash(_("Saved."), "success")
    return redirect(url_for(".no_contact_orders", case_id=case.id))


# -- child-protection forms 01-06 ------------------------------------------------------------


def _printable_form(number: str) -> Callable:
    spec = decree56.FORMS[number]

    @requires(Action.VIEW_CASES)
    def view(case_id: int):
        case, access = load_case(current_user, case_id)
        if not policy.has_child_forms(case):
            abort(404)
        return render_template(
            f"groups/forms/form_{number}.html",
            case=case,
            access=access,
            spec=spec,
            forms=decree56.FORMS,
            records=decree56.case_records(case),
            printed_at=clock.utcnow(),
        )

    view.__name__ = f"form_{number}"
    return view


# One endpoint per form (cases.groups.form_01 ... form_06): the number is part of the path.
for _number in decree56.FORM_NUMBERS:
    bp.add_url_rule(f"/<int:case_id>/forms/{_number}", view_func=_printable_form(_number))
