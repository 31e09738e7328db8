"""Forms for cases: opening, editing, workflow moves, notes, assessments, plans, break-glass."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from casemgr import clock
from casemgr.cases.closure import CLOSURE_REASON_LABELS
from casemgr.cases.models import (
    AssessmentKind,
    BreakGlassReason,
    NoteKind,
    ProtectionLevel,
    RiskLevel,
)
from casemgr.cases.services import CLOSURE_REQUEST, COMMENT_REQUIRED_MOVES
from casemgr.cases.workflow import consequences, last_step
from casemgr.web import validators as v
from casemgr.web.forms import Form, choices, choose, fact_choices, field_error

PROTECTION_LABELS = {
    ProtectionLevel.PREVENTION: _l("Prevention"),
    ProtectionLevel.SUPPORT: _l("Support"),
    ProtectionLevel.INTERVENTION: _l("Intervention"),
}
RISK_LABELS = {
    RiskLevel.UNKNOWN: _l("Not assessed"),
    RiskLevel.LOW: _l("Low"),
    RiskLevel.MEDIUM: _l("Medium"),
    RiskLevel.HIGH: _l("High"),
}
NOTE_LABELS = {
    NoteKind.VISIT: _l("Home visit"),
    NoteKind.MEETING: _l("Meeting"),
    NoteKind.PHONE: _l("Phone call"),
    NoteKind.CASE_CONFERENCE: _l("Case conference"),
    NoteKind.OTHER: _l("Other contact"),
}
ASSESSMENT_LABELS = {
    AssessmentKind.INITIAL: _l("Initial risk assessment"),
    AssessmentKind.DETAILED: _l("Detailed assessment"),
    AssessmentKind.REVIEW: _l("Review"),
}
BREAK_GLASS_LABELS = {
    BreakGlassReason.EMERGENCY: _l("Emergency: a person is in danger now (read and record)"),
    BreakGlassReason.COVERING: _l("Covering for an absent colleague (read only)"),
    BreakGlassReason.REFERRAL: _l("Checking a referral or a possible duplicate (read only)"),
}
# The questions of the assessment forms (answers are encrypted; codes are stable).
ASSESSMENT_QUESTIONS = (
    ("safety", _l("Immediate safety: where is the person now, and are they safe?")),
    ("harm", _l("Harm: what happened, and what injuries or effects are there?")),
    ("carers", _l("Carers: who looks after the person, and can they protect them?")),
    ("needs", _l("Needs: health, schooling, income, shelter, legal help")),
    ("strengths", _l("Strengths and supports in the family and community")),
)


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes (sub-groups)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class VersionedForm(Form):
    """A form that edits a case carries the version it was loaded at."""

    version = HiddenField(validators=[InputRequired()])


class CaseForm(Form):
    """Open a case for a person."""

    group_code = SelectField(_l("Target group"), validators=[choose()])
    sub_group_ids = MultiCheckboxField(_l("Sub-groups"), coerce=int, validate_choice=True)
    protection_level = SelectField(
        _l("Protection level"), choices=fact_choices(PROTECTION_LABELS), validators=[choose()]
    )
    risk_level = SelectField(
        _l("Risk level"), choices=fact_choices(RISK_LABELS), validators=[choose()]
    )
    unit_id = SelectField(_l("Unit"), coerce=int)
    summary = TextAreaField(
        _l("How the case came in and what happened"),
        validators=[Optional(), Length(max=20000)],
        render_kw={"rows": 6},
    )
    # Asked only when the person has open cases (cases.queries.open_cases_of).
    confirm_another = BooleanField(
        _l("I know this person already has an open case: open another one all the same")
    )
    refresh = SubmitField(_l("Update sub-groups"))
    submit = SubmitField(_l("Open case"))

    def confirmed_another(self, open_cases: Any) -> bool:
        """Whether the user ticked that the person's open cases are known (or there are none)."""
        if not open_cases or self.confirm_another.data:
            return True
        field_error(self.confirm_another, _l("Tick this box to open another case for this person."))
        return False

    def validate_sub_group_ids(self, field: MultiCheckboxField) -> None:
        """Sub-groups must belong to the chosen group (choices carry their group)."""
        group_of = {c.value: c.render_kw.get("data-group") for c in field.choices}
        if any(group_of.get(value) != self.group_code.data for value in field.data or []):
            raise ValidationError(str(_l("Choose sub-groups of the chosen target group.")))

    def fits_person(self, person: Any) -> bool:
        """The person's age at opening suits the group (a child is under 16, Law 102/2016)."""
        born = dt.date.fromisoformat(person.date_of_birth) if person.date_of_birth else None
        age = v.age_on(born, person.birth_year, clock.today())
        if self.group_code.data == "child" and age is not None and age >= v.CHILD_AGE_LIMIT:
            field_error(
                self.group_code,
                _l("A child is under %(limit)d; this person is older.", limit=v.CHILD_AGE_LIMIT),
            )
            return False
        return True


