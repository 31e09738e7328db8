"""Rules pages: administrators list rules, add versions and local days off; workers see their
tasks, supervisors the overdue deadlines of their units; recording an emergency action."""

from __future__ import annotations

import dataclasses
import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from casemgr.auth.roles import Action
from casemgr.cases.queries import Need, load_case
from casemgr.clock import LOCAL_TZ, local_date, utcnow
from casemgr.extensions import db
from casemgr.intake import queries as intake_queries
from casemgr.org import queries as org_queries
from casemgr.org.models import Unit
from casemgr.rules import queries, services, tasks
from casemgr.rules.forms import (
    MEASURE_LABELS,
    UNIT_LABELS,
    DayOffForm,
    EmergencyActionForm,
    RemoveDayOffForm,
    RuleVersionForm,
)
from casemgr.rules.models import DayOff, DurationUnit, EmergencyMeasure
from casemgr.rules.seed import RULE_LABELS, source_label
from casemgr.web.access import requires
from casemgr.web.ids import id_arg, parse_id
from casemgr.web.pagination import Page, paginate

bp = Blueprint("rules", __name__, url_prefix="/rules")
bp.add_app_template_filter(source_label, "rule_source")

RULE_ERRORS = {
    "unknown rule": _l("There is no such rule."),
    "not after the latest version": _l(
        "A new version must start after the latest version of the rule: older versions "
        "are history and stay as they are."
    ),
    "amount out of range": _l("The amount is out of range."),
    "source required": _l("Name the legal source."),
    "reason required": _l("Give a reason."),
    "day already listed": _l("This day is already in the calendar for that unit."),
    "day already passed": _l("Days that have come are kept: deadlines were counted with them."),
    "read only": _l("You can read this case but not change it."),
    "not a child case": _l("Emergency actions are recorded on child-protection cases."),
    "in the future": _l("The time of the action cannot be in the future."),
}


@bp.context_processor
def labels():
    return {"rule_labels": RULE_LABELS, "duration_unit_labels": UNIT_LABELS}


def _error(exc: services.RuleError) -> str:
    return str(RULE_ERRORS.get(str(exc), _l("The request could not be completed.")))


def _task_page(
    *, overdue: bool, now: dt.datetime, due_today: bool = False, owner_id: int | None = None
) -> Page:
    """A page of "My tasks" (own caseload; only those due today if asked) or "Overdue" (whole
    scope, or one worker's caseload in it), paged in SQL."""
    statement = tasks.tasks_query(
        current_user,
        mine=not overdue,
        overdue_only=overdue,
        due_today=due_today,
        owner_id=owner_id,
        now=now,
    )
    page = paginate(statement, scalars=False)
    tasks.audit_task_list(current_user, overdue=overdue, owner_id=owner_id)
    return dataclasses.replace(page, items=tasks.as_tasks(page.items))


@bp.route("/")
@requires(Action.MANAGE_REFERENCE_DATA)
def index():
    page = paginate(queries.rule_keys())
    return render_template("rules/index.html", page=page, versions=queries.versions_of(page.items))


@bp.route("/versions/new", methods=["GET", "POST"])
@requires(Action.MANAGE_REFERENCE_DATA)
def new_version():
    form = RuleVersionForm()
    keys = queries.all_rule_keys()
    form.key.choices = [SelectChoice(key, f"{RULE_LABELS.get(key, key)} ({key})") for key in keys]
    if request.method == "GET" and request.args.get("key") in keys:
        form.key.data = request.args["key"]
    if form.validate_on_submit():
        try:
            services.add_rule_version(
                current_user,
                key=form.key.data,
                valid_from=form.valid_from.data,
                amount=form.amount.data,
                unit=DurationUnit(form.unit.data),
                source=form.source.data,
                needs_check=form.needs_check.data,
            )
        except services.RuleError as exc:
            flash(_error(exc), "danger")
        else:
            flash(_("New version added."), "success")
            return redirect(url_for("rules.index"))
    return render_template("rules/version_form.html", form=form)


def _unit_choices() -> list[SelectChoice]:
    return [SelectChoice(0, _("Everywhere"))] + [
        SelectChoice(u.id, f"{u.code} – {u.name}") for u in org_queries.open_units()
    ]


