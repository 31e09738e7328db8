"""Forms for the rules pages: a new rule version, a local day off, an emergency action."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from casemgr.rules.models import DurationUnit, EmergencyMeasure
from casemgr.rules.services import MAX_AMOUNT
from casemgr.web import validators as v
from casemgr.web.forms import Form, choose, fact_choices

UNIT_LABELS = {
    DurationUnit.HOURS: _l("hours"),
    DurationUnit.DAYS: _l("calendar days"),
    DurationUnit.WORKING_DAYS: _l("working days"),
    DurationUnit.MONTHS: _l("months"),
    DurationUnit.YEARS: _l("years"),
}
MEASURE_LABELS = {
    EmergencyMeasure.SEPARATED: _l("Separated from the person causing harm"),
    EmergencyMeasure.SAFE_PLACEMENT: _l("Placed with a safe carer or in a shelter"),
    EmergencyMeasure.MEDICAL_CARE: _l("Taken for medical care"),
    EmergencyMeasure.POLICE: _l("Protected by or handed to the police"),
    EmergencyMeasure.OTHER: _l("Other protective measure (describe it in a case note)"),
}


class RuleVersionForm(Form):
    """A new version of a rule, from a date after its latest version's."""

    key = SelectField(_l("Rule"), validators=[DataRequired()])
    valid_from = DateField(_l("Applies from"), validators=[DataRequired(), v.record_date()])
    amount = IntegerField(
        _l("Amount"), validators=[InputRequired(), NumberRange(min=1, max=MAX_AMOUNT)]
    )
    unit = SelectField(_l("Unit"), choices=fact_choices(UNIT_LABELS), validators=[choose()])
    source = TextAreaField(
        _l("Legal source (document, article, date in force)"),
        validators=[DataRequired(), Length(max=2000)],
    )
    needs_check = BooleanField(_l("Found in one weak source only: mark it for checking"))
    submit = SubmitField(_l("Add version"))


class DayOffForm(Form):
    """A local calendar exception for everyone or one unit's subtree."""

    day = DateField(_l("Date"), validators=[DataRequired(), v.record_date()])
    reason = TextAreaField(
        _l("Reason (e.g. provincial holiday, bridge day)"),
        validators=[DataRequired(), Length(max=200)],
    )
    unit_id = SelectField(_l("Applies to"), coerce=int)
    is_working_day = BooleanField(
        _l("A working day instead (a weekend day worked in exchange for a bridge day)")
    )
    submit = SubmitField(_l("Add to the calendar"))


class RemoveDayOffForm(Form):
    """Removing an entry that has not come yet."""

    day_off_id = HiddenField(validators=[InputRequired()])


class EmergencyActionForm(Form):
    """The emergency action taken to protect a child (local date and time)."""

    measure = SelectField(
        _l("Measure taken"), choices=fact_choices(MEASURE_LABELS), validators=[choose()]
    )
    taken_at = DateTimeLocalField(
        _l("When (local time)"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(), v.past_moment()],
    )
    submit = SubmitField(_l("Record emergency action"))
