"""Error pages in the user's language, with no internals; request size limits; failure logging.

Every HTTP error gets the app's own page. An over-size request (413) gets it without the request
body being read again. An unknown failure (500) gets a page with a reference id (the request id,
also sent as X-Request-Id) and one log record with that id and the traceback, but without the
exception messages, which can carry the values being processed. If the page itself cannot be
drawn, a plain bilingual page still carries the reference. Nothing is ever shown raw.
"""

from __future__ import annotations

import contextlib
import logging
import traceback
from types import TracebackType

from flask import Flask, Request, current_app, g, has_request_context, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, InternalServerError

from casemgr.audit.recorder import request_id
from casemgr.extensions import db
from casemgr.web import problems

MESSAGES = {
    400: (
        _l("Bad request"),
        _l("The request could not be understood. Please go back and try again."),
    ),
    403: (_l("Not allowed"), _l("Your role does not allow this action.")),
    404: (_l("Not found"), _l("This page does not exist, or you do not have access to it.")),
    405: (_l("Not allowed"), _l("This action cannot be done this way.")),
    413: (
        _l("Too large"),
        _l(
            "What you sent is too large, so nothing was saved. "
            "Shorten the text or choose smaller files, then try again."
        ),
    ),
    429: (
        _l("Too many attempts"),
        _l("Too many attempts in a short time. Please wait a minute and try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l("The request failed and nothing was changed. Please try again later."),
    ),
    503: (
        _l("Temporarily unavailable"),
        _l(
            "The database cannot be reached for a moment, so nothing was saved. "
            "Please wait a few seconds and try again."
        ),
    ),
}

# The database is down, restarting or unreachable, out of room or locked, or every pooled
# connection stayed busy for pool_timeout: the request is answered 503 "try again", never 500.
# The pool pings before use, so the first request after the database returns gets a fresh
# connection. Other database errors (a bug, a broken constraint) stay 500s.
DATABASE_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)
# PostgreSQL SQLSTATEs: connection exceptions (08), insufficient resources (53: disk full, out
# of memory, too many connections), operator intervention (57P01-57P03: shutdown, restart).
UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "53", "57P01", "57P02", "57P03")
# SQLite has no codes in its messages' place: these are the transient ones.
UNAVAILABLE_SQLITE_MESSAGES = (
    "database is locked",
    "unable to open database file",
    "disk i/o error",
    "database or disk is full",
)
RETRY_AFTER_SECONDS = 5

# Messages of these exception types speak of the code (a missing attribute, an index out of
# range), never of the data; every other message is left out of the log.
CODE_ONLY_MESSAGES = (
    AttributeError,
    ImportError,
    IndexError,
    ModuleNotFoundError,
    NameError,
    NotImplementedError,
    RecursionError,
    TypeError,
    UnboundLocalError,
    ZeroDivisionError,
)

ExcInfo = tuple[type[BaseException], BaseException, TracebackType] | tuple[None, None, None]


class LimitedRequest(Request):
    """A request whose body without files is held to the text limit, not the upload limit.

    Werkzeug applies MAX_FORM_MEMORY_SIZE only to the text parts of a multipart body; an
    url-encoded body is read whole into memory up to MAX_CONTENT_LENGTH. A body that carries no
    files is all text, so it gets the text limit.
    """

    @property
    def max_content_length(self) -> int | None:
        """The upload limit for multipart bodies, the text limit for any other body."""
        limit = super().max_content_length
        if self._max_content_length is not None or self.mimetype == "multipart/form-data":
            return limit
        text_limit = self.max_form_memory_size
        if text_limit is None:
            return limit
        return text_limit if limit is None else min(limit, text_limit)

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


def render_error(code: int, **context: object) -> tuple[str, int]:
    """Render the error page for an HTTP status code (a problem document for the API)."""
    if has_request_context() and problems.is_api_request():
        return problems.problem(code), code  # type: ignore[return-value]
    fallback = MESSAGES[500] if code >= 500 else MESSAGES[400]
    title, text = MESSAGES.get(code, fallback)
    page = render_template("errors/error.html", code=code, title=title, text=text, **context)
    return page, code


def handle_http_exception(exc: HTTPException) -> tuple[str, int]:
    """Render a known HTTP error with our template (a problem document for the API)."""
    if problems.is_api_request():
        return problems.from_exception(exc)  # type: ignore[return-value]
    return render_error(exc.code or 500)


def handle_too_large(exc: HTTPException) -> tuple[str, int]:
    """413: nothing of the request is kept, and the page is drawn without reading its body."""
    db.session.rollback()
    return render_error(413)


