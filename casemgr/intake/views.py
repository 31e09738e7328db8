"""Intake pages: record a report, the commune office's queue, a report and the decision on it
(accept into a new or existing case, or dismiss with a reason)."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from casemgr.auth.roles import Action
from casemgr.cases.models import ProtectionLevel, RiskLevel
from casemgr.cases.queries import open_cases_of
from casemgr.clock import LOCAL_TZ, utcnow
from casemgr.i18n import show_datetime
from casemgr.intake import policy, queries, services
from casemgr.intake.forms import (
    SOURCE_LABELS,
    DismissForm,
    FindPersonForm,
    IntakeCaseForm,
    IntakeReportForm,
    LinkForm,
)
from casemgr.intake.models import IntakeReport, IntakeStatus
from casemgr.intake.queries import Need, load_report
from casemgr.people.access import load_person
from casemgr.people.queries import search_persons
from casemgr.reference import queries as reference
from casemgr.web.access import requires
from casemgr.web.forms import field_error, starting_empty, sub_group_choices
from casemgr.web.pagination import paginate

bp = Blueprint("intake", __name__, url_prefix="/intake")

STATUS_LABELS = {
    IntakeStatus.RECEIVED: _l("Waiting for a decision"),
    IntakeStatus.ACCEPTED: _l("Accepted"),
    IntakeStatus.DISMISSED: _l("Dismissed"),
}
ERRORS = {
    "stale": _l("The report changed while you were deciding. Check it and decide again."),
    "already decided": _l("This report has already been decided."),
    "not allowed": _l("Your role does not allow this action."),
    "not your unit": _l("You can only open cases in a unit where you work."),
    "sub-group of another group": _l("Choose sub-groups of the chosen target group."),
}


def _error(exc: services.IntakeError) -> str:
    return str(ERRORS.get(str(exc), _l("The request could not be completed.")))


@bp.app_template_global()
def intake_labels() -> dict:
    """Labels the intake templates (and the home page) share."""
    return {"status": STATUS_LABELS, "source": SOURCE_LABELS}


@bp.app_template_global()
def case_reports(case_id: int) -> list[tuple[IntakeReport, bool]]:
    """The reports a case came from or was linked to, each with whether the user may read it."""
    return [(r, policy.may_read(current_user, r)) for r in queries.reports_of_case(case_id)]


@bp.app_template_filter("time_left")
def time_left(due_at: dt.datetime, now: dt.datetime | None = None) -> str:
    """How long until a deadline ("5 h 20 min left") or since it passed ("overdue by 2 h")."""
    seconds = int((due_at - (now or utcnow())).total_seconds())
    minutes = abs(seconds) // 60
    days, hours, mins = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        span = _("%(d)d d %(h)d h", d=days, h=hours)
    elif hours:
        span = _("%(h)d h %(m)d min", h=hours, m=mins)
    else:
        span = _("%(m)d min", m=mins)
    return _("%(span)s left", span=span) if seconds >= 0 else _("overdue by %(span)s", span=span)


@bp.route("/")
@requires(Action.VIEW_CASES)
def queue():
    decided = request.args.get("view") == "decided"
    page = paginate(queries.queue(current_user, decided_only=decided))
    return render_template(
        "intake/queue.html",
        page=page,
        decided=decided,
        now=utcnow(),
        may_record=bool(queries.receiving_units(current_user)),
    )


def _report_form_page(form: IntakeReportForm, status: int = 200):
    return render_template("intake/new.html", form=form), status


@bp.route("/new", methods=["GET", "POST"])
@requires(Action.EDIT_CASES)
def new():
    form = IntakeReportForm()
    units = queries.receiving_units(current_user)
    form.unit_id.choices = starting_empty((SelectChoice(u.id, u.name) for u in units), "")
    if not form.is_submitted():
        form.received_at.data = utcnow().astimezone(LOCAL_TZ).replace(tzinfo=None, second=0)
        return _report_form_page(form)
    if not form.validate():
        return _report_form_page(form, 400)
    unit = next(u for u in units if u.id == form.unit_id.data)
    data = services.ReportData(
        **{name: form[name].data for name in services.MAX_LENGTHS},
        reporter_consents=form.reporter_consents.data,
        is_emergency=form.is_emergency.data,
        received_at=form.received_at.data.replace(tzinfo=LOCAL_TZ).astimezone(dt.UTC),
    )
    try:
        report = services.receive_report(
            data, unit=unit, source=form.source.data, received_by=current_user
        )
    except services.IntakeInvalid as exc:
        for name, message in services.field_messages(exc).items():
            field_error(form[name if name != "unit" else "unit_id"], message)
        return _report_form_page(form, 400)
    flash(
        _(
            "Report %(number)s recorded. Emergency action is due by %(due)s.",
            number=report.number,
            due=show_datetime(report.emergency_due_at),
        ),
        "success",
    )
    return redirect(url_for(".detail", report_id=report.id))


def _detail_page(
    report: IntakeReport,
    *,
    link_form: LinkForm | None = None,
    dismiss_form: DismissForm | None = None,
    find_form: FindPersonForm | None = None,
    found: list | None = None,
    status: int = 200,
):
    version = report.version
    return render_template(
        "intake/detail.html",
        report=report,
        now=utcnow(),
        link_form=link_form or LinkForm(formdata=None, version=version),
        dismiss_form=dismiss_form or DismissForm(formdata=None, version=version),
        find_form=find_form or FindPersonForm(formdata=None),
        found=found,
        may_decide=policy.may_decide(current_user, report),
    ), status


@bp.route("/<int:report_id>")
@requires(Action.VIEW_CASES)
def detail(report_id: int):
    return _detail_page(load_report(current_user, report_id))


def _version(form) -> int:
    try:
        return int(form.version.data)
    except (TypeError, ValueError):
        return -1


@bp.route("/<int:report_id>/dismiss", methods=["POST"])
@requires(Action.EDIT_CASES)
def dismiss(report_id: int):
    report = load_report(current_user, report_id, Need.DECIDE)
    form = DismissForm()
    if not form.validate_on_submit():
        return _detail_page(report, dismiss_form=form, status=400)
    try:
        services.dismiss_report(
            current_user, report, expected_version=_version(form), reason=form.reason.data
        )
    except services.IntakeInvalid as exc:
        for message in services.field_messages(exc).values():
            field_error(form.reason, message)
        return _detail_page(report, dismiss_form=form, status=400)
    except services.IntakeError as exc:
        flash(_error(exc), "danger")
        return _detail_page(report, status=409)
    flash(_("Report %(number)s dismissed.", number=report.number), "success")
    return redirect(url_for(".detail", report_id=report.id))


@bp.route("/<int:report_id>/link", methods=["POST"])
@requires(Action.EDIT_CASES)
def link(report_id: int):
    report = load_report(current_user, report_id, Need.DECIDE)
    form = LinkForm()
    if not form.validate_on_submit():
        return _detail_page(report, link_form=form, status=400)
    case = queries.visible_case_by_number(current_user, form.case_number.data)
    if case is None or case.status == "closed":
        field_error(form.case_number, _("No open case with this number is in your caseload."))
        return _detail_page(report, link_form=form, status=400)
    if case.group_code != services.CHILD_GROUP:
        field_error(form.case_number, _("A report about a child can only join a case of the "
                                        "children group."))  # fmt: skip
        return _detail_page(report, link_form=form, status=400)
    try:
        services.link_to_case(current_user, report, expected_version=_version(form), case=case)
    except services.IntakeError as exc:
        flash(_error(exc), "danger")
        return _detail_page(report, status=409)
    flash(_("Report %(number)s linked to case %(case)s.", number=report.number,
            case=case.number), "success")  # fmt: skip
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.route("/<int:report_id>/find-person", methods=["POST"])
@requires(Action.EDIT_CASES)
def find_person(report_id: int):
    report = load_report(current_user, report_id, Need.DECIDE)
    form = FindPersonForm()
    if not form.validate_on_submit():
        return _detail_page(report, find_form=form, status=400)
    _kind, persons = search_persons(current_user, form.q.data)
    return _detail_page(report, find_form=form, found=persons)


def _case_form(report: IntakeReport) -> IntakeCaseForm:
    form = IntakeCaseForm()
    # A report is about a child at risk: only the children group (and its sub-groups) is offered.
    form.group_code.choices = [
        SelectChoice(g.code, g.label)
        for g in reference.target_groups()
        if g.code == services.CHILD_GROUP
    ]
    form.sub_group_ids.choices = sub_group_choices(
        reference.sub_groups_by_group().get(services.CHILD_GROUP, [])
    )
    form.unit_id.choices = [SelectChoice(report.unit_id, report.unit.name)]
    return form


@bp.route("/<int:report_id>/case/<int:person_id>", methods=["GET", "POST"])
@requires(Action.EDIT_CASES)
def open_case(report_id: int, person_id: int):
    report = load_report(current_user, report_id, Need.DECIDE)
    if not report.is_open:
        flash(_error(services.IntakeError("already decided")), "warning")
        return redirect(url_for(".detail", report_id=report.id))
    person = load_person(current_user, person_id)
    form = _case_form(report)
    open_cases = open_cases_of(current_user, person.id, form.group_code.data or "child")
    status = 200
    if not form.is_submitted():
        form.group_code.data = "child"
        form.unit_id.data = report.unit_id
        form.summary.data = report.situation
        form.version.data = report.version
    elif form.refresh.data:
        form.validate_on_submit()
        for field in form:  # only the sub-groups were asked for: no other field is judged yet
            field.errors = list(field.errors) if field is form.sub_group_ids else []
    elif (  # every check runs (no short circuit): all refusals are shown at once
        form.validate_on_submit() & form.fits_person(person) & form.confirmed_another(open_cases)
    ):
        try:
            case = services.accept_into_new_case(
                current_user,
                report,
                expected_version=_version(form),
                person=person,
                group_code=form.group_code.data,
                sub_groups=reference.sub_groups_by_ids(form.sub_group_ids.data),
                protection_level=ProtectionLevel(form.protection_level.data),
                risk_level=RiskLevel(form.risk_level.data),
                summary=form.summary.data or None,
            )
        except services.IntakeError as exc:
            flash(_error(exc), "danger")
            status = 409
        else:
            flash(
                _("Case %(number)s opened from report %(report)s.", number=case.number,
                  report=report.number),
                "success",
            )  # fmt: skip
            return redirect(url_for("cases.detail", case_id=case.id))
    else:
        status = 400
    return render_template(
        "intake/open_case.html",
        report=report,
        person=person,
        form=form,
        groups=reference.sub_groups_by_group(),
        open_cases=open_cases,
    ), status