class CaseEditForm(VersionedForm):
    """Change a case's classification and summary."""

    loaded = HiddenField()  # digests of the values as loaded (web.saved_meanwhile)

    sub_group_ids = MultiCheckboxField(_l("Sub-groups"), coerce=int, validate_choice=True)
    protection_level = SelectField(
        _l("Protection level"), choices=fact_choices(PROTECTION_LABELS), validators=[choose()]
    )
    risk_level = SelectField(
        _l("Risk level"), choices=fact_choices(RISK_LABELS), validators=[choose()]
    )
    summary = TextAreaField(
        _l("How the case came in and what happened"),
        validators=[Optional(), Length(max=20000)],
        render_kw={"rows": 6},
    )
    # Kept sealed in the case history with the correction (which names fields, never values).
    reason = TextAreaField(
        _l("Why this correction (optional)"),
        validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Save"))


class TransitionForm(VersionedForm):
    """One workflow move (the transition name comes from the button pressed)."""

    transition = HiddenField(validators=[DataRequired(), Regexp(r"^[a-z_]+$")])
    # Why a plan is returned, a closure declined, a case reopened: sealed in the case history.
    # (No Optional(): it would stop the chain before validate_reason on an empty comment.)
    reason = TextAreaField(_l("Comment (optional)"), validators=[Length(max=2000)])

    # Why the case closes, as a code the province counts (choices: the reasons that fit the
    # case, set by the view with closure_choices; it starts empty, a fact is never defaulted).
    # (Checked by validate_closure_reason: the other moves' forms do not send it at all.)
    closure_reason = SelectField(
        _l("Reason for closing"), choices=fact_choices({}), validate_choice=False
    )

    def asks_closure_reason(self) -> bool:
        """Whether the move posted is a closure request (alone or as a combined move's end)."""
        return last_step(self.transition.data or "") == CLOSURE_REQUEST

    def closure_choices(self, reasons: Iterable[str]) -> None:
        """Offer the closure reasons that fit the case (casemgr.groups.policy.closure_reasons)."""
        self.closure_reason.choices = fact_choices(
            {reason: CLOSURE_REASON_LABELS[reason] for reason in reasons}
        )

    def validate_closure_reason(self, field: SelectField) -> None:
        """A closure request chooses its reason; no other move sends one."""
        offered = {choice.value for choice in field.choices if choice.value}
        if not self.asks_closure_reason():
            if field.data:
                raise ValidationError(_l("Choose one of the options offered."))
        elif not field.data:
            raise ValidationError(_l("Choose why the case can close."))
        elif field.data not in offered:
            raise ValidationError(_l("Choose one of the options offered."))

    def chosen_closure_reason(self) -> str | None:
        """The reason chosen, for the service (None for any other move)."""
        return (self.closure_reason.data or None) if self.asks_closure_reason() else None

    def validate_reason(self, field: TextAreaField) -> None:
        """Returning a plan, declining or requesting a closure says why."""
        if self.transition.data in COMMENT_REQUIRED_MOVES and not (field.data or "").strip():
            if last_step(self.transition.data) == CLOSURE_REQUEST:
                message = _l(
                    "Say why the case can close: is the person safe and stable, or is there "
                    "another reason?"
                )
            else:
                message = _l("Say why: a comment is required when you return or decline.")
            raise ValidationError(message)

    # The box under the plain-words consequences of a move that cannot be taken back.
    understood = BooleanField(_l("I understand"))

    def validate_understood(self, field: BooleanField) -> None:
        """A move that cannot be taken back is confirmed on the form itself (no script needed)."""
        if consequences(self.transition.data or "") and not field.data:
            raise ValidationError(_l("Tick the box to confirm: this step cannot be taken back."))


class NoteForm(Form):
    """A contact or visit note."""

    kind = SelectField(
        _l("Kind of contact"), choices=fact_choices(NOTE_LABELS), validators=[choose()]
    )
    occurred_on = DateField(_l("Date"), validators=[DataRequired(), v.past_date()])
    body = TextAreaField(
        _l("Note"), validators=[DataRequired(), Length(max=20000)], render_kw={"rows": 5}
    )
    submit = SubmitField(_l("Save note"))


class AssessmentForm(Form):
    """Structured assessment answers and the resulting risk rating."""

    kind = SelectField(
        _l("Assessment"), choices=fact_choices(ASSESSMENT_LABELS), validators=[choose()]
    )
    safety = TextAreaField(ASSESSMENT_QUESTIONS[0][1], validators=[Optional(), Length(max=5000)])
    harm = TextAreaField(ASSESSMENT_QUESTIONS[1][1], validators=[Optional(), Length(max=5000)])
    carers = TextAreaField(ASSESSMENT_QUESTIONS[2][1], validators=[Optional(), Length(max=5000)])
    needs = TextAreaField(ASSESSMENT_QUESTIONS[3][1], validators=[Optional(), Length(max=5000)])
    strengths = TextAreaField(ASSESSMENT_QUESTIONS[4][1], validators=[Optional(), Length(max=5000)])
    # No rating is a valid answer: it leaves the case's risk level as it was.
    risk_rating = SelectField(
        _l("Risk rating"),
        description=_l("Leave it empty to keep the case's risk level as it is."),
        validators=[Optional()],
        choices=fact_choices(
            {level: label for level, label in RISK_LABELS.items() if level != RiskLevel.UNKNOWN}
        ),
    )
    submit = SubmitField(_l("Save assessment"))

    def validate(self, extra_validators=None) -> bool:
        """An assessment records something: at least one answer or a risk rating."""
        ok = super().validate(extra_validators)
        if ok and not self.answers() and not self.risk_rating.data:
            field_error(self.safety, _l("Answer at least one question, or choose a risk rating."))
            ok = False
        return ok

    def rating(self) -> RiskLevel | None:
        """The chosen risk rating, or None when the assessment rates nothing."""
        return RiskLevel(self.risk_rating.data) if self.risk_rating.data else None

    def answers(self) -> dict[str, str]:
        """The non-empty answers by question code."""
        return {
            code: getattr(self, code).data.strip()
            for code, _label in ASSESSMENT_QUESTIONS
            if (getattr(self, code).data or "").strip()
        }


class PlanActionForm(Form):
    """One goal and action of the plan."""

    goal = StringField(_l("Goal"), validators=[DataRequired(), Length(max=1000)])
    action = TextAreaField(
        _l("Action"), validators=[DataRequired(), Length(max=5000)], render_kw={"rows": 2}
    )
    responsible = StringField(_l("Responsible"), validators=[DataRequired(), Length(max=300)])
    due_on = DateField(_l("Due date"), validators=[Optional(), v.due_date()])
    submit = SubmitField(_l("Add to plan"))


class CoWorkerForm(Form):
    """Add or remove a co-worker."""

    user_id = SelectField(_l("Social worker"), coerce=int)
    change = HiddenField(validators=[DataRequired(), Regexp(r"^(add|remove)$")])


class ActionDoneForm(Form):
    """Mark a plan action as done."""

    action_id = IntegerField(validators=[DataRequired(), v.record_id()])


class BreakGlassForm(Form):
    """Open a case outside one's scope, for a limited time, with a reason."""

    case_number = StringField(_l("Case number"), validators=[DataRequired(), Length(max=40)])
    reason_type = SelectField(
        _l("Reason"), choices=fact_choices(BREAK_GLASS_LABELS), validators=[choose()]
    )
    reason = TextAreaField(
        _l("Why do you need this case now? (at least one full sentence)"),
        validators=[
            DataRequired(),
            Length(min=20, max=1000, message=_l("Write at least one full sentence.")),
        ],
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Open the case"))


class CaseFilterForm(Form):
    """Caseload filters (GET, no CSRF needed: nothing changes)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), validators=[Optional()])
    group = SelectField(_l("Group"), validators=[Optional()])
    risk = SelectField(
        _l("Risk"), validators=[Optional()], choices=[SelectChoice("", "—"), *choices(RISK_LABELS)]
    )
    overdue = BooleanField(_l("Overdue deadlines only"))
    sort = SelectField(
        _l("Sort by"),
        validators=[Optional()],
        choices=[
            SelectChoice("updated", _l("Last change")),
            SelectChoice("number", _l("Case number")),
            SelectChoice("risk", _l("Risk")),
            SelectChoice("opened", _l("Opened")),
        ],
    )


class SearchForm(Form):
    """Search by case number, national ID, phone or name: a POST, so no term reaches a URL."""

    q = StringField(
        _l("Case number, ID number, phone or name"),
        validators=[DataRequired(), Length(min=2, max=100)],
    )
    submit = SubmitField(_l("Search"))