@bp.route("/days-off", methods=["GET", "POST"])
@requires(Action.MANAGE_REFERENCE_DATA)
def days_off():
    form = DayOffForm()
    form.unit_id.choices = _unit_choices()
    if form.validate_on_submit():
        unit = db.get_or_404(Unit, form.unit_id.data) if form.unit_id.data else None
        try:
            services.add_day_off(
                current_user,
                day=form.day.data,
                reason=form.reason.data,
                unit=unit,
                is_working_day=form.is_working_day.data,
            )
        except services.RuleError as exc:
            flash(_error(exc), "danger")
        else:
            flash(_("Added to the calendar."), "success")
            return redirect(url_for("rules.days_off"))
    today = local_date(utcnow())
    page = paginate(queries.days_off(since=today.replace(month=1, day=1)), scalars=False)
    return render_template(
        "rules/days_off.html",
        form=form,
        page=page,
        today=today,
        remove_form=RemoveDayOffForm,
    )


@bp.route("/days-off/remove", methods=["POST"])
@requires(Action.MANAGE_REFERENCE_DATA)
def remove_day_off():
    form = RemoveDayOffForm()
    day_off_id = parse_id(form.day_off_id.data or "") if form.validate_on_submit() else None
    if day_off_id is not None:
        entry = db.get_or_404(DayOff, day_off_id)
        try:
            services.remove_day_off(current_user, entry)
        except services.RuleError as exc:
            flash(_error(exc), "danger")
        else:
            flash(_("Removed from the calendar."), "success")
    else:
        flash(_("The request could not be completed."), "danger")
    return redirect(url_for("rules.days_off"))


@bp.route("/tasks")
@requires(Action.VIEW_CASES)
def my_tasks():
    now = utcnow()
    due = "today" if request.args.get("due") == "today" else None  # anything else: all tasks
    page = _task_page(overdue=False, now=now, due_today=due == "today")
    return render_template("rules/tasks.html", page=page, now=now, owners=None, due=due)


@bp.route("/overdue")
@requires(Action.VIEW_CASES)
def overdue():
    now = utcnow()
    # One worker's overdue deadlines (the supervisors' dashboards link here from each worker's
    # count): only a worker whose open case the user may see is named.
    # An id that is not a number names no worker either (not the whole list under a bad link).
    asked = request.args.get("worker") or None  # "?worker=" is the whole list
    owner_id = id_arg("worker")
    worker = tasks.owner_name(current_user, owner_id) if owner_id is not None else None
    if asked is not None and worker is None:
        abort(404)
    page = _task_page(overdue=True, now=now, owner_id=owner_id)
    owners = tasks.case_owners([task.case_id for task in page.items])
    # The intake reports whose emergency action is late head the whole scope's first page:
    # they are the most urgent of what is overdue, though not yet anyone's cases.
    first = page.page == 1 and owner_id is None
    late_reports = intake_queries.past_deadline(current_user, now) if first else (0, [])
    return render_template(
        "rules/overdue.html",
        page=page,
        now=now,
        owners=owners,
        late_reports=late_reports,
        worker=worker,
        owner_id=owner_id,
    )


@bp.route("/cases/<int:case_id>/emergency-action", methods=["GET", "POST"])
@requires(Action.EDIT_CASES)
def emergency_action(case_id: int):
    case, access = load_case(current_user, case_id, Need.WRITE)
    form = EmergencyActionForm()
    if request.method == "GET":
        form.taken_at.data = utcnow().astimezone(LOCAL_TZ).replace(tzinfo=None, second=0)
    if form.validate_on_submit():
        try:
            services.record_emergency_action(
                current_user,
                case,
                access,
                measure=EmergencyMeasure(form.measure.data),
                taken_at=form.taken_at.data.replace(tzinfo=LOCAL_TZ).astimezone(dt.UTC),
            )
        except services.RuleError as exc:
            flash(_error(exc), "danger")
        else:
            flash(_("Emergency action recorded."), "success")
            return redirect(url_for("cases.detail", case_id=case.id))
    return render_template(
        "rules/emergency_action.html",
        case=case,
        form=form,
        deadlines=tasks.child_deadlines(case),
        actions=queries.emergency_actions(case.id),
        measure_labels=MEASURE_LABELS,
        now=utcnow(),
    )
