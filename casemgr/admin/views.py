"""Administration pages: users and their roles, organisational units."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from casemgr.admin import queries, services
from casemgr.admin.forms import (
    UNIT_KIND_LABELS,
    CloseUnitForm,
    ConfirmForm,
    DisableForm,
    NewUnitForm,
    NewUserForm,
    ProfileForm,
    RoleForm,
    opens_too_late,
)
from casemgr.auth.models import User
from casemgr.auth.roles import ROLE_LABELS, Action, Role
from casemgr.extensions import db
from casemgr.org import queries as org_queries
from casemgr.org import services as org_services
from casemgr.org.models import PARENT_KINDS, Area, Unit, UnitKind
from casemgr.web.access import requires
from casemgr.web.forms import starting_empty
from casemgr.web.pagination import paginate

bp = Blueprint("admin", __name__, url_prefix="/admin")

USER_ERRORS = {
    "username taken": _l("This username is already taken."),
    "last role": _l("A user needs at least one role; disable the user instead."),
    "cannot disable self": _l("You cannot disable your own account."),
    "no such role": _l("That role assignment does not exist."),
    "owns open cases": _l(
        "This user still owns open cases. Tick the box to confirm, and ask their supervisor "
        "to reassign the cases."
    ),
}
UNIT_ERRORS = {
    "code in use": _l("This code is already used by another unit."),
    "parent closed": _l("The parent unit is closed on that date."),
    "successor inside unit": _l("The successor must be another unit outside this one."),
    "successor closed": _l("The successor unit is closed on that date."),
    "closes before it opens": _l("A unit cannot close before it opens."),
}
NO_COMMUNE = _l("Tick at least one commune or ward.")
TOP_LEVEL = _l("(none: a top-level unit)")


def _unit_choices() -> list[SelectChoice]:
    return [SelectChoice(u.id, f"{u.code} – {u.name}") for u in org_queries.open_units()]


def _load_user(user_id: int) -> User:
    return db.get_or_404(User, user_id)


@bp.route("/users")
@requires(Action.MANAGE_USERS)
def users():
    term = request.args.get("q", "").strip()
    show = request.args.get("show", "")
    show = show if show in queries.FILTERS else ""
    page = paginate(queries.user_list(term, show or None))
    return render_template(
        "admin/users.html",
        page=page,
        q=term,
        show=show,
        open_cases=queries.open_case_counts([user.id for user in page.items]),
        role_labels=ROLE_LABELS,
    )


@bp.route("/users/new", methods=["GET", "POST"])
@requires(Action.MANAGE_USERS)
def new_user():
    form = NewUserForm()
    form.unit_id.choices = _unit_choices()
    if form.is_submitted() and _new_user_accepted(form):
        unit = db.get_or_404(Unit, form.unit_id.data)
        try:
            user, temp = services.create_user(
                current_user,
                username=form.username.data,
                display_name=form.display_name.data,
                email=form.email.data,
                role=Role(form.role.data),
                unit=unit,
            )
        except services.UserError as exc:
            form.username.errors = [USER_ERRORS[str(exc)]]
        else:
            return render_template("admin/temporary_password.html", user=user, password=temp)
    return render_template("admin/user_new.html", form=form)


def _new_user_accepted(form: NewUserForm) -> bool:
    """Every refusal at once: the fields' own checks, then the service's on the values they
    could read (a taken username is named beside a wrong email)."""
    form.validate()
    for code in services.new_user_problems(username=_read(form.username)):
        form.username.errors = [*form.username.errors, USER_ERRORS[code]]
    return not any(field.errors for field in form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires(Action.MANAGE_USERS)
def user_detail(user_id: int):
    user = _load_user(user_id)
    profile = ProfileForm(obj=user)
    if profile.validate_on_submit():
        services.update_profile(
            current_user, user, display_name=profile.display_name.data, email=profile.email.data
        )
        flash(_("Saved."), "success")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    return _user_page(user, profile)


def _user_page(user: User, profile: ProfileForm, role_form: RoleForm | None = None, status=200):
    """The user's page; a refused role comes back with the choice made and its message."""
    role_form = role_form or RoleForm(formdata=None)
    role_form.unit_id.choices = _unit_choices()
    return render_template(
        "admin/user_detail.html",
        user=user,
        profile=profile,
        role_form=role_form,
        confirm=ConfirmForm(),
        disable_form=DisableForm(formdata=None),
        open_cases=queries.open_case_count(user),
        supervisors=queries.responsible_supervisors(user),
        role_labels=ROLE_LABELS,
    ), status


