"""Intervention model pages: registry, activities, visits, targets vs actuals; and a case's
enrolments (under /cases/<id>/programmes, scoped and audited like the case's own pages)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from casemgr import clock
from casemgr.auth.roles import Action
from casemgr.cases.dates import CaseDateRefused
from casemgr.cases.queries import Need, load_case
from casemgr.extensions import db
from casemgr.org.models import Area, Unit
from casemgr.org.queries import units_in_subtrees
from casemgr.programmes import queries, services
from casemgr.programmes.forms import (
    ACTIVITY_KIND_LABELS,
    FINDING_LABELS,
    INDICATOR_LABELS,
    ActivityForm,
    EnrolForm,
    LeaveForm,
    ModelForm,
    TargetsForm,
    VisitForm,
    error_message,
)
from casemgr.programmes.models import ActivityKind, Finding, InterventionModel
from casemgr.reference.queries import target_groups
from casemgr.web.access import requires
from casemgr.web.forms import area_choices, date_refused, field_error, starting_empty
from casemgr.web.pagination import paginate

bp = Blueprint("programmes", __name__, url_prefix="/programmes")
# Registered under /cases with the name prefix "cases" (see casemgr/__init__.py).
case_bp = Blueprint("programmes", __name__)


@bp.app_context_processor
def programme_labels():
    return {
        "indicator_labels": INDICATOR_LABELS,
        "activity_kind_labels": ACTIVITY_KIND_LABELS,
        "finding_labels": FINDING_LABELS,
    }


def _year() -> int:
    year = request.args.get("year", type=int) or clock.today().year
    return min(max(year, 2000), 2100)


# -- the registry ----------------------------------------------------------------------------


@bp.route("/")
@requires(Action.VIEW_PROGRAMMES)
def index():
    page = paginate(queries.visible_models(current_user))
    may_create = bool(queries.manageable_units(current_user))
    return render_template("programmes/index.html", page=page, may_create=may_create)


def _model_form(form: ModelForm, model: InterventionModel | None = None) -> None:
    units = queries.manageable_units(current_user)
    if model is not None and model.unit not in units:
        units.insert(0, model.unit)  # shown, but the service refuses to keep it unmanaged
    form.unit_id.choices = [SelectChoice(u.id, f"{u.name} ({u.code})") for u in units]
    form.group_code.choices = starting_empty(
        (SelectChoice(g.code, g.label) for g in target_groups()), empty=""
    )
    areas = queries.servable_areas(units)
    if model is not None:  # keep what the model serves selectable
        areas += [area for area in model.areas if area not in areas]
    form.area_ids.choices = area_choices(areas)


def _areas(ids: list[int]) -> list[Area]:
    return [area for area in (db.session.get(Area, i) for i in ids) if area is not None]


@bp.route("/new", methods=["GET", "POST"])
@requires(Action.MANAGE_PROGRAMMES)
def new_model():
    form = ModelForm()
    _model_form(form)
    if form.validate_on_submit():
        try:
            model = services.create_model(
                current_user,
                name=form.name.data,
                group_code=form.group_code.data,
                unit=db.session.get(Unit, form.unit_id.data),
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
                areas=_areas(form.area_ids.data),
                description=form.description.data or "",
            )
        except services.ProgrammeError as exc:
            flash(error_message(exc), "danger")
        else:
            flash(_("Intervention model registered."), "success")
            return redirect(url_for("programmes.detail", model_id=model.id))
    return render_template("programmes/model_form.html", form=form, model=None)


@bp.route("/<int:model_id>")
@requires(Action.VIEW_PROGRAMMES)
def detail(model_id: int):
    model = queries.load_model(current_user, model_id)
    return render_template(
        "programmes/detail.html",
        model=model,
        counts=queries.model_counts(model.id),
        may_manage=queries.may_manage(current_user, model),
        year=clock.today().year,
    )


@bp.route("/<int:model_id>/edit", methods=["GET", "POST"])
@requires(Action.MANAGE_PROGRAMMES)
def edit_model(model_id: int):
    model = queries.load_model(current_user, model_id, manage=True)
    form = ModelForm(obj=model)
    if request.method == "GET":
        form.area_ids.data = [a.id for a in model.areas]
    _model_form(form, model)
    # The group is fixed once cases may be enrolled; the select only shows it.
    form.group_code.choices = [c for c in form.group_code.choices if c.value == model.group_code]
    form.group_code.data = model.group_code
    if form.validate_on_submit():
        try:
            services.update_model(
                current_user,
                model,
                name=form.name.data,
                unit=db.session.get(Unit, form.unit_id.data),
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
                areas=_areas(form.area_ids.data),
                description=form.description.data or "",
            )
        except services.ProgrammeError as exc:
            flash(error_message(exc), "danger")
        else:
            flash(_("Intervention model saved."), "success")
            return redirect(url_for("programmes.detail", model_id=model.id))
    return render_template("programmes/model_form.html", form=form, model=model)


@bp.route("/<int:model_id>/participants")
@requires(Action.VIEW_PROGRAMMES)
def participants(model_id: int):
    model = queries.load_model(current_user, model_id)
    page = paginate(queries.model_participants(current_user, model), scalars=False)
    return render_template("programmes/participants.html", model=model, page=page)


# -- activities and visits -------------------------------------------------------------------


@bp.route("/<int:model_id>/activities")
@requires(Action.VIEW_PROGRAMMES)
def activities(model_id: int):
    model = queries.load_model(current_user, model_id)
    page = paginate(queries.model_activities(model.id))
    return render_template(
        "programmes/activities.html",
        model=model,
        page=page,
        may_manage=queries.may_manage(current_user, model),
    )


@bp.route("/<int:model_id>/activities/new", methods=["GET", "POST"])
@requires(Action.MANAGE_PROGRAMMES)
def new_activity(model_id: int):
    model = queries.load_model(current_user, model_id, manage=True)
    form = ActivityForm()
    form.area_id.choices = starting_empty(
        SelectChoice(a.id, a.name) for a in queries.activity_areas(model)
    )
    if form.validate_on_submit():
        try:
            services.record_activity(
                current_user,
                model,
                kind=ActivityKind(form.kind.data),
                held_on=form.held_on.data,
                area=db.session.get(Area, form.area_id.data),
                title=form.title.data,
                men=form.men.data,
                women=form.women.data,
                unspecified=form.unspecified.data,
                duration_minutes=round(form.duration_hours.data * 60),
            )
        except services.ProgrammeError as exc:
            flash(error_message(exc), "danger")
        else:
            flash(_("Activity recorded."), "success")
            return redirect(url_for("programmes.activities", model_id=model.id))
    return render_template("programmes/activity_form.html", form=form, model=model)


@bp.route("/<int:model_id>/visits")
@requires(Action.VIEW_PROGRAMMES)
def visits(model_id: int):
    model = queries.load_model(current_user, model_id)
    page = paginate(queries.model_visits(model.id))
    return render_template(
        "programmes/visits.html",
        model=model,
        page=page,
        may_manage=queries.may_manage(current_user, model),
    )


@bp.route("/<int:model_id>/visits/new", methods=["GET", "POST"])
@requires(Action.MANAGE_PROGRAMMES)
def new_visit(model_id: int):
    model = queries.load_model(current_user, model_id, manage=True)
    form = VisitForm()
    units = db.session.scalars(units_in_subtrees([model.unit])).all()
    form.unit_id.choices = starting_empty(SelectChoice(u.id, f"{u.name} ({u.code})") for u in units)
    if form.validate_on_submit():
        try:
            services.record_visit(
                current_user,
                model,
                visited_on=form.visited_on.data,
                unit=db.session.get(Unit, form.unit_id.data),
                finding=Finding(form.finding.data),
            )
        except services.ProgrammeError as exc:
            flash(error_message(exc), "danger")
        else:
            flash(_("Visit recorded."), "success")
            return redirect(url_for("programmes.visits", model_id=model.id))
    return render_template("programmes/visit_form.html", form=form, model=model)


# -- targets vs actuals ----------------------------------------------------------------------


@bp.route("/<int:model_id>/results")
@requires(Action.VIEW_PROGRAMMES)
def results(model_id: int):
    model = queries.load_model(current_user, model_id)
    return _results_page(model, _year())


def _results_page(model, year: int, form: TargetsForm | None = None, status: int = 200):
    """A model's results; refused targets come back with what was typed and the messages."""
    rows = queries.rows_for([model], year)
    if form is None and queries.may_manage(current_user, model):
        form = TargetsForm(formdata=None, year=year)
        for row in rows:
            getattr(form, row.indicator.value).data = row.target
    return render_template(
        "programmes/results.html", model=model, year=year, rows=rows, form=form
    ), status


