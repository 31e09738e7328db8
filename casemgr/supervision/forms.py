"""Forms of the supervision pages: the dashboard's period and the reassignment of cases."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, SelectMultipleField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from casemgr.supervision.models import ReassignReason
from casemgr.supervision.services import MAX_REASON_TEXT, Choice
from casemgr.web.forms import Form, choose, fact_choices

PERIODS = (30, 90, 365)

REASON_LABELS = {
    ReassignReason.WORKLOAD: _l("Balancing workloads"),
    ReassignReason.ABSENCE: _l("Worker absent (leave, illness)"),
    ReassignReason.STAFF_CHANGE: _l("Worker left or changed post"),
    ReassignReason.CONFLICT_OF_INTEREST: _l("Conflict of interest"),
    ReassignReason.OTHER: _l("Other (explain below)"),
}


class PeriodForm(Form):
    """The compliance period, as a GET filter (no state changes, so no CSRF token)."""

    class Meta:
        csrf = False

    period = SelectField(
        _l("Deadlines of cases taken in over the last"),
        coerce=int,
        choices=[SelectChoice(days, _l("%(num)d days", num=days)) for days in PERIODS],
        default=90,
    )


class ReassignForm(Form):
    """Choose cases (each ticked as "id:version"), a new owner and a reason."""

    cases = SelectMultipleField(
        _l("Cases"),
        validate_choice=False,
        validators=[DataRequired(_l("Tick at least one case to reassign."))],
    )
    owner_id = SelectField(_l("New owner"), coerce=int, validators=[DataRequired()])
    reason = SelectField(_l("Reason"), choices=fact_choices(REASON_LABELS), validators=[choose()])
    reason_text = TextAreaField(
        _l("Explanation (optional unless the reason is Other; stored encrypted)"),
        validators=[Optional(), Length(max=MAX_REASON_TEXT)],
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Reassign the chosen cases"))

    def choices_made(self) -> list[Choice] | None:
        """The ticked cases with their versions; None when a value is malformed."""
        made = []
        for value in self.cases.data or []:
            case_id, _, version = str(value).partition(":")
            if not (case_id.isdigit() and version.isdigit()):
                return None
            made.append(Choice(int(case_id), int(version)))
        return made
