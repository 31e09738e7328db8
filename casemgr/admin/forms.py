"""Forms for managing users and units."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from wtforms import BooleanField, DateField, EmailField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from casemgr.auth.roles import ROLE_LABELS
from casemgr.i18n import show_date
from casemgr.org.models import OPENING_LEAD_YEARS, UnitKind
from casemgr.org.services import latest_opening
from casemgr.web import validators as v
from casemgr.web.forms import CheckboxesField, Form, choose, fact_choices, id_or_none

UNIT_KIND_LABELS = {
    UnitKind.PROVINCIAL_DEPARTMENT: _l("Provincial department"),
    UnitKind.DISTRICT_OFFICE: _l("District office (before 2025)"),
    UnitKind.COMMUNE_OFFICE: _l("Commune office"),
    UnitKind.SERVICE_CENTRE: _l("Social service centre"),
}


CODE_CHARACTERS = _l("Use letters, digits, dot, dash or underscore.")


def opens_too_late(latest: dt.date) -> str:
    """The refusal of a unit opening after `latest` (see OPENING_LEAD_YEARS)."""
    return ngettext(
        "A unit is set up at most %(num)d year ahead: enter a date on or before %(date)s.",
        "A unit is set up at most %(num)d years ahead: enter a date on or before %(date)s.",
        OPENING_LEAD_YEARS,
        date=show_date(latest),
    )


class RoleForm(Form):
    """A role in a unit."""

    role = SelectField(
        _l("Role"),
        choices=fact_choices({r.value: label for r, label in ROLE_LABELS.items()}),
        validators=[choose()],
    )
    unit_id = SelectField(_l("Unit"), coerce=int)
    submit = SubmitField(_l("Add role"))


class NewUserForm(RoleForm):
    """A new user with their first role."""

    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(),
            Length(min=3, max=64),
            Regexp(
                r"^[A-Za-z0-9._-]+$", message=_l("Use letters, digits, dot, dash or underscore.")
            ),
        ],
    )
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email (optional)"), validators=[Optional(), Email(), Length(max=200)])
    submit = SubmitField(_l("Create user"))


class ProfileForm(Form):
    """Display name and email of an existing user."""

    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email (optional)"), validators=[Optional(), Email(), Length(max=200)])
    submit = SubmitField(_l("Save"))


class ConfirmForm(Form):
    """A bare POST with a CSRF token (disable, enable, reset MFA, reset password, remove role)."""

    submit = SubmitField(_l("Confirm"))


class DisableForm(ConfirmForm):
    """Disable a user; one who owns open cases needs the acknowledgement ticked."""

    acknowledge = BooleanField(
        _l("I understand: their open cases stay with them until a supervisor reassigns them.")
    )
    submit = SubmitField(_l("Disable"))


class NewUnitForm(Form):
    """A new organisational unit."""

    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Length(max=40),
            Regexp(r"^[A-Za-z0-9._-]+$", message=CODE_CHARACTERS),
        ],
        description=_l(
            "Letters without diacritics, digits, dot, dash or underscore, no spaces; "
            "for example SYT-QT or XA-00070."
        ),
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(
        _l("Kind"),
        choices=fact_choices({k.value: label for k, label in UNIT_KIND_LABELS.items()}),
        validators=[choose()],
    )
    parent_id = SelectField(_l("Parent unit"), coerce=int)
    valid_from = DateField(
        _l("Open from"),
        validators=[
            DataRequired(),
            v.FutureAllowedDate(
                warn_past=False,
                floor=v.RECORD_FLOOR,
                latest=latest_opening,
                too_late=opens_too_late,
            ),
        ],
    )
    # The communes are picked by name: a province, then the boxes of its communes (the view
    # sets both lists; "Show its communes" redraws the boxes for the province chosen).
    province_id = SelectField(_l("Province or city"), coerce=id_or_none, validators=[Optional()])
    show_communes = SubmitField(_l("Show its communes"))
    area_ids = CheckboxesField(
        _l("Communes and wards served"), coerce=int, validate_choice=False
    )  # checked by the view against the province's communes, naming the ones refused
    submit = SubmitField(_l("Create unit"))


class CloseUnitForm(Form):
    """Close a unit, naming its successor."""

    successor_id = SelectField(_l("Successor unit"), coerce=int, validators=[choose()])
    closed_on = DateField(_l("Closed from"), validators=[DataRequired(), v.record_date()])
    submit = SubmitField(_l("Close unit"))
