"""A test client that behaves like a browser on HTTPS: Referer sent, CSRF tokens at hand."""

from __future__ import annotations

import time
from typing import Any

import pyotp
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from casemgr.auth.models import User
from casemgr.extensions import db

BASE = "https://localhost"


class BrowserClient(FlaskClient):
    """FlaskClient with the helpers the tests need."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.environ_base["HTTP_REFERER"] = BASE + "/"

    def open(self, *args: Any, **kwargs: Any):
        # Each request gets its own application context, as in production: otherwise the
        # test's context (held by the db fixture) would share `g` between requests.
        with self.application.app_context():
            return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        """A valid CSRF token for this client's session (as Flask-WTF would render it)."""
        with self.session_transaction() as session:
            raw = session.get("csrf_token")
        if raw is None:
            self.get("/auth/login")
            with self.session_transaction() as session:
                raw = session.get("csrf_token")
            if raw is None:  # signed-in clients are redirected: render any page with a form
                self.get("/dashboard")
                with self.session_transaction() as session:
                    raw = session["csrf_token"]
        return URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token").dumps(raw)

    def post_form(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any):
        """POST a form with a valid CSRF token."""
        payload = {"csrf_token": self.csrf_token(), **(data or {})}
        return self.post(url, data=payload, **kwargs)

    def login(self, user: User, password: str | None = None, *, finish_mfa: bool = True):
        """Sign in through the real forms (second factor included when the user has one)."""
        response = self.post_form(
            "/auth/login",
            {"username": user.username, "password": password or user.test_password},
        )
        location = response.headers.get("Location", "")
        if finish_mfa and location.endswith("/auth/mfa"):
            response = self.post_form("/auth/mfa", {"code": totp_code(user)})
        return response


def totp_code(user: User) -> str:
    """The code the user's authenticator app shows now (or the next one, if now's was used)."""
    totp = pyotp.TOTP(user.test_totp_secret)
    step = int(time.time() // totp.interval)
    last_step = db.session.get(User, user.id).totp_last_step
    if last_step is not None and last_step >= step:
        step = last_step + 1
    return totp.generate_otp(step)