@bp.route("/users/<int:user_id>/roles", methods=["POST"])
@requires(Action.MANAGE_USERS)
def add_role(user_id: int):
    user = _load_user(user_id)
    form = RoleForm()
    form.unit_id.choices = _unit_choices()
    if not form.validate_on_submit():
        return _user_page(user, ProfileForm(formdata=None, obj=user), form, status=400)
    services.assign_role(
        current_user, user, Role(form.role.data), db.get_or_404(Unit, form.unit_id.data)
    )
    flash(_("Role added."), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/roles/<int:assignment_id>/remove", methods=["POST"])
@requires(Action.MANAGE_USERS)
def remove_role(user_id: int, assignment_id: int):
    user = _load_user(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.remove_role(current_user, user, assignment_id)
        flash(_("Role removed."), "success")
    except services.UserError as exc:
        flash(USER_ERRORS[str(exc)], "danger")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/<any(disable, enable):change>", methods=["POST"])
@requires(Action.MANAGE_USERS)
def set_enabled(user_id: int, change: str):
    user = _load_user(user_id)
    form = DisableForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.set_enabled(
            current_user,
            user,
            change == "enable",
            open_cases_acknowledged=bool(form.acknowledge.data),
        )
        flash(
            _("User enabled.")
            if change == "enable"
            else _("User disabled; their sessions have ended."),
            "success",
        )
    except services.UserError as exc:
        flash(USER_ERRORS[str(exc)], "danger")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/reset-mfa", methods=["POST"])
@requires(Action.MANAGE_USERS)
def reset_mfa(user_id: int):
    user = _load_user(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.reset_mfa(current_user, user)
    flash(_("Two-step sign-in was reset; the user enrols again at the next sign-in."), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"])
@requires(Action.MANAGE_USERS)
def reset_password(user_id: int):
    user = _load_user(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    temp = services.reset_password(current_user, user)
    return render_template("admin/temporary_password.html", user=user, password=temp)


@bp.route("/units")
@requires(Action.MANAGE_UNITS)
def units():
    statement = select(Unit).order_by(org_queries.tree_order())
    return render_template(
        "admin/units.html", page=paginate(statement), kind_labels=UNIT_KIND_LABELS
    )


@bp.route("/units/new", methods=["GET", "POST"])
@requires(Action.MANAGE_UNITS)
def new_unit():
    form = NewUnitForm()
    form.parent_id.choices = [SelectChoice(0, str(TOP_LEVEL)), *_unit_choices()]
    provinces = org_queries.current_provinces()
    form.province_id.choices = starting_empty(
        (SelectChoice(p.id, p.name) for p in provinces), empty=""
    )
    if request.method == "GET":
        # The province the units already work in, when there is one: its communes are shown
        # straight away (a province, not a fact about the unit: nothing is ticked).
        in_use = org_queries.provinces_in_use()
        form.province_id.data = next(iter(in_use)) if len(in_use) == 1 else None
    province = next((p for p in provinces if p.id == form.province_id.data), None)
    communes = org_queries.communes_of({province.id}) if province else []
    form.area_ids.choices = [
        SelectChoice(a.id, a.name, render_kw={"data-code": a.code}) for a in communes
    ]
    if form.show_communes.data:  # redraw the boxes for the chosen province; nothing is saved
        if province is None and not form.province_id.errors:
            form.province_id.errors = [_("Choose the province or city.")]
        # Ticks of another province are dropped, and the page says so: what stays ticked is
        # what will be saved.
        listed = {a.id for a in communes}
        ticked = [i for i in dict.fromkeys(form.area_ids.data or []) if isinstance(i, int)]
        form.area_ids.data = [i for i in ticked if i in listed]
        dropped = len(ticked) - len(form.area_ids.data)
        notice = (
            ngettext(
                "Unticked %(num)d commune or ward of another province.",
                "Unticked %(num)d communes and wards of another province.",
                dropped,
            )
            if dropped
            else None
        )
        return render_template("admin/unit_new.html", form=form, province=province, notice=notice)
    if form.is_submitted():
        # Every refusal at once: the fields' own checks, then the service's rules on the
        # values the fields could read (a taken code is named beside a missing commune).
        form.validate()
        areas = _chosen_communes(form, province, communes)  # refused with the other fields
        parent = _chosen_parent(form)
        kind = UnitKind(form.kind.data) if form.kind.data and not form.kind.errors else None
        problems = org_services.new_unit_problems(
            code=_read(form.code),
            kind=kind,
            parent=parent,
            valid_from=_read(form.valid_from),
            areas=None if form.area_ids.errors else areas,
        )
        _show_unit_problems(form, problems, parent)
        if not any(field.errors for field in form) and areas is not None:
            try:
                unit = org_services.open_unit(
                    current_user,
                    code=form.code.data,
                    name=form.name.data,
                    kind=kind,
                    parent=parent,
                    valid_from=form.valid_from.data,
                    areas=areas,
                )
            except org_services.UnitError as exc:  # changed meanwhile (a code taken since)
                _show_unit_problems(form, exc.problems, parent)
            else:
                flash(_("Unit created."), "success")
                return redirect(url_for("admin.unit_detail", unit_id=unit.id))
    return render_template("admin/unit_new.html", form=form, province=province)


def _read(field):
    """A field's value when its own checks passed (the service judges only those)."""
    return None if field.errors else field.data


def _chosen_parent(form: NewUnitForm) -> Unit | None:
    """The parent unit chosen (None for a top-level unit, or a choice that was refused)."""
    if form.parent_id.errors or not form.parent_id.data:
        return None
    return db.get_or_404(Unit, form.parent_id.data)


def _show_unit_problems(
    form: NewUnitForm, problems: dict[str, list[str]], parent: Unit | None
) -> None:
    """Put each of the service's refusals under the field it is about."""
    fields = {
        "code": form.code,
        "kind": form.kind,
        "parent": form.parent_id,
        "valid_from": form.valid_from,
        "areas": form.area_ids,
        "": form.code,
    }
    for argument, codes in problems.items():
        field = fields[argument]
        field.errors = [*field.errors, *(_unit_message(c, form, parent) for c in codes)]


def _unit_message(code: str, form: NewUnitForm, parent: Unit | None) -> str:
    if code == "areas outside province":
        return _outside_parent_province(parent)
    if code == "no communes":
        return str(NO_COMMUNE)
    if code == "opens too far ahead":
        return opens_too_late(org_services.latest_opening())
    if code == "parent kind":
        return _parent_kind_message(UnitKind(form.kind.data))
    return str(UNIT_ERRORS[code])


def _parent_kind_message(kind: UnitKind) -> str:
    """Which units a unit of this kind may sit under, in the words of the kinds' list."""
    allowed = PARENT_KINDS[kind]
    if not allowed:
        return _(
            "%(kind)s is a top-level unit: choose “%(none)s”.",
            kind=UNIT_KIND_LABELS[kind],
            none=TOP_LEVEL,
        )
    return _(
        "%(kind)s may sit only under: %(kinds)s.",
        kind=UNIT_KIND_LABELS[kind],
        kinds=", ".join(str(UNIT_KIND_LABELS[k]) for k in UnitKind if k in allowed),
    )


# A refusal names this many communes of another province, then counts the rest.
NAMED_AT_MOST = 5


def _chosen_communes(
    form: NewUnitForm, province: Area | None, communes: list[Area]
) -> list[Area] | None:
    """The ticked communes, all of the chosen province; None (with the refusal under the
    field, naming the communes of another province) when any is not."""
    ids = list(dict.fromkeys(form.area_ids.data or []))
    if not ids:
        return []
    if province is None:
        form.province_id.errors = [_("Choose the province or city of the communes.")]
        return None
    listed = {a.id: a for a in communes}
    if all(i in listed for i in ids):
        return [listed[i] for i in ids]
    others = [i for i in ids if i not in listed]
    elsewhere = org_queries.current_communes_by_ids(others)
    errors = []
    if elsewhere:
        names = ", ".join(a.name for a in elsewhere[:NAMED_AT_MOST])
        more = len(elsewhere) - NAMED_AT_MOST
        errors.append(
            _("Not in %(province)s: %(names)s.", province=province.name, names=names)
            if more <= 0
            else _(
                "Not in %(province)s: %(names)s and %(more)d more.",
                province=province.name,
                names=names,
                more=more,
            )
        )
    if len(elsewhere) < len(others):
        errors.append(_("Tick communes from the list of %(province)s.", province=province.name))
    form.area_ids.errors = errors
    return None


def _outside_parent_province(parent: Unit | None) -> str:
    ids = org_queries.provinces_served([parent]) if parent is not None else set()
    names = ", ".join(p.name for p in org_queries.current_provinces() if p.id in ids)
    return _(
        "The parent unit works in %(province)s: tick communes of that province.", province=names
    )


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@requires(Action.MANAGE_UNITS)
def unit_detail(unit_id: int):
    unit = db.get_or_404(Unit, unit_id)
    form = CloseUnitForm()
    form.successor_id.choices = starting_empty(c for c in _unit_choices() if c.value != unit.id)
    if unit.valid_to is None and form.validate_on_submit():
        successor = db.get_or_404(Unit, form.successor_id.data)
        try:
            org_services.close_unit(current_user, unit, on=form.closed_on.data, successor=successor)
        except org_services.UnitError as exc:
            form.successor_id.errors = [UNIT_ERRORS[str(exc)]]
        else:
            flash(_("Unit closed."), "success")
            return redirect(url_for("admin.unit_detail", unit_id=unit.id))
    return render_template(
        "admin/unit_detail.html", unit=unit, form=form, kind_labels=UNIT_KIND_LABELS
    )