@bp.route("/<int:model_id>/targets", methods=["POST"])
@requires(Action.MANAGE_PROGRAMMES)
def set_targets(model_id: int):
    model = queries.load_model(current_user, model_id, manage=True)
    form = TargetsForm()
    if not form.validate_on_submit():
        year = form.year.data if isinstance(form.year.data, int) and not form.year.errors else None
        return _results_page(model, year or clock.today().year, form, status=400)
    try:
        services.set_targets(current_user, model, form.year.data, form.values())
    except services.ProgrammeError as exc:
        flash(error_message(exc), "danger")
    else:
        flash(_("Targets saved."), "success")
    return redirect(url_for("programmes.results", model_id=model.id, year=form.year.data))


# -- a case's enrolments ---------------------------------------------------------------------


@case_bp.route("/<int:case_id>/programmes")
@requires(Action.VIEW_CASES)
def enrolments(case_id: int):
    case, access = load_case(current_user, case_id)
    return _enrolments_page(case, access)


def _enrolments_page(case, access, enrol_form=None, leave_form=None, status: int = 200):
    """The case's enrolments; a refused enrolment or leaving comes back with what was typed."""
    today = clock.today()
    enrolments = queries.case_enrolments(case.id)
    if access.can_write:
        enrol_form = enrol_form or EnrolForm(formdata=None, enrolled_on=today)
        taking_part = {e.model_id for e in enrolments if e.left_on is None}
        models = [
            m
            for m in queries.enrolment_choices(current_user, case, today)
            if m.id not in taking_part
        ]
        enrol_form.model_id.choices = (
            starting_empty(SelectChoice(m.id, m.name) for m in models) if models else []
        )
        leave_form = leave_form or LeaveForm(formdata=None, left_on=today)
    else:
        enrol_form = leave_form = None
    return render_template(
        "programmes/case_enrolments.html",
        case=case,
        enrolments=enrolments,
        # A model's name links to its page where the user may open it (not every past
        # enrolment's model is in their scope: a case transferred from another unit).
        linked={e.model_id for e in enrolments if queries.may_view(current_user, e.model)},
        enrol_form=enrol_form,
        leave_form=leave_form,
    ), status


