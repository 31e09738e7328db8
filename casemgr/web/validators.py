"""One vocabulary for the facts typed into forms: dates, years, amounts, phones, ID numbers.

Every date is judged against `clock.today()` (Viet Nam). A past-only date (birth, visit, test,
delivery, decision, consent) is refused when after today or before a plausible floor; a date
recorded on a case is also bounded by the case's start and the person's birth, which the form
cannot know: the services check that (`casemgr.cases.dates`) and the pages show it under the
field (`web.forms.date_refused`). A
future-allowed date (due dates, plans) is refused only when implausibly far, and a past one gives
a warning that does not block. Every message is an English msgid wrapped in `_l`, so that the
user reads it in their language; WTForms' own built-in messages (it ships no Vietnamese) are
mapped onto msgids of ours by `Translations`, which `casemgr.web.forms.Form` installs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask_babel import format_number, gettext
from flask_babel import lazy_gettext as _l
from wtforms import Field, Form
from wtforms.validators import NumberRange, ValidationError

from casemgr import clock
from casemgr.crypto import normalise
from casemgr.web.ids import MAX_ID

# Plausible floors: nobody alive was born before 1900, and this service recorded no visit,
# test, decision or consent before 2000.
BIRTH_FLOOR = dt.date(1900, 1, 1)
EVENT_FLOOR = dt.date(2000, 1, 1)
# Dated records of the organisation (rules, units) may be older than the service's events.
RECORD_FLOOR = dt.date(1945, 1, 1)
# Law on Children 102/2016: a child is under 16.
CHILD_AGE_LIMIT = 16
# How far ahead a due date, plan or dated record may reasonably lie.
FUTURE_YEARS = 10

# WTForms' built-in messages (its English msgids) -> ours. Keys are what WTForms asks its
# translations object for; values are extracted into our catalogue like any other text.
BUILTIN_MESSAGES: dict[str, Any] = {
    "This field is required.": _l("This field is required."),
    "Invalid input.": _l("The value is not valid."),
    "Field must be equal to %(other_name)s.": _l("The two values differ."),
    "Field must be at least %(min)d character long.": _l("Enter at least %(min)d characters."),
    "Field cannot be longer than %(max)d character.": _l("Enter at most %(max)d characters."),
    "Field must be exactly %(max)d character long.": _l("Enter exactly %(max)d characters."),
    "Field must be between %(min)d and %(max)d characters long.": _l(
        "Enter between %(min)d and %(max)d characters."
    ),
    "Number must be at least %(min)s.": _l("Enter a number of at least %(min)s."),
    "Number must be at most %(max)s.": _l("Enter a number of at most %(max)s."),
    "Number must be between %(min)s and %(max)s.": _l(
        "Enter a number between %(min)s and %(max)s."
    ),
    "Date must be at least %(min)s.": _l("Enter a date on or after %(min)s."),
    "Date must be at most %(max)s.": _l("Enter a date on or before %(max)s."),
    "Date must be between %(min)s and %(max)s.": _l("Enter a date between %(min)s and %(max)s."),
    "Invalid email address.": _l("Enter a valid email address."),
    "Invalid Choice: could not coerce.": _l("Choose one of the options offered."),
    "Choices cannot be None.": _l("Choose one of the options offered."),
    "Not a valid choice.": _l("Choose one of the options offered."),
    "Invalid choice(s): one or more data inputs could not be coerced.": _l(
        "Choose among the options offered."
    ),
    "'%(value)s' is not a valid choice for this field.": _l("Choose among the options offered."),
    "Not a valid datetime value.": _l("Enter a date and time."),
    "Not a valid date value.": _l("Enter a date."),
    "Not a valid time value.": _l("Enter a time."),
    "Not a valid integer value.": _l("Enter a whole number."),
    "Not a valid decimal value.": _l("Enter a number."),
    "Not a valid float value.": _l("Enter a number."),
    "Invalid CSRF Token.": _l("The form has expired. Reload the page and try again."),
    "CSRF token missing.": _l("The form has expired. Reload the page and try again."),
    "CSRF failed.": _l("The form has expired. Reload the page and try again."),
    "CSRF token expired.": _l("The form has expired. Reload the page and try again."),
    "The CSRF token is missing.": _l("The form has expired. Reload the page and try again."),
    "The CSRF token is invalid.": _l("The form has expired. Reload the page and try again."),
    "The CSRF token has expired.": _l("The form has expired. Reload the page and try again."),
    "The CSRF tokens do not match.": _l("The form has expired. Reload the page and try again."),
    "The CSRF session token is missing.": _l(
        "The form has expired. Reload the page and try again."
    ),
}


class Translations:
    """What WTForms asks for its messages: ours, in the user's language."""

    def gettext(self, string: str) -> str:
        """The message for one of WTForms' msgids (or a msgid of ours)."""
        mapped = BUILTIN_MESSAGES.get(string)
        return str(mapped) if mapped is not None else gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """Plural messages: Vietnamese has one form, and our English msgids need none."""
        return self.gettext(singular)


