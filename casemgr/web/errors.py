"""Error pages for 400, 403, 404, 429 and 500, in the user's language, with no internals."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: (
        _l("Bad request"),
        _l("The request could not be understood. Please go back and try again."),
    ),
    403: (_l("Not allowed"), _l("Your role does not allow this action.")),
    404: (_l("Not found"), _l("This page does not exist, or you do not have access to it.")),
    405: (_l("Not allowed"), _l("This action cannot be done this way.")),
    413: (_l("Too large"), _l("The file is larger than allowed.")),
    429: (
        _l("Too many attempts"),
        _l("Too many attempts in a short time. Please wait a minute and try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l("The request failed and nothing was changed. Please try again later."),
    ),
}


def render_error(code: int) -> tuple[str, int]:
    """Render the error page for an HTTP status code."""
    title, text = MESSAGES.get(code, MESSAGES[500])
    return render_template("errors/error.html", code=code, title=title, text=text), code


def handle_http_exception(exc: HTTPException) -> tuple[str, int]:
    """Render a known HTTP error with our template."""
    return render_error(exc.code or 500)


def init_app(app: Flask) -> None:
    """Register the handlers."""
    for code in MESSAGES:
        app.register_error_handler(code, handle_http_exception)
    app.register_error_handler(500, lambda exc: render_error(500))
