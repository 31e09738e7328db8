"""Pages to correct or void a record, and to read its earlier versions."""

from __future__ import annotations

import enum
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import inspect as sa_inspect

from casemgr import clock
from casemgr.auth.roles import Action
from casemgr.cases.dates import CaseDateRefused
from casemgr.cases.queries import Need
from casemgr.corrections import services
from casemgr.corrections.forms import VoidForm, correction_form, shown_values
from casemgr.corrections.queries import load_record
from casemgr.corrections.registry import Kind
from casemgr.people.registration import relatives_of
from casemgr.support import queries as support_queries
from casemgr.support.forms import NONE
from casemgr.support.views import partner_choices
from casemgr.web.access import requires
from casemgr.web.forms import SelectChoice, date_refused, field_error, starting_empty

bp = Blueprint("corrections", __name__, url_prefix="/corrections")

ERRORS = {
    "not allowed": lambda: _("You may not change this record."),
    "not current": lambda: _("This record was already corrected or voided."),
    "reason required": lambda: _("Give the reason."),
    "reason too long": lambda: _("The reason is too long."),
    "nothing changed": lambda: _("Nothing was changed."),
    "person erased": lambda: _("This person was erased: their records can no longer change."),
    "relative of another person": lambda: _("Choose one of this person's guardians."),
    "not a guardian": lambda: _("Choose one of this person's guardians."),
    "before registration": lambda: _("The test date is before the registration."),
    "service of another group": lambda: _("Choose a service of the case's group."),
    "relative gave a consent": lambda: _(
        "This relative gave a consent: void or correct that consent first."
    ),
}
# Which field a refusal belongs to (shown under it); the others go under the reason.
ERROR_FIELDS = {
    "relative of another person": "relative_id",
    "not a guardian": "relative_id",
    "before registration": "tested_on",
    "service of another group": "service_type_id",
}


def _back(kind: Kind, item: Any) -> str:
    if not kind.on_case:
        return url_for("people.detail", person_id=item.person_id)
    if kind.name == "drug_test":
        return url_for("cases.groups.drugs", case_id=item.case_id)
    anchor = "#support" if kind.name == "service" else ""
    return url_for("cases.detail", case_id=item.case_id) + anchor


def _prepare(form: Any, kind: Kind, item: Any) -> Any:
    """Fill the choices the original page fills (guardians, services offered, partners)."""
    if kind.name == "consent":
        person = item.person_id
        form.relative_id.choices = [SelectChoice(0, "—")] + [
            SelectChoice(r.id, r.name) for r in relatives_of(_person(person)) if r.is_guardian
        ]
    if kind.name == "service":
        from casemgr.cases.models import Case
        from casemgr.extensions import db

        case = db.session.get(Case, item.case_id)
        day = form.delivered_on.data or item.delivered_on
        offered = {t.id: t for t in support_queries.offered_services(case, day)}
        offered.setdefault(item.service_type.id, item.service_type)
        form.service_type_id.choices = starting_empty(
            SelectChoice(t.id, t.label) for t in offered.values()
        )
        # As the delivery form: the partners serving the case's group, and the record's own.
        form.partner_id.choices = [NONE, *partner_choices(case, keep=item.partner)]
    return form


def _person(person_id: int):
    from casemgr.extensions import db
    from casemgr.people.models import Person

    return db.session.get(Person, person_id)


def _values(form: Any, kind: Kind) -> dict[str, Any]:
    """The form's values in the model's terms: "no choice" is None, enums are members."""
    columns = sa_inspect(kind.model).columns
    values = {}
    for name in kind.fields:
        value = form[name].data
        if name in ("relative_id", "partner_id") and not value:
            value = None
        if isinstance(value, str):
            value = value.strip() or None
        enum_class = getattr(columns[name].type, "enum_class", None) if name in columns else None
        if value is not None and enum_class and issubclass(enum_class, enum.Enum):
            value = enum_class(value)
        values[name] = value
    return values


def _shown(kind: Kind, item: Any) -> list[tuple[Any, Any]]:
    """The record's values as its form labels and shows them."""
    form = correction_form(kind.name)(formdata=None, obj=item)
    return shown_values(_prepare(form, kind, item), kind.fields)


@bp.route("/<kind>/<int:record_id>/correct", methods=["GET", "POST"])
@requires(Action.EDIT_CASES)
def correct(kind: str, record_id: int):
    kind_, item, access = load_record(current_user, kind, record_id, Need.WRITE)
    if not item.is_current:
        abort(409)
    form_class = correction_form(kind_.name)
    form = form_class(obj=item)
    _prepare(form, kind_, item)
    status = 200
    if form.validate_on_submit():
        try:
            services.correct(
                current_user, item, _values(form, kind_), form.reason.data, access=access
            )
        except CaseDateRefused as exc:
            date_refused(form, exc)
            status = 400
        except services.CorrectionError as exc:
            code = str(exc)
            field_error(form[ERROR_FIELDS.get(code, "reason")], ERRORS[code]())
            status = 409 if code == "not current" else 400
        else:
            flash(_("Correction saved. The earlier version is kept in the history."), "success")
            return redirect(_back(kind_, item))
    elif form.is_submitted():
        status = 400
    page = render_template(
        "corrections/correct.html", kind=kind_, item=item, form=form, back=_back(kind_, item)
    )
    return page, status


@bp.route("/<kind>/<int:record_id>/void", methods=["GET", "POST"])
@requires(Action.EDIT_CASES)
def void(kind: str, record_id: int):
    kind_, item, access = load_record(current_user, kind, record_id, Need.WRITE)
    if not item.is_current:
        abort(409)
    form = VoidForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.void(current_user, item, form.reason.data, access=access)
        except services.CorrectionError as exc:
            field_error(form.reason, ERRORS[str(exc)]())
            status = 400
        else:
            flash(_("Voided. The record stays in the history, marked as voided."), "success")
            return redirect(_back(kind_, item))
    elif form.is_submitted():
        status = 400
    shown = _shown(kind_, item)
    page = render_template("corrections/void.html", kind=kind_, item=item, form=form,
                           shown=shown, back=_back(kind_, item))  # fmt: skip
    return page, status


@bp.route("/<kind>/<int:record_id>/history")
@requires(Action.VIEW_CASES)
def history(kind: str, record_id: int):
    kind_, item, _access = load_record(current_user, kind, record_id)
    versions = [(version, _shown(kind_, version)) for version in services.versions(item)]
    return render_template(
        "corrections/history.html",
        kind=kind_,
        item=item,
        versions=versions,
        back=_back(kind_, item),
        today=clock.today(),
    )
