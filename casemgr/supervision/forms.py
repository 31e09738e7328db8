"""Forms of the supervision pages: the dashboard's period and the reassignment of cases."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from wtforms import (
    ButtonField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from casemgr.supervision.models import ReassignReason
from casemgr.supervision.services import MAX_CHOSEN, MAX_REASON_TEXT, Choice
from casemgr.web.forms import Form, choose, fact_choices
from casemgr.web.ids import parse_id

if TYPE_CHECKING:
    from casemgr.cases.models import Case

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


@dataclass(frozen=True)
class Ticks:
    """What is ticked across the pages of the list, as one page shows it: its own cases'
    boxes, and the ticks of the other pages (kept in the form as hidden values)."""

    here: dict[int, str]  # case id -> the value ticked, of the cases on this page
    elsewhere: tuple[str, ...]  # "id:version" ticked on other pages

    @classmethod
    def on_page(cls, cases: Iterable[Case], ticked: dict[int, int]) -> Ticks:
        """Split the ticks (case id -> version) between the page's cases and the others."""
        shown = {case.id for case in cases}
        return cls(
            here={i: f"{i}:{v}" for i, v in ticked.items() if i in shown},
            elsewhere=tuple(f"{i}:{v}" for i, v in ticked.items() if i not in shown),
        )

    @property
    def count(self) -> int:
        return len(self.here) + len(self.elsewhere)

    def value(self, case: Case) -> str:
        """The box's value: as ticked (a case changed since stays ticked at the version the
        supervisor saw, and reassigning then names it as changed), else the version shown."""
        return self.here.get(case.id, f"{case.id}:{case.version}")


def _choice(value: object) -> Choice | None:
    """A ticked value "id:version" read back; None when it is not one (only a forged post).
    A version counts a case's saves, bounded like an id."""
    case_id, _, version = str(value).partition(":")
    number, saves = parse_id(case_id), parse_id(version)
    return None if number is None or saves is None else Choice(number, saves)


class ReassignForm(Form):
    """Choose cases (each ticked as "id:version"), a new owner and a reason.

    The list of cases has pages; what is ticked on the other pages comes back as hidden
    `cases` values, so that one post carries every tick. Moving between pages, ticking every
    case of the worker, unticking all and recounting are buttons of this same form: they show
    the list again with the ticks (and whatever was typed) kept, and change nothing.
    """

    cases = SelectMultipleField(
        _l("Cases"),
        validate_choice=False,
        validators=[DataRequired(_l("Tick at least one case to reassign."))],
    )
    owner_id = SelectField(
        _l("New owner"), coerce=int, validators=[DataRequired(_l("Choose a new owner."))]
    )
    reason = SelectField(_l("Reason"), choices=fact_choices(REASON_LABELS), validators=[choose()])
    reason_text = TextAreaField(
        _l("Explanation (optional unless the reason is Other; stored encrypted)"),
        validators=[Optional(), Length(max=MAX_REASON_TEXT)],
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Reassign the chosen cases"))
    # Buttons that only show the list again (see the class docstring).
    recount = SubmitField(_l("Update the count"), render_kw={"formnovalidate": True})
    select_all = SubmitField(
        _l("Tick all the cases of this worker"), render_kw={"formnovalidate": True}
    )
    clear = SubmitField(_l("Untick all"), render_kw={"formnovalidate": True})
    goto = ButtonField()  # the pager's buttons (templates/_macros.html): the page number

    def validate_cases(self, field: SelectMultipleField) -> None:
        if len(field.data or []) > MAX_CHOSEN:
            raise ValidationError(str(_l("Tick at most %(max)d cases at a time.", max=MAX_CHOSEN)))

    def browsing(self) -> bool:
        """Whether the post asks to see the list again (not to reassign)."""
        pressed = self.recount.data or self.select_all.data or self.clear.data
        return bool(pressed) or self.goto.data is not None

    def choices_made(self) -> list[Choice] | None:
        """The ticked cases with their versions; None when a value is malformed."""
        made = [_choice(value) for value in self.cases.data or []]
        return None if None in made else made

    def ticked(self) -> dict[int, int]:
        """The well-formed ticks, case id -> version, in the order posted (one per case)."""
        return {c.case_id: c.version for c in map(_choice, self.cases.data or []) if c}
