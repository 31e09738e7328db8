"""Token authentication for the API: who is calling, with which scopes, and how often.

Runs before every API view, ahead of the views' own checks: no session cookie and no CSRF
token count here, only `Authorization: Bearer <token>`. Each use is audited with the token's
id, never its value; the refused ones too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, request
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import Forbidden, Unauthorized

from casemgr.audit import record
from casemgr.auth.roles import Action
from casemgr.extensions import csrf, limiter
from casemgr.tokens.models import TokenScope
from casemgr.tokens.services import check_token
from casemgr.web.access import ACCESS_ATTR, user_may

F = TypeVar("F", bound=Callable[..., Any])

API_ACCESS_ATTR = "casemgr_api_access"


def token_access(scope: TokenScope, action: Action | None = None) -> Callable[[F], F]:
    """Declare what an API view needs: a token scope and, optionally, a role action."""

    def decorate(view: F) -> F:
        setattr(view, API_ACCESS_ATTR, (scope, action))
        setattr(view, ACCESS_ATTR, f"token:{scope}" + (f":{action}" if action else ""))
        return view

    return decorate


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def rate_key() -> str:
    """The limiter key: the presented token (hashed), so each token has its own budget."""
    value = _bearer() or request.remote_addr or "-"
    return "api:" + hashlib.sha256(value.encode()).hexdigest()[:32]


def rate_limit() -> str:
    """The per-token limit (setting CASEMGR_API_LIMIT_PER_TOKEN)."""
    return current_app.config["API_LIMIT_PER_TOKEN"]


def intake_limit() -> str:
    """Intake reports per token (setting CASEMGR_API_INTAKE_LIMIT_PER_TOKEN)."""
    return current_app.config["API_INTAKE_LIMIT_PER_TOKEN"]


def refused_limit() -> str:
    """Refused tokens per client address (setting CASEMGR_API_REFUSED_LIMIT_PER_ADDRESS)."""
    return current_app.config["API_REFUSED_LIMIT_PER_ADDRESS"]


def _refused(response: Any) -> bool:
    return response.status_code == 401


def authenticate() -> None:
    """Before every API view: the token, its owner as the acting user, scope and action."""
    if request.blueprint != "api":
        return
    g.audit_channel = "api"
    value = _bearer()
    if value is None:
        raise Unauthorized()
    checked = check_token(value)
    token = checked.token
    if checked.refusal is not None:
        record("api.token_refused", actor=token.user if token else None,
               object_type="api_token", object_id=token.id if token else None,
               outcome="denied", reason=checked.refusal)  # fmt: skip
        raise Unauthorized()
    user = token.user
    g._login_user = user  # Flask-Login's current user for this request; no session is read
    g.api_token = token
    record("api.token_used", actor=user, object_type="api_token", object_id=token.id,
           reason=request.endpoint)  # fmt: skip
    view = current_app.view_functions[request.endpoint]
    scope, action = getattr(view, API_ACCESS_ATTR)
    missing = scope if scope not in token.scope_set() else None
    if missing is None and action is not None and not user_may(user, action):
        missing = action
    if missing is not None:
        # The reason names what was missing: the token's scope, or the role's action.
        record("access.denied", actor=user, object_type="route", object_id=request.endpoint,
               outcome="denied", reason=str(missing))  # fmt: skip
        raise Forbidden()


def init_app(app: Flask) -> None:
    """Token authentication ahead of the sign-in checks; no CSRF; a per-token rate limit and
    one on refused tokens per address."""
    from casemgr.api.blueprint import bp

    csrf.exempt(bp)
    limiter.limit(rate_limit, key_func=rate_key)(bp)
    # Guessing tokens: each refused one counts against the address, as failed sign-ins do.
    limiter.limit(refused_limit, key_func=get_remote_address, deduct_when=_refused)(bp)
    app.before_request(authenticate)
