"""Forms for group records: drug-programme steps and no-contact orders (times typed locally)."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from casemgr import clock
from casemgr.clock import LOCAL_TZ
from casemgr.groups.models import (
    DrugProgrammeKind,
    DrugTestResult,
    EscalationReason,
    NoContactDecision,
    NoContactStatus,
    ProgrammeStage,
)
from casemgr.web import validators as v
from casemgr.web.forms import Form, choose, fact_choices

KIND_LABELS = {
    DrugProgrammeKind.VOLUNTARY_REHAB: _l("Voluntary rehabilitation at home or in the community"),
    DrugProgrammeKind.ILLEGAL_USE: _l("Management of illegal drug use"),
    DrugProgrammeKind.POST_REHAB: _l("Post-rehabilitation management"),
}
START_LABELS = {
    DrugProgrammeKind.VOLUNTARY_REHAB: _l("Registered at the commune"),
    DrugProgrammeKind.ILLEGAL_USE: _l("Notified to the commune"),
    DrugProgrammeKind.POST_REHAB: _l("Returned to the place of residence"),
}
STAGE_LABELS = {
    ProgrammeStage.AWAITING_DECISION: _l("Awaiting the commune's decision"),
    ProgrammeStage.IN_PROGRESS: _l("In progress"),
    ProgrammeStage.COMPLETED: _l("Completed"),
    ProgrammeStage.ESCALATED: _l("Sent to compulsory rehabilitation"),
}
RESULT_LABELS = {
    DrugTestResult.POSITIVE: _l("Positive"),
    DrugTestResult.NEGATIVE: _l("Negative"),
    DrugTestResult.REFUSED: _l("Refused the test"),
}
ESCALATION_LABELS = {
    EscalationReason.NOT_REGISTERED: _l("Did not register for voluntary rehabilitation"),
    EscalationReason.QUIT: _l("Quit rehabilitation before the end"),
    EscalationReason.RELAPSE: _l("Relapse"),
}
DECISION_LABELS = {
    NoContactDecision.GRANTED: _l("Granted"),
    NoContactDecision.REFUSED: _l("Refused"),
}
ORDER_STATUS_LABELS = {
    NoContactStatus.REQUESTED: _l("Requested, awaiting decision"),
    NoContactStatus.GRANTED: _l("Granted, in force"),
    NoContactStatus.REFUSED: _l("Refused"),
    NoContactStatus.EXPIRED: _l("Expired"),
}


def as_utc(local: dt.datetime | None) -> dt.datetime | None:
    """A time typed in Viet Nam's local time, as an aware UTC moment."""
    if local is None:
        return None
    return local.replace(tzinfo=LOCAL_TZ).astimezone(dt.UTC)


def local_now() -> dt.datetime:
    """Now in Viet Nam, to the minute, without a zone (what a datetime-local input shows)."""
    return clock.utcnow().astimezone(LOCAL_TZ).replace(second=0, microsecond=0, tzinfo=None)


class ProgrammeForm(Form):
    """Start an enrolment."""

    kind = SelectField(
        _l("Management form"), choices=fact_choices(KIND_LABELS), validators=[choose()]
    )
    registered_on = DateField(
        _l("Registration, notice or return date"), validators=[DataRequired(), v.past_date()]
    )
    note = TextAreaField(
        _l("Notes (decision references, place, family supervisor)"),
        validators=[Optional(), Length(max=5000)],
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Record"))


class ProgrammeStepForm(Form):
    """A step on one enrolment (the enrolment id travels in the form, never in the URL)."""

    programme_id = IntegerField(validators=[DataRequired(), v.record_id()])


class DecisionForm(ProgrammeStepForm):
    """The commune chairperson's decision."""

    decision_on = DateField(_l("Decision date"), validators=[DataRequired(), v.past_date()])
    planned_months = IntegerField(
        _l("Term in months (voluntary rehabilitation)"),
        validators=[Optional(), NumberRange(min=1, max=120)],
    )
    submit = SubmitField(_l("Record the decision"))


class DrugTestForm(ProgrammeStepForm):
    """A drug test."""

    tested_on = DateField(_l("Test date"), validators=[DataRequired(), v.past_date()])
    result = SelectField(_l("Result"), choices=fact_choices(RESULT_LABELS), validators=[choose()])
    submit = SubmitField(_l("Record the test"))


class CompletionForm(ProgrammeStepForm):
    """The completion certificate."""

    completed_on = DateField(
        _l("Completion certificate date"), validators=[DataRequired(), v.past_date()]
    )
    submit = SubmitField(_l("Record completion"))


class EscalationForm(ProgrammeStepForm):
    """The move to compulsory rehabilitation."""

    escalated_on = DateField(_l("Date"), validators=[DataRequired(), v.past_date()])
    reason = SelectField(
        _l("Reason"), choices=fact_choices(ESCALATION_LABELS), validators=[choose()]
    )
    submit = SubmitField(_l("Record compulsory rehabilitation"))


class NoContactRequestForm(Form):
    """A request for a no-contact order."""

    requested_at = DateTimeLocalField(
        _l("Requested at (local time)"), validators=[DataRequired(), v.past_moment()]
    )
    details = TextAreaField(
        _l("Who must keep away from whom, and where"),
        validators=[DataRequired(), Length(max=5000)],
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Record the request"))


class NoContactDecisionForm(Form):
    """The chairperson's decision on a request."""

    order_id = IntegerField(validators=[DataRequired(), v.record_id()])
    decision = SelectField(
        _l("Decision"), choices=fact_choices(DECISION_LABELS), validators=[choose()]
    )
    decided_at = DateTimeLocalField(
        _l("Decided at (local time)"), validators=[InputRequired(), v.past_moment()]
    )
    valid_until = DateTimeLocalField(
        _l("In force until (local time; at most 3 days, empty for the longest)"),
        validators=[Optional()],
    )
    submit = SubmitField(_l("Record the decision"))
