"""Forms for intake reports: recording a report, and the office's decision on it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from casemgr.cases.forms import CaseForm
from casemgr.intake.models import IntakeSource
from casemgr.intake.validation import FIELD_MESSAGES, MAX_DISMISSAL_REASON, MAX_LENGTHS
from casemgr.web import validators as v
from casemgr.web.forms import Form, choose, fact_choices, id_or_none

SOURCE_LABELS = {
    IntakeSource.HOTLINE: _l("Hotline (child helpline 111)"),
    IntakeSource.PARTNER: _l("Partner organisation (school, health facility, police, NGO)"),
    IntakeSource.WALK_IN: _l("In person at the office"),
    IntakeSource.PHONE: _l("Phone call or message to the office"),
}


TOO_LONG = _l("At most %(max)d characters; this text has %(length)d.")


def _text(label, name: str, *, required: bool = False, rows: int = 0):
    checks = [
        DataRequired() if required else Optional(),
        Length(max=MAX_LENGTHS[name], message=TOO_LONG),
    ]
    if rows:
        return TextAreaField(label, validators=checks, render_kw={"rows": rows})
    return StringField(label, validators=checks)


class IntakeReportForm(Form):
    """A report received about a child at risk (form 01 of Decree 56/2017)."""

    unit_id = SelectField(_l("For the commune office"), coerce=id_or_none, validators=[choose()])
    source = SelectField(
        _l("Received through"), choices=fact_choices(SOURCE_LABELS), validators=[choose()]
    )
    received_at = DateTimeLocalField(
        _l("Received at (local time)"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(), v.past_moment()],
    )
    is_emergency = BooleanField(_l("The reporter says the child is in danger now"))
    situation = _text(
        _l("What happened: the harm or risk to the child"), "situation", required=True, rows=5
    )
    location = _text(_l("Where the child is, or where it happened"), "location", required=True,
                     rows=2)  # fmt: skip
    child_name = _text(_l("Child's name (if known)"), "child_name")
    child_details = _text(
        _l("About the child: age, sex, school, anything that helps find them"),
        "child_details",
        rows=2,
    )
    carers = _text(_l("Parents or carers, and where they are"), "carers", rows=2)
    reporter_consents = BooleanField(
        _l("The reporter agrees that their name and contact are recorded")
    )
    reporter_name = _text(_l("Reporter's name"), "reporter_name")
    reporter_contact = _text(_l("Reporter's phone or address"), "reporter_contact")
    submit = SubmitField(_l("Record the report"))

    def validate_reporter_name(self, field: StringField) -> None:
        """The reporter is named only with their consent (said at once, with other refusals)."""
        if (field.data or "").strip() and not self.reporter_consents.data:
            raise ValidationError(str(FIELD_MESSAGES["identity without consent"]))

    validate_reporter_contact = validate_reporter_name


class VersionedReportForm(Form):
    """A decision on a report carries the version it was read at."""

    version = HiddenField(validators=[InputRequired()])


class DismissForm(VersionedReportForm):
    """Dismiss the report, saying why."""

    reason = TextAreaField(
        _l("Why the report is dismissed (e.g. not a child at risk, a duplicate of TN-...)"),
        validators=[DataRequired(), Length(max=MAX_DISMISSAL_REASON)],
        render_kw={"rows": 2},
    )
    dismiss = SubmitField(_l("Dismiss the report"))


class LinkForm(VersionedReportForm):
    """Accept the report as news about an existing case."""

    case_number = StringField(
        _l("Number of the existing case"), validators=[DataRequired(), Length(max=40)]
    )
    link = SubmitField(_l("Link to this case"))


class FindPersonForm(Form):
    """Find the child among registered persons (a POST: no name reaches a URL)."""

    q = StringField(
        _l("Name, ID number or phone"), validators=[DataRequired(), Length(min=2, max=100)]
    )
    find = SubmitField(_l("Search"))


class IntakeCaseForm(CaseForm):
    """Open a case for the child of a report (the case form, read at the report's version)."""

    version = HiddenField(validators=[InputRequired()])
