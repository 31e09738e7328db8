"""Forms and labels for intervention models, enrolment, activities, visits and targets."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from casemgr.programmes.models import ActivityKind, Finding, Indicator
from casemgr.web import validators as v
from casemgr.web.forms import Form, choose, fact_choices

INDICATOR_LABELS = {
    Indicator.PERSONS_ENROLLED: _l("Persons enrolled"),
    Indicator.PERSONS_ASSISTED: _l("Persons assisted (services delivered)"),
    Indicator.COMMUNITY_SESSIONS: _l("Community sessions held"),
    Indicator.SESSION_PARTICIPANTS: _l("Participants in community sessions"),
    Indicator.STAFF_TRAINED: _l("Commune staff trained"),
    Indicator.MONITORING_VISITS: _l("Monitoring visits"),
}
ACTIVITY_KIND_LABELS = {
    ActivityKind.COMMUNITY_SESSION: _l("Community session"),
    ActivityKind.STAFF_TRAINING: _l("Training course for commune staff"),
}
FINDING_LABELS = {
    Finding.SATISFACTORY: _l("Satisfactory"),
    Finding.NEEDS_IMPROVEMENT: _l("Needs improvement"),
    Finding.UNSATISFACTORY: _l("Unsatisfactory"),
    Finding.NOT_OPERATING: _l("Not operating"),
}

ERRORS = {
    "not managed": _l("You can only manage models of the units you supervise."),
    "ends before it starts": _l("The end date is before the start date."),
    "read only": _l("You can read this case but not change it."),
    "in the future": _l("The date is in the future."),
    "model not open": _l("This model is not open to the case on that date."),
    "already enrolled": _l("The case already takes part in this model."),
    "unknown enrolment": _l("No such enrolment on this case."),
    "already left": _l("The case has already left this model."),
    "leaves before joining": _l("The leaving date is before the enrolment date."),
    "area not served": _l("Choose an area the model serves."),
    "bad counts": _l("Give the number of participants (at least one)."),
    "bad duration": _l("Give the duration."),
    "bad year": _l("Choose a year between 2000 and 2100."),
    "bad target": _l("Targets are whole numbers, zero or more."),
}


def error_message(exc: Exception) -> str:
    """The user's message for a service refusal."""
    return str(ERRORS.get(str(exc), _l("The request could not be completed.")))


class ModelForm(Form):
    """An intervention model's details (choices are set by the view)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    group_code = SelectField(_l("Target group"), validators=[DataRequired()])
    unit_id = SelectField(_l("Owning unit"), coerce=int, validators=[DataRequired()])
    area_ids = SelectMultipleField(
        _l("Areas served"),
        coerce=int,
        validators=[DataRequired()],
        description=_l(
            "Provinces first, then the communes of your units. Hold Ctrl (⌘ on a Mac) to "
            "choose more than one."
        ),
        render_kw={"size": 10},
    )
    starts_on = DateField(_l("Start date"), validators=[DataRequired(), v.record_date()])
    ends_on = DateField(_l("End date"), validators=[Optional(), v.record_date()])
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 4}
    )
    submit = SubmitField(_l("Save"))


class EnrolForm(Form):
    """Enrol a case into a model."""

    # Which models are open is the service's check (on the chosen day), not the form's.
    model_id = SelectField(
        _l("Intervention model"),
        coerce=int,
        validate_choice=False,
        validators=[DataRequired(), v.record_id()],
    )
    enrolled_on = DateField(_l("Enrolment date"), validators=[DataRequired(), v.past_date()])
    submit = SubmitField(_l("Enrol"))


class LeaveForm(Form):
    """End a case's enrolment."""

    enrolment_id = IntegerField(validators=[DataRequired(), v.record_id()])
    left_on = DateField(_l("Leaving date"), validators=[DataRequired(), v.past_date()])
    submit = SubmitField(_l("Record leaving"))


class ActivityForm(Form):
    """A community session or training course: counts by sex only, no names."""

    kind = SelectField(
        _l("Kind"), choices=fact_choices(ACTIVITY_KIND_LABELS), validators=[choose()]
    )
    held_on = DateField(_l("Date"), validators=[DataRequired(), v.past_date()])
    area_id = SelectField(_l("Area"), coerce=int, validators=[DataRequired()])
    title = StringField(
        _l("Title or topic"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("The subject only: never the names of participants."),
    )
    men = IntegerField(_l("Men"), default=0, validators=[InputRequired(), v.amount(0, 100_000)])
    women = IntegerField(_l("Women"), default=0, validators=[InputRequired(), v.amount(0, 100_000)])
    unspecified = IntegerField(
        _l("Sex not recorded"), default=0, validators=[InputRequired(), v.amount(0, 100_000)]
    )
    duration_hours = DecimalField(
        _l("Duration (hours)"),
        places=1,
        validators=[DataRequired(), NumberRange(min=Decimal("0.1"), max=Decimal(2000))],
    )
    submit = SubmitField(_l("Record activity"))


class VisitForm(Form):
    """A monitoring or inspection visit."""

    visited_on = DateField(_l("Date"), validators=[DataRequired(), v.past_date()])
    unit_id = SelectField(_l("Unit visited"), coerce=int, validators=[DataRequired()])
    finding = SelectField(
        _l("Finding"), choices=fact_choices(FINDING_LABELS), validators=[choose()]
    )
    submit = SubmitField(_l("Record visit"))


TARGET = v.amount(0, 1_000_000)  # a yearly count; the column is a 32-bit integer


class TargetsForm(Form):
    """A model's targets for one year, one optional number per indicator."""

    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(min=2000, max=2100)])
    persons_enrolled = IntegerField(
        INDICATOR_LABELS[Indicator.PERSONS_ENROLLED], validators=[Optional(), TARGET]
    )
    persons_assisted = IntegerField(
        INDICATOR_LABELS[Indicator.PERSONS_ASSISTED], validators=[Optional(), TARGET]
    )
    community_sessions = IntegerField(
        INDICATOR_LABELS[Indicator.COMMUNITY_SESSIONS], validators=[Optional(), TARGET]
    )
    session_participants = IntegerField(
        INDICATOR_LABELS[Indicator.SESSION_PARTICIPANTS], validators=[Optional(), TARGET]
    )
    staff_trained = IntegerField(
        INDICATOR_LABELS[Indicator.STAFF_TRAINED], validators=[Optional(), TARGET]
    )
    monitoring_visits = IntegerField(
        INDICATOR_LABELS[Indicator.MONITORING_VISITS], validators=[Optional(), TARGET]
    )
    submit = SubmitField(_l("Save targets"))

    def values(self) -> dict[Indicator, int | None]:
        """The typed targets by indicator (None: no target)."""
        return {indicator: getattr(self, indicator.value).data for indicator in Indicator}
