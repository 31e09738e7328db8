"""Route access declarations: every view is either public or requires a signed-in action."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, redirect, request, url_for
from flask_login import current_user

from casemgr.auth.roles import PERMISSIONS, Action

F = TypeVar("F", bound=Callable[..., Any])

ACCESS_ATTR = "casemgr_access"


def public(view: F) -> F:
    """Mark a view as reachable without signing in (the sign-in page, /healthz, static)."""
    setattr(view, ACCESS_ATTR, "public")
    return view


def here() -> str:
    """The page asked for, as a `next` to come back to after signing in or switching language:
    its path, and its query string only when it has one (request.full_path always ends in "?",
    which sent the user to "/cases/23?")."""
    query = request.query_string.decode()
    return f"{request.path}?{query}" if query else request.path


def user_may(user: Any, action: Action) -> bool:
    """Whether any of the user's roles permits the action."""
    if not getattr(user, "is_authenticated", False):
        return False
    return any(action in PERMISSIONS[role] for role in user.role_set())


def signed_in(view: F) -> F:
    """Require a signed-in user, with no particular action (own profile, sign-out)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=here()))
        return view(*args, **kwargs)

    setattr(wrapper, ACCESS_ATTR, "signed_in")
    return wrapper  # type: ignore[return-value]


def requires(action: Action) -> Callable[[F], F]:
    """Require a signed-in user one of whose roles permits `action`; otherwise 403 (audited)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return redirect(url_for("auth.login", next=here()))
            if not user_may(current_user, action):
                from casemgr.audit import record

                record(
                    "access.denied",
                    actor=current_user,
                    object_type="route",
                    object_id=request.endpoint,
                    outcome="denied",
                    reason=str(action),
                )
                abort(403)
            return view(*args, **kwargs)

        setattr(wrapper, ACCESS_ATTR, f"action:{action}")
        return wrapper  # type: ignore[return-value]

    return decorate
