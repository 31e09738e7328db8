"""The one rule for a date recorded on a case: what it may not precede, and that it has happened.

Every dated fact of the case work (a contact or visit note, a service delivered, a referral sent,
answered or completed, an enrolment in an intervention model and its end) is refused when it is

- after today (`clock.today()`, Viet Nam's date);
- before the case's start: the day the case was opened, or the day an intake report about it
  was received, if that came first. A case accepted from an intake report is opened at the
  moment the report was received (docs/intake.md), so the first contact it records is already
  within the case; a report received earlier and later linked to the case (the office opened
  the case from another report, or directly, meanwhile) moves the start back to that report;
- before the person was born: the date of birth, or 1 January of the birth year when only the
  year is known (estimated or not).

Facts about the person that an outside authority decides and that the case only records (the
trafficking victim status in force from a day, the commune's drug-programme registration and the
steps that follow it, a no-contact order requested) may come before the office opened the case:
for them, `since=Since.BIRTH` keeps only "not in the future" and "not before birth".

The services call `check_case_date` before they write anything; the pages put the refusal's
`message()` under the field named by `field`, the API answers 422 naming that field. Rows saved
before this rule are left as they are.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from casemgr import clock
from casemgr.cases.models import Case
from casemgr.extensions import db
from casemgr.i18n import show_date
from casemgr.intake.models import IntakeReport


class Since(enum.Enum):
    """Which lower bounds apply to a date."""

    CASE = "case"  # the case work: the case's start and the person's birth
    BIRTH = "birth"  # a fact about the person that may predate the case: the birth only


class Bound(enum.StrEnum):
    """Why a date was refused (also the API's refusal code)."""

    FUTURE = "date_in_the_future"
    OPENED = "date_before_case_opened"
    INTAKE = "date_before_intake"
    BIRTH = "date_before_birth"
    BIRTH_YEAR = "date_before_birth_year"


# The bounds that come from the case itself (the others from the person's birth).
CASE_BOUNDS = (Bound.OPENED, Bound.INTAKE)

# The refusal in the user's language, naming the bound as the app writes dates.
MESSAGES: dict[Bound, Callable[[dt.date], str]] = {
    Bound.FUTURE: lambda day: _("The date cannot be in the future."),
    Bound.OPENED: lambda day: _(
        "The date cannot be before the case was opened (%(day)s).", day=show_date(day)
    ),
    Bound.INTAKE: lambda day: _(
        "The date cannot be before the first report about this case was received (%(day)s).",
        day=show_date(day),
    ),
    Bound.BIRTH: lambda day: _(
        "The date cannot be before the person was born (%(day)s).", day=show_date(day)
    ),
    # The year as written, never as a number with a thousands separator ("2.012").
    Bound.BIRTH_YEAR: lambda day: _(
        "The date cannot be before the person's year of birth (%(year)s).", year=str(day.year)
    ),
}


class CaseDateRefused(ValueError):
    """A date the rule refuses: the field it was given as, why, and the bound it broke."""

    def __init__(self, field: str, bound: Bound, day: dt.date | None = None) -> None:
        super().__init__(str(bound))
        self.field = field
        self.bound = bound
        self.day = day  # the first day allowed (None for a date in the future)

    def message(self) -> str:
        """The refusal in the user's language, naming the bound as the app writes dates."""
        return MESSAGES[self.bound](self.day)


@dataclass(frozen=True)
class Floor:
    """The first day a fact may carry, and why."""

    day: dt.date
    bound: Bound


def case_start(case: Case) -> Floor:
    """The case's first day: its opening, or an intake report about it received earlier."""
    opened = clock.local_date(case.opened_at)
    received = db.session.scalar(
        select(func.min(IntakeReport.received_at)).where(IntakeReport.case_id == case.id)
    )
    if received is not None:
        first = clock.local_date(received)
        if first < opened:
            return Floor(first, Bound.INTAKE)
    return Floor(opened, Bound.OPENED)


def birth_floor(case: Case) -> Floor | None:
    """The person's date of birth, or 1 January of the birth year (None when unknown)."""
    person = case.person
    born = person.date_of_birth  # None when unknown; not a str once the person is erased
    if isinstance(born, str):
        try:
            return Floor(dt.date.fromisoformat(born), Bound.BIRTH)
        except ValueError:
            pass
    if person.birth_year is not None:
        return Floor(dt.date(person.birth_year, 1, 1), Bound.BIRTH_YEAR)
    return None


def earliest(case: Case, since: Since = Since.CASE) -> Floor | None:
    """The first day a fact of the case may carry: the latest of its lower bounds."""
    floors = [birth_floor(case)]
    if since == Since.CASE:
        floors.append(case_start(case))
    known = [f for f in floors if f is not None]
    # On a tie the case's own bound is named: "opened on ..." says more than "born on ...".
    return max(known, key=lambda f: (f.day, f.bound in CASE_BOUNDS), default=None)


def check_case_date(
    case: Case, day: dt.date | dt.datetime, field: str, *, since: Since = Since.CASE
) -> None:
    """Refuse `day` (raise CaseDateRefused naming `field`) unless it lies between the case's
    first day (or the person's birth, with Since.BIRTH) and today."""
    if isinstance(day, dt.datetime):
        day = clock.local_date(day)
    if day > clock.today():
        raise CaseDateRefused(field, Bound.FUTURE)
    floor = earliest(case, since)
    if floor is not None and day < floor.day:
        raise CaseDateRefused(field, floor.bound, floor.day)


def refusal(
    case: Case, day: dt.date | None, field: str, *, since: Since = Since.CASE
) -> CaseDateRefused | None:
    """What `check_case_date` would refuse, or None (also for no date): for a page that must
    know before it reads anything on that day (the services offered, the consents in force)."""
    if day is None:
        return None
    try:
        check_case_date(case, day, field, since=since)
    except CaseDateRefused as exc:
        return exc
    return None