def handle_server_error(exc: InternalServerError) -> tuple[str, int]:
    """500: the app's page with the reference id; a plain page if even that cannot be drawn."""
    if exc.original_exception is not None and database_unavailable(exc.original_exception):
        # The database went away in an after-request hook (the edge commit, say), where
        # Flask calls no handler but this one: still "try again", not "something went wrong".
        return handle_database_unavailable(exc.original_exception)  # type: ignore[return-value]
    reference = request_id() or ""
    if exc.original_exception is None:  # abort(500) or a failure reported where it happened
        _logger().error("Request failed (reference %s): %s %s", reference, *_where())
    try:
        db.session.rollback()
        return render_error(500, reference=reference)
    except Exception as failure:
        _logger().error(
            "Error page failed (reference %s): %s %s\n%s",
            reference,
            *_where(),
            describe_failure(failure),
        )
        return plain_error_page(reference), 500


def database_unavailable(exc: BaseException) -> bool:
    """Whether a database error means "not now" (retrying may succeed), not a fault."""
    if isinstance(exc, (sa_exc.TimeoutError, sa_exc.InterfaceError)):
        return True
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    module = type(orig).__module__.split(".")[0]
    if module == "psycopg":
        state = getattr(orig, "sqlstate", None)
        # No SQLSTATE: the client failed to connect or lost the connection.
        return state is None or state.startswith(UNAVAILABLE_SQLSTATE_PREFIXES)
    if module == "sqlite3":
        message = str(orig).lower()
        return any(text in message for text in UNAVAILABLE_SQLITE_MESSAGES)
    return False


def handle_database_unavailable(exc: Exception) -> tuple[str, int, dict[str, str]]:
    """503: the database cannot be reached or no connection is free; the user may retry."""
    if not database_unavailable(exc):
        raise exc  # a fault, not an outage: Flask's 500 path (logged with its traceback)
    reference = request_id() or ""
    _logger().warning(
        "Database unavailable (reference %s): %s %s: %s",
        reference,
        *_where(),
        _headline(exc),
    )
    with contextlib.suppress(Exception):  # the connection may be gone: nothing to undo
        db.session.rollback()
    # The signed-in user's row cannot be read again now: the page and the after-request hooks
    # (security headers) see no one rather than fail a second time.
    g._login_user = current_app.login_manager.anonymous_user()
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    try:
        page, code = render_error(503, reference=reference)
    except Exception:  # the layout needs the database too (the signed-in user)
        with contextlib.suppress(Exception):
            db.session.rollback()
        page, code = plain_unavailable_page(reference), 503
    return page, code, headers


def plain_unavailable_page(reference: str) -> str:
    """The 503 page without layout or database, in both languages."""
    try:
        template = current_app.jinja_env.get_template("errors/plain_unavailable.html")
        return template.render(reference=reference)
    except Exception:
        return f"Error 503. Please try again. Reference: {reference}"


def plain_error_page(reference: str) -> str:
    """The 500 page without layout, user, language or database: for when those failed."""
    try:
        template = current_app.jinja_env.get_template("errors/plain.html")
        return template.render(reference=reference)
    except Exception:
        return f"Error 500. Reference: {reference}"


def log_failure(exc_info: ExcInfo) -> None:
    """Log an unhandled exception (Flask's log_exception): reference, place, sanitised traceback."""
    exc = exc_info[1]
    trace = describe_failure(exc) if exc is not None else ""
    _logger().error(
        "Request failed (reference %s): %s %s\n%s", request_id() or "", *_where(), trace
    )


def describe_failure(exc: BaseException) -> str:
    """A failure's traceback and its causes', with only the messages that cannot carry data."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    parts: list[str] = []
    for failure in reversed(chain):
        if parts:
            parts.append("\nLeading to:\n")
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(failure.__traceback__))
        parts.append(_headline(failure) + "\n")
    return "".join(parts)


class WithoutExceptionMessages(logging.Filter):
    """Put the sanitised traceback in place of a record's exception (Flask's own error logs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record; never drop it."""
        if record.exc_info and record.exc_info[1] is not None:
            record.msg = f"{record.getMessage()}\n{describe_failure(record.exc_info[1])}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def _headline(exc: BaseException) -> str:
    kind = type(exc)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    if kind in CODE_ONLY_MESSAGES:
        return f"{name}: {exc}"
    return f"{name} (message not logged: it may hold personal data)"


def _where() -> tuple[str, str]:
    # The path only: ids are not personal data, and a query string could be a search term.
    return request.method, request.path


def _logger() -> logging.Logger:
    return current_app.logger


def init_app(app: Flask) -> None:
    """Register the handlers, the request limits and the failure log."""
    app.request_class = LimitedRequest
    app.register_error_handler(HTTPException, handle_http_exception)
    for code in MESSAGES:
        if code not in (413, 500, 503):
            app.register_error_handler(code, handle_http_exception)
    app.register_error_handler(413, handle_too_large)
    app.register_error_handler(InternalServerError, handle_server_error)
    for kind in DATABASE_UNAVAILABLE:
        app.register_error_handler(kind, handle_database_unavailable)
    # Flask's own log_exception writes the exception's message; ours leaves it out, and so
    # does every other record of the app's logger that carries an exception.
    app.log_exception = log_failure  # type: ignore[method-assign]
    if not any(isinstance(f, WithoutExceptionMessages) for f in app.logger.filters):
        app.logger.addFilter(WithoutExceptionMessages())