@case_bp.route("/<int:case_id>/programmes/enrol", methods=["POST"])
@requires(Action.EDIT_CASES)
def enrol(case_id: int):
    case, access = load_case(current_user, case_id, Need.WRITE)
    form = EnrolForm()
    valid = form.validate_on_submit()
    model = db.session.get(InterventionModel, form.model_id.data) if valid else None
    if valid and model is None:
        field_error(form.model_id, _("Choose a model and a date."))
    if model is None:
        return _enrolments_page(case, access, enrol_form=form, status=400)
    try:
        services.enrol_case(current_user, case, access, model, form.enrolled_on.data)
    except CaseDateRefused as exc:
        date_refused(form, exc)
        return _enrolments_page(case, access, enrol_form=form, status=400)
    except services.ProgrammeError as exc:
        flash(error_message(exc), "danger")
    else:
        flash(_("Case enrolled."), "success")
    return redirect(url_for("cases.programmes.enrolments", case_id=case.id))


@case_bp.route("/<int:case_id>/programmes/leave", methods=["POST"])
@requires(Action.EDIT_CASES)
def leave(case_id: int):
    case, access = load_case(current_user, case_id, Need.WRITE)
    form = LeaveForm()
    if not form.validate_on_submit():
        return _enrolments_page(case, access, leave_form=form, status=400)
    try:
        services.end_enrolment(
            current_user, case, access, form.enrolment_id.data, form.left_on.data
        )
    except CaseDateRefused as exc:
        date_refused(form, exc)
        return _enrolments_page(case, access, leave_form=form, status=400)
    except services.ProgrammeError as exc:
        flash(error_message(exc), "danger")
    else:
        flash(_("Leaving recorded."), "success")
    return redirect(url_for("cases.programmes.enrolments", case_id=case.id))
