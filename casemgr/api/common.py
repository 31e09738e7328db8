"""Shared plumbing of the API views: documented error answers, ETags, cursors, refusals."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from flask import request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import (
    Forbidden,
    HTTPException,
    PreconditionFailed,
    PreconditionRequired,
)

from casemgr.api.blueprint import bp
from casemgr.api.schemas import ProblemSchema
from casemgr.cases import closure
from casemgr.cases.dates import CaseDateRefused, Since, refusal
from casemgr.cases.models import Case
from casemgr.web.problems import PROBLEM_TYPE

F = TypeVar("F", bound=Callable[..., Any])

COMMON_ERRORS = (400, 401, 403, 404, 429)

# What the services' refusal codes mean to a caller: the status, the field (if one), the text.
REFUSALS: dict[str, tuple[int, str | None, Any]] = {
    "read only": (403, None, _l("You can read this case but not change it.")),
    "not allowed": (403, None, _l("Your role does not allow this action.")),
    "transition not allowed": (403, "name", _l("This step is not allowed now, or not for you.")),
    "override not allowed": (403, "override_reason", _l("Your role does not allow this action.")),
    "not your unit": (422, "unit_id", _l("You can only work in a unit where you work.")),
    "sub-group of another group": (
        422, "sub_group_ids", _l("Choose sub-groups of the case's own target group.")),
    "comment required": (422, "comment", _l("Say why: a comment is required.")),
    closure.REASON_REQUIRED: (422, "closure_reason", _l("Choose why the case can close.")),
    closure.REASON_NOT_FOR_CASE: (
        422, "closure_reason", _l("This reason does not fit the case's target group.")),
    closure.REASON_NOT_ASKED: (
        422, "closure_reason", _l("Only a closure request gives a closure reason.")),
    closure.NOT_YET_AGED_OUT: (422, "closure_reason", _l(
        "This person is not 16 yet, so they are still in the child group: choose another reason.")),
    "reason too short": (422, "comment", _l("Write at least one full sentence.")),
    "reason too long": (422, "comment", _l("The text is too long or too short.")),
    "national id must have 12 digits (or 9 for a legacy id)": (
        422, "national_id", _l("The ID number must have 12 digits (or 9 for an old ID).")),
    "phone is not a Vietnamese phone number": (
        422, "phone", _l("Enter a Vietnamese phone number.")),
    "not eligible": (422, "service_type_id", _l("This service is not offered to this case.")),
    "service of another group": (
        422, "service_type_id", _l("This service is not offered to this case.")),
    "partner inactive": (422, "partner_id", _l("This partner no longer takes referrals.")),
    "partner of another group": (
        422, "partner_id", _l("This partner does not serve the case's target group.")),
    "already answered": (409, None, _l("The referral has already been answered.")),
    "not accepted": (409, None, _l("Only an accepted referral can be completed.")),
    "before it was sent": (422, "answered_on", _l("The date is before the referral was sent.")),
    "before it was accepted": (
        422, "completed_on", _l("The date is before the referral was accepted.")),
    "decline reason needed": (422, "decline_reason", _l("Say why the referral was declined.")),
    "outcome needed": (422, "outcome", _l("This field is required.")),
    "quantity not positive": (422, "quantity", _l("The number is out of range.")),
    "negative amount": (422, "amount_vnd", _l("The number is out of range.")),
    "person erased": (409, None, _l("This person has been erased.")),
}  # fmt: skip

# The stable code a caller may test for, where the service's own code is not a short name.
CODES = {
    "national id must have 12 digits (or 9 for a legacy id)": "national_id_format",
    "phone is not a Vietnamese phone number": "phone_format",
    "sub-group of another group": "sub_group_of_another_group",
}


def refusal_code(code: str) -> str:
    """A refusal's stable identifier (lower case and underscores), never truncated text."""
    return CODES.get(code) or code.replace(" ", "_")


class Refused(HTTPException):
    """A refusal answered as a problem document: its status, field errors and extras."""

    def __init__(self, status: int = 422, messages: dict | None = None, extra: dict | None = None):
        super().__init__()
        self.code = status
        self.data = {"messages": messages} if messages else {}
        self.problem_extra = extra


def refuse(exc: Exception, *, default_field: str | None = None) -> NoReturn:
    """Turn a service's refusal into a problem answer (403, 409 or 422 with the field)."""
    if isinstance(exc, CaseDateRefused):
        raise Refused(422, {exc.field: [exc.message()]}, {"code": str(exc.bound)})
    code = str(exc)
    status, field, text = REFUSALS.get(
        code, (422, default_field, _l("This value is not accepted."))
    )
    if status == 403:
        raise Forbidden()
    extra = {"code": refusal_code(code)} if code in REFUSALS else None
    raise Refused(status, {field or "body": [str(text)]}, extra)


def invalid(field: str, text: Any) -> NoReturn:
    """A 422 naming one field."""
    raise Refused(422, {field: [str(text)]})


def check_case_date(case: Case, field: str, day: Any, *, since: Since = Since.CASE) -> None:
    """A 422 naming `field` when the case refuses the date (cases.dates: not in the future, not
    before the case's start or the person's birth), checked before anything is read on it."""
    refused = refusal(case, day, field, since=since)
    if refused is not None:
        refuse(refused)


def documented(*statuses: int, if_match: bool = False) -> Callable[[F], F]:
    """Document the problem answers an operation can give (and the If-Match header it needs)."""

    def decorate(view: F) -> F:
        codes = sorted({*COMMON_ERRORS, *statuses, *((412, 428) if if_match else ())})
        for code in codes:
            view = bp.alt_response(code, schema=ProblemSchema, content_type=PROBLEM_TYPE)(view)
        if if_match:
            view = bp.doc(
                parameters=[
                    {
                        "in": "header",
                        "name": "If-Match",
                        "required": True,
                        "schema": {"type": "string"},
                        "description": "The ETag of your last read; 428 without it, 412 if stale.",
                        "example": '"1"',
                    }
                ]
            )(view)
        return view

    return decorate


ETAG_HEADER = {
    "ETag": {
        "description": "The version read: send it back in If-Match to change the resource.",
        "schema": {"type": "string"},
    }
}


def etag(version: int | str) -> str:
    """The ETag of a version of a resource (a number, or the state of a referral)."""
    return f'"{version}"'


def require_if_match(version: int | str) -> None:
    """428 without If-Match; 412 (with the current version) when it names another version."""
    header = request.headers.get("If-Match")
    if not header:
        raise PreconditionRequired()
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    if "*" not in tags and etag(version) not in tags:
        error = PreconditionFailed()
        error.problem_extra = {"current_version": version}
        error.data = {"headers": {"ETag": etag(version)}}
        raise error


def encode_cursor(value: int) -> str:
    """An opaque cursor for the next page (the last id seen)."""
    return base64.urlsafe_b64encode(f"v1:{value}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The id a cursor stands for; a malformed cursor is a 422 on `cursor`."""
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = text.partition(":")
        value = int(number)
        if prefix != "v1" or value < 1:
            raise ValueError
    except ValueError:
        invalid("cursor", _l("This value is not accepted."))
    return value
