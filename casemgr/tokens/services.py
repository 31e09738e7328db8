"""Making, checking and revoking personal access tokens (the value is shown once, never kept)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update

from casemgr.audit import record
from casemgr.auth.models import User
from casemgr.auth.roles import Action, Role
from casemgr.clock import end_of_local_day, utcnow
from casemgr.extensions import db
from casemgr.tokens.models import ApiToken, TokenScope

MAX_DAYS = 90
PREFIX = "cm_"
# A new token's hash column holds this marker (never a SHA-256 hex, so no value matches it)
# until its value is made and shown, once, on the page the creating form redirects to.
PENDING = "pending:"
# A value not shown within this time is never shown: the token stays unusable (revoke it).
SHOW_WINDOW = dt.timedelta(minutes=10)
# Write last_used_at at most this often: a write per API call would be wasted work.
TOUCH_INTERVAL = dt.timedelta(seconds=60)


class TokenError(ValueError):
    """A token request the rules refuse (the message is a code, never a value)."""


@dataclass(frozen=True)
class Checked:
    """The outcome of presenting a token: the token if it was found, and why it is refused."""

    token: ApiToken | None
    refusal: str | None


def token_hash(value: str) -> str:
    """SHA-256 of the token's value: 256 random bits need no slow hash, and a deterministic
    hash is the lookup key."""
    return hashlib.sha256(value.encode()).hexdigest()


def allowed_scopes(user: User) -> list[TokenScope]:
    """The scopes this user may put on a token: audit for auditors only."""
    scopes = [TokenScope.READ, TokenScope.WRITE]
    if user.has_role(Role.AUDITOR):
        scopes.append(TokenScope.AUDIT)
    scopes.append(TokenScope.INTAKE)
    return scopes


def create_token(
    actor: User, *, name: str, scopes: list[str], expires_on: dt.date, today: dt.date
) -> tuple[ApiToken, str]:
    """Make a token for the actor and its value at once (for scripts and tests)."""
    token = create_pending_token(
        actor, name=name, scopes=scopes, expires_on=expires_on, today=today
    )
    revealed = reveal(actor, token.id)
    if revealed is None:  # just made, the actor's, not yet shown: cannot happen
        raise TokenError("not shown")
    return revealed


def create_pending_token(
    actor: User, *, name: str, scopes: list[str], expires_on: dt.date, today: dt.date
) -> ApiToken:
    """Make a token for the actor, unusable until `reveal` makes its value (shown once)."""
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise TokenError("name required")
    chosen = {TokenScope(s) for s in scopes}
    if not chosen:
        raise TokenError("scope required")
    if not chosen <= set(allowed_scopes(actor)):
        raise TokenError("scope not allowed")
    # An intake integration gets nothing else: it must not read back what it reported.
    if TokenScope.INTAKE in chosen and len(chosen) > 1:
        raise TokenError("intake alone")
    if not today < expires_on <= today + dt.timedelta(days=MAX_DAYS):
        raise TokenError("expiry out of range")
    # Until the end of the chosen day in Viet Nam, and never more than 90 days from now.
    expires_at = end_of_local_day(expires_on)
    token = ApiToken(
        user_id=actor.id,
        name=name,
        scopes=",".join(s.value for s in TokenScope if s in chosen),
        token_hash=PENDING + secrets.token_hex(24),
        expires_at=min(expires_at, utcnow() + dt.timedelta(days=MAX_DAYS)),
    )
    db.session.add(token)
    db.session.flush()
    record("token.create", actor=actor, object_type="api_token", object_id=token.id,
           reason=token.scopes.replace(",", " "))  # fmt: skip
    return token


def reveal(actor: User, token_id: int) -> tuple[ApiToken, str] | None:
    """Make the value of the actor's new token and keep only its hash; None if the token is
    not the actor's, was shown already or was not shown in time. The value exists only in the
    one response that shows it: nothing is kept that a reload could show or use again."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != actor.id or not token.token_hash.startswith(PENDING):
        return None
    if utcnow() - token.created_at > SHOW_WINDOW:
        return None
    value = PREFIX + secrets.token_urlsafe(32)
    # Compare-and-set: of two loads of the page at once, only one shows a value.
    done = db.session.execute(
        update(ApiToken)
        .where(ApiToken.id == token.id, ApiToken.token_hash == token.token_hash)
        .values(token_hash=token_hash(value))
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        return None
    db.session.refresh(token)
    return token, value


def may_revoke(actor: User, token: ApiToken) -> bool:
    """The owner, or an administrator (who manages users), may revoke a token."""
    from casemgr.auth.roles import PERMISSIONS

    return token.user_id == actor.id or any(
        Action.MANAGE_USERS in PERMISSIONS[role] for role in actor.role_set()
    )


def revoke_token(actor: User, token: ApiToken) -> None:
    """Revoke at once: the next request with it is refused."""
    if not may_revoke(actor, token):
        raise TokenError("not allowed")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        token.revoked_by_id = actor.id
        db.session.flush()
        record("token.revoke", actor=actor, object_type="api_token", object_id=token.id)


def own_tokens(user: User) -> list[ApiToken]:
    """The user's tokens, newest first."""
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        )
    )


def all_tokens(*, live_only: bool = True) -> list[ApiToken]:
    """Every token, for administrators (live ones first, newest first)."""
    statement = select(ApiToken).order_by(ApiToken.id.desc())
    if live_only:
        now = utcnow()
        statement = statement.where(ApiToken.revoked_at.is_(None), ApiToken.expires_at > now)
    return list(db.session.scalars(statement))


def check_token(value: str) -> Checked:
    """Look the presented value up; refuse unknown, revoked and expired tokens and their
    disabled owners (at once: nothing is cached)."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(value)))
    if token is None:
        return Checked(None, "unknown")
    now = utcnow()
    if token.revoked_at is not None:
        return Checked(token, "revoked")
    if now >= token.expires_at:
        return Checked(token, "expired")
    if not token.user.is_enabled:
        return Checked(token, "user disabled")
    if token.user.must_change_password:
        return Checked(token, "password change needed")
    if token.last_used_at is None or now - token.last_used_at > TOUCH_INTERVAL:
        token.last_used_at = now
    return Checked(token, None)