TRANSLATIONS = Translations()


# -- dates ---------------------------------------------------------------------------------------


def _later(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _too_early(floor: dt.date) -> str:
    return str(_l("Enter a date in %(year)d or later.", year=floor.year))


class PastDate:
    """A date that has happened: not after today, not before `floor`."""

    def __init__(self, floor: dt.date = EVENT_FLOOR) -> None:
        self.floor = floor

    def __call__(self, form: Form, field: Field) -> None:
        day = field.data
        if day is None:
            return
        if isinstance(day, dt.datetime):
            day = day.date()
        if day > clock.today():
            raise ValidationError(str(_l("The date cannot be in the future.")))
        if day < self.floor:
            raise ValidationError(_too_early(self.floor))


class PastMoment:
    """A local date and time (datetime-local input) that has happened."""

    def __init__(self, floor: dt.date = EVENT_FLOOR) -> None:
        self.floor = floor

    def __call__(self, form: Form, field: Field) -> None:
        moment = field.data
        if moment is None:
            return
        now = clock.utcnow().astimezone(clock.LOCAL_TZ).replace(tzinfo=None)
        if moment > now + dt.timedelta(minutes=5):  # a clock a few minutes fast is no lie
            raise ValidationError(str(_l("The time cannot be in the future.")))
        if moment.date() < self.floor:
            raise ValidationError(_too_early(self.floor))


class FutureAllowedDate:
    """A due date or plan: may lie ahead (up to FUTURE_YEARS); a past one warns, not blocks."""

    def __init__(
        self,
        warn_past: bool = True,
        floor: dt.date = EVENT_FLOOR,
        latest: Callable[[], dt.date] | None = None,
        too_late: Callable[[dt.date], str] | None = None,
    ) -> None:
        self.warn_past = warn_past
        self.floor = floor
        # A nearer bound than FUTURE_YEARS where the domain has one (a unit's opening), with
        # the message that names it.
        self.latest = latest
        self.too_late = too_late

    def __call__(self, form: Form, field: Field) -> None:
        day = field.data
        if day is None:
            return
        if isinstance(day, dt.datetime):
            day = day.date()
        today = clock.today()
        ceiling = self.latest() if self.latest is not None else _later(today, FUTURE_YEARS)
        if day > ceiling:
            if self.too_late is not None:
                raise ValidationError(self.too_late(ceiling))
            raise ValidationError(
                str(_l("Enter a date within %(years)d years from today.", years=FUTURE_YEARS))
            )
        if day < self.floor:
            raise ValidationError(_too_early(self.floor))
        if self.warn_past and day < today:
            add_warning(field, _l("This date is already past."))


def add_warning(field: Field, message: Any) -> None:
    """Attach a non-blocking warning to a field (`forms.flash_warnings` shows it after a save)."""
    warnings = getattr(field, "warnings", None)
    if warnings is None:
        warnings = []
        field.warnings = warnings  # type: ignore[attr-defined]
    warnings.append(str(message))


def past_date() -> PastDate:
    """Visit, test, delivery, decision, consent, enrolment, ...: happened, since 2000."""
    return PastDate(EVENT_FLOOR)


def birth_date() -> PastDate:
    """A date of birth: not in the future, not before 1900."""
    return PastDate(BIRTH_FLOOR)


def due_date() -> FutureAllowedDate:
    """A due date or a plan: ahead is normal, past warns."""
    return FutureAllowedDate(warn_past=True)


def record_date() -> FutureAllowedDate:
    """A dated record of the organisation (rule version, unit): past or planned, no warning."""
    return FutureAllowedDate(warn_past=False, floor=RECORD_FLOOR)


def past_moment() -> PastMoment:
    """A local date and time that has happened (a request, a decision, an action taken)."""
    return PastMoment(EVENT_FLOOR)


# -- numbers ---------------------------------------------------------------------------------


class BirthYear:
    """An estimated year of birth: from 1900 to this year."""

    def __call__(self, form: Form, field: Field) -> None:
        year = field.data
        if year is None:
            return
        this_year = clock.today().year
        if not BIRTH_FLOOR.year <= year <= this_year:
            raise ValidationError(
                str(
                    _l(
                        "Enter a year between %(min)d and %(max)d.",
                        min=BIRTH_FLOOR.year,
                        max=this_year,
                    )
                )
            )


class Amount:
    """A count or sum of money: a whole number, zero or more (and below `maximum`)."""

    def __init__(self, minimum: int = 0, maximum: int = 10**12) -> None:
        self.minimum = minimum
        self.maximum = maximum

    def __call__(self, form: Form, field: Field) -> None:
        value = field.data
        if value is None:
            return
        if value < self.minimum:
            raise ValidationError(
                str(_l("Enter a number of at least %(min)s.", min=format_number(self.minimum)))
            )
        if value > self.maximum:
            raise ValidationError(
                str(_l("Enter a number of at most %(max)s.", max=format_number(self.maximum)))
            )


def birth_year() -> BirthYear:
    """The vocabulary's birth-year check."""
    return BirthYear()


def amount(minimum: int = 0, maximum: int = 10**12) -> Amount:
    """The vocabulary's check for counts and sums: never negative."""
    return Amount(minimum, maximum)


def age_on(date_of_birth: dt.date | None, birth_year: int | None, day: dt.date) -> int | None:
    """The lowest age the person can have on `day` (None when nothing is known)."""
    if date_of_birth is not None:
        before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
        return day.year - date_of_birth.year - before_birthday
    if birth_year is not None:
        return max(day.year - birth_year - 1, 0)  # born late in the year, at the earliest
    return None


# -- identifiers -------------------------------------------------------------------------------


def record_id() -> NumberRange:
    """A row id typed or posted in a form: a positive number the database can hold."""
    return NumberRange(min=1, max=MAX_ID)


class SequenceNumber:
    """An audit sequence number: zero or more, within the database's integers. A value that is
    not a whole number has the field's own message already, and gets no second one; the upper
    bound is never shown (a 16-digit limit means nothing to an auditor)."""

    def __call__(self, form: Form, field: Field) -> None:
        if field.data is None:
            return
        if field.data < 0:
            raise ValidationError(str(_l("Enter a number of at least %(min)s.", min=0)))
        if field.data > MAX_ID:
            raise ValidationError(str(_l("No event has so large a number.")))


def sequence_number() -> SequenceNumber:
    """An audit sequence number bound (SequenceNumber)."""
    return SequenceNumber()


class VietnamesePhone:
    """A Vietnamese phone number in any usual writing (+84, 0084, 0...)."""

    def __call__(self, form: Form, field: Field) -> None:
        if field.data and normalise.phone(field.data) is None:
            raise ValidationError(
                str(_l("Enter a Vietnamese phone number, e.g. 0912 345 678 or +84 912 345 678."))
            )


class NationalId:
    """A national personal ID: 12 digits, or 9 for an old ID (spaces and dots allowed)."""

    def __call__(self, form: Form, field: Field) -> None:
        if field.data and normalise.national_id(field.data) is None:
            raise ValidationError(str(_l("Enter 12 digits, or 9 for an old ID.")))


def phone() -> VietnamesePhone:
    """The vocabulary's phone check."""
    return VietnamesePhone()


def national_id() -> NationalId:
    """The vocabulary's national ID check."""
    return NationalId()
