"""Structured logs: one JSON object per line, each with the request id, and never personal data.

Every record of the process (the app's, the libraries', werkzeug's development server's) goes
through one handler on the root logger with a JSON formatter. A filter adds the request id of
the request being served. The app writes its own access line per request (method, endpoint,
path without the query string, status, duration); the development server's request lines and
any other line that quotes a URL lose their query string, which could hold a search term.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from flask.logging import default_handler
from pythonjsonlogger.json import JsonFormatter

HANDLER_NAME = "casemgr.json"
ACCESS_LOGGER = "casemgr.access"
# "GET /people?q=... HTTP/1.1" and any path or URL followed by a query string.
_QUERY = re.compile(r"(/[^\s?\"']*)\?[^\s\"']*")
# An incoming X-Request-ID is kept only if it is a plain token (a proxy's $request_id).
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}\Z")
FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"


def strip_query(text: str) -> str:
    """Text with every URL's query string replaced by "?…" (it could hold a search term)."""
    return _QUERY.sub(r"\1?…", text)


class RequestContext(logging.Filter):
    """Add the request id to every record made while a request is served; cut query strings."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Annotate and clean the record; never drop it."""
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id") if has_request_context() else None
        message = record.getMessage()
        if "?" in message:
            cleaned = strip_query(message)
            if cleaned != message:
                record.msg, record.args = cleaned, None
        return True


def json_formatter() -> logging.Formatter:
    """The formatter of every line: JSON with time, level, logger, message, request id."""
    return JsonFormatter(
        FIELDS,
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        json_ensure_ascii=False,
    )


def configure(level: str = "INFO", fmt: str = "json") -> logging.Handler:
    """Install the one root handler (idempotent): JSON, or plain text when fmt is "text"."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if h.get_name() == HANDLER_NAME), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.set_name(HANDLER_NAME)
        handler.addFilter(RequestContext())
        root.addHandler(handler)
    if fmt == "json":
        handler.setFormatter(json_formatter())
    else:
        handler.setFormatter(logging.Formatter(FIELDS + " [%(request_id)s]"))
    root.setLevel(level.upper())
    return handler


def begin_request() -> None:
    """Take a safe incoming X-Request-ID as the request id, or make one; start the clock."""
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    g.started = time.perf_counter()


def access_line(response: Response) -> Response:
    """One access record per request: no query string, no address, no user, no form values."""
    started = g.get("started")
    extra: dict[str, Any] = {
        "method": request.method,
        "endpoint": request.endpoint,
        "path": request.path,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
    }
    logging.getLogger(ACCESS_LOGGER).info(
        "%s %s %s", request.method, request.path, response.status_code, extra=extra
    )
    return response


def init_app(app: Flask) -> None:
    """JSON logging for the process, the request id taken first, the access line written last."""
    if app.config["CASEMGR_LOG_FORMAT"] != "off":
        configure(app.config["CASEMGR_LOG_LEVEL"], app.config["CASEMGR_LOG_FORMAT"])
        # Flask's own handler would write every app record a second time, as plain text.
        app.logger.removeHandler(default_handler)
    app.before_request_funcs.setdefault(None, []).insert(0, begin_request)
    app.after_request(access_line)
