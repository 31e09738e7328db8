"""Security headers on every response, request ids, and no-store on signed-in pages."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_login import current_user

from casemgr.audit.recorder import request_id

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def set_security_headers(response: Response) -> Response:
    """Add the headers every page needs; signed-in pages are never cached."""
    headers = response.headers
    # First: the reference a 500 page shows must reach the client even if what follows fails.
    rid = request_id()
    if rid:
        headers["X-Request-Id"] = rid
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.is_secure:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if current_user.is_authenticated or request.endpoint not in ("static", "bootstrap.static"):
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response


def init_app(app: Flask) -> None:
    """Install the header hook."""
    app.after_request(set_security_headers)
