"""What an intake report may hold: the report's data, the refusals and their messages, and the
checks that run before anything is written (the screens and the API share them)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from casemgr.clock import today, utcnow
from casemgr.intake import policy
from casemgr.intake.models import SEALED_FIELDS, IntakeSource
from casemgr.org.models import Unit

# The longest text kept per field (characters, after trimming).
MAX_LENGTHS = {
    "child_name": 200,
    "child_details": 1000,
    "location": 300,
    "situation": 4000,
    "carers": 1000,
    "reporter_name": 200,
    "reporter_contact": 200,
}
REQUIRED = ("situation", "location")
MIN_DISMISSAL_REASON = 10
# How far ahead a sender's clock may run: a moment up to this far ahead counts as now.
CLOCK_SKEW = dt.timedelta(minutes=5)
MAX_DISMISSAL_REASON = 1000


@dataclass(frozen=True)
class ReportData:
    """What was reported (form 01 of Decree 56/2017): everything but the flags is sealed.

    `situation` (what happened, the harm) and `location` (where the child is) are required;
    the reporter's name and contact are kept only if `reporter_consents`.
    """

    situation: str | None = None
    location: str | None = None
    child_name: str | None = None
    child_details: str | None = None  # age, sex, school: whatever helps find the child
    carers: str | None = None  # parents or carers, and where they are
    reporter_name: str | None = None
    reporter_contact: str | None = None
    reporter_consents: bool = False
    is_emergency: bool = False  # the reporter says the child is in danger now
    received_at: dt.datetime | None = None  # aware; None: now


class IntakeError(ValueError):
    """A refused intake change; str() is a stable code for the caller to translate."""


class IntakeInvalid(IntakeError):
    """Refused input: `errors` maps each field name to a code (see FIELD_MESSAGES)."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("invalid")
        self.errors = errors


class IntakeDenied(IntakeError):
    """The user may not do this with reports of this unit."""


class IntakeNotFound(IntakeError):
    """No such report for this caller (unknown, or outside what the caller may see)."""


FIELD_MESSAGES = {
    "required": _l("This field is required."),
    "too long": _l("This text is too long."),
    "not text": _l("Enter text only."),
    "identity without consent": _l(
        "Record the reporter's name or contact only if they agree: tick the consent box, or "
        "leave these fields empty."
    ),
    "not a time": _l("Give a date and time."),
    "naive time": _l("Give the time with its time zone."),
    "in the future": _l("The time of the report cannot be in the future."),
    "no rule in force": _l(
        "This date is earlier than any the system takes (the deadline rules it follows start "
        "later): check the date."
    ),
    "not a commune office": _l("Choose a commune office that is open today."),
    "unknown source": _l("Choose how the report came in."),
    "reason too short": _l("Say in a sentence why the report is dismissed."),
}


def field_messages(exc: IntakeInvalid) -> dict[str, str]:
    """The refusal of each field in the current locale."""
    return {name: str(FIELD_MESSAGES.get(code, code)) for name, code in exc.errors.items()}


def _clean(value: object, name: str, errors: dict[str, str]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        errors[name] = "not text"
        return None
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").strip()
    if "\x00" in text:
        errors[name] = "not text"
        return None
    if len(text) > MAX_LENGTHS[name]:
        errors[name] = "too long"
    return text or None


def validated(data: ReportData, unit: Unit, source: object) -> tuple[dict, dt.datetime]:
    """The cleaned sealed values and the moment received; IntakeInvalid names each refused field."""
    errors: dict[str, str] = {}
    values = {name: _clean(getattr(data, name), name, errors) for name in SEALED_FIELDS}
    for name in REQUIRED:
        if name not in errors and not values[name]:
            errors[name] = "required"
    if not data.reporter_consents:
        for name in ("reporter_name", "reporter_contact"):
            if values[name] and name not in errors:
                errors[name] = "identity without consent"
    now = utcnow()
    received_at = data.received_at or now
    if not isinstance(received_at, dt.datetime):
        errors["received_at"] = "not a time"
        received_at = now
    elif received_at.tzinfo is None:
        errors["received_at"] = "naive time"
        received_at = now
    elif received_at > now + CLOCK_SKEW:
        errors["received_at"] = "in the future"
    received_at = min(received_at, now)  # a sender's clock a little fast: received now
    if not policy.takes_reports(unit, today()):
        errors["unit"] = "not a commune office"
    if not isinstance(source, str) or source not in set(IntakeSource):
        errors["source"] = "unknown source"
    if errors:
        raise IntakeInvalid(errors)
    return values, received_at
