"""RFC 9457 problem details for the JSON API: a translated title, field errors, no internals."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, json, request
from flask_babel import lazy_gettext as _l

API_PREFIX = "/api/v1/"
PROBLEM_TYPE = "application/problem+json"

TITLES = {
    400: _l("The request is malformed."),
    401: _l("A valid access token is required."),
    403: _l("Your role or this token's scopes do not allow this."),
    404: _l("Not found."),
    405: _l("This method is not allowed here."),
    409: _l("The request conflicts with the current state of the resource."),
    412: _l("The resource has changed since you read it."),
    413: _l("The request is too large."),
    415: _l("Send the body as application/json."),
    422: _l("Some fields are not valid."),
    428: _l("Send If-Match with the ETag you read."),
    429: _l("Too many requests: wait a moment and try again."),
    500: _l("Something went wrong on our side."),
    503: _l("The service is unavailable for a moment: try again."),
}

# Marshmallow's and webargs' own messages, in the caller's language.
FIELD_MESSAGES = {
    "Missing data for required field.": _l("This field is required."),
    "Unknown field.": _l("This field is not accepted."),
    "Not a valid integer.": _l("Enter a whole number."),
    "Not a valid string.": _l("Enter text."),
    "Not a valid boolean.": _l("Enter true or false."),
    "Not a valid date.": _l("Enter a date as yyyy-mm-dd."),
    "Not a valid list.": _l("Enter a list."),
    "Field may not be null.": _l("This field is required."),
    "Invalid input type.": _l("The body must be a JSON object."),
    "Invalid value.": _l("This value is not accepted."),
    "Invalid JSON body.": _l("The body is not valid JSON."),
    "Not a valid aware datetime.": _l(
        "Enter a date and time with its UTC offset, e.g. 2026-12-05T09:30:00+07:00."
    ),
    "Not a valid naive datetime.": _l("Enter a date and time without a UTC offset."),
    "Not a valid datetime.": _l("Enter a date and time, e.g. 2026-12-05T09:30:00+07:00."),
    "Not a valid number.": _l("Enter a number."),
    "Not a valid mapping type.": _l("Enter an object."),
    "Invalid input.": _l("This value is not accepted."),
    "Invalid type.": _l("This value is not accepted."),
    "Number too large.": _l("The number is out of range."),
    "Special numeric values (nan or infinity) are not permitted.": _l("Enter a number."),
}
# Marshmallow's messages that carry the field's parameters, by their opening words.
MESSAGE_STARTS = {
    "Must be one of": _l("Choose one of the allowed values."),
    "One or more of the choices": _l("Choose one of the allowed values."),
    "Length must be": _l("The text is too long or too short."),
    "Longer than": _l("The text is too long or too short."),
    "Shorter than": _l("The text is too long or too short."),
    "Must be greater": _l("The number is out of range."),
    "Must be less": _l("The number is out of range."),
    "Must be equal to": _l("This value is not accepted."),
    # The rest of "Not a valid ..." (UUID, URL, e-mail, time, ...): none is worded here alone.
    "Not a valid": _l("This value is not in the expected format."),
    "String does not match": _l("This value is not in the expected format."),
}


def is_api_request() -> bool:
    """Whether the current request is addressed to the JSON API (not its viewer page)."""
    return request.path.startswith(API_PREFIX) and request.endpoint != "api_docs.viewer"


def _message(text: Any) -> str:
    text = str(text)
    if text in FIELD_MESSAGES:
        return str(FIELD_MESSAGES[text])
    for start, message in MESSAGE_STARTS.items():
        if text.startswith(start):
            return str(message)
    return text


def field_errors(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """Flatten webargs/marshmallow messages into [{"field": "a.b", "detail": ...}]."""
    found: list[dict[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if prefix == "" and key in ("json", "query", "headers", "form", "view_args"):
                found += field_errors(value, "")
            else:
                found += field_errors(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(messages, (list, tuple)):
        for item in messages:
            if isinstance(item, (dict, list, tuple)):
                found += field_errors(item, prefix)
            else:
                found.append({"field": prefix or "body", "detail": _message(item)})
    else:
        found.append({"field": prefix or "body", "detail": _message(messages)})
    return found


def problem(
    status: int,
    *,
    detail: str | None = None,
    errors: list[dict[str, str]] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A problem+json response in the request's language."""
    title = TITLES.get(status, TITLES[500] if status >= 500 else TITLES[400])
    body: dict[str, Any] = {"type": "about:blank", "title": str(title), "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    from casemgr.audit.recorder import request_id

    body["instance"] = f"urn:casemgr:request:{request_id()}"
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_TYPE
    )
    response.headers["Content-Language"] = str(_current_locale())
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _current_locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def from_exception(exc: Any) -> Response:
    """The problem for an HTTPException raised in an API request (webargs' 422 included)."""
    status = getattr(exc, "code", None) or 500
    data = getattr(exc, "data", None) or {}
    errors = field_errors(data["messages"]) if "messages" in data else None
    headers = dict(data.get("headers") or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="casemgr"')
    if status == 429:
        headers.setdefault("Retry-After", "60")
    if status == 405 and exc is not None and hasattr(exc, "get_headers"):
        headers.update({k: v for k, v in exc.get_headers() if k == "Allow"})
    return problem(
        status, errors=errors, extra=getattr(exc, "problem_extra", None), headers=headers
    )
