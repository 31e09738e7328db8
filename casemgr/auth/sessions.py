"""Server-side sessions: a random token in the signed cookie, its hash in the database.

Stateless app servers can all check a session, and a session can be ended from anywhere
(sign-out, a disabled account, a changed password) with idle and absolute limits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask import Flask, current_app, flash, g, session
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, login_user, logout_user
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload

from casemgr.auth.models import User, UserSession
from casemgr.clock import utcnow
from casemgr.extensions import db

SESSION_KEY = "sid"
# Write last_seen_at at most this often: a write per request would be wasted work.
TOUCH_INTERVAL = dt.timedelta(seconds=60)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> UserSession:
    """Sign the user in with a brand-new session id (the pre-sign-in session is discarded)."""
    locale = session.get("locale")
    session.clear()
    token = secrets.token_urlsafe(32)
    record = UserSession(token_hash=_hash(token), user_id=user.id)
    db.session.add(record)
    db.session.flush()
    session[SESSION_KEY] = token
    session.permanent = True
    if locale:
        session["locale"] = locale
    login_user(user)
    return record


def current_session_record() -> UserSession | None:
    """The database record of the session in the cookie, if it exists."""
    token = session.get(SESSION_KEY)
    if not token:
        return None
    return db.session.scalar(select(UserSession).where(UserSession.token_hash == _hash(token)))


def end_current_session(reason: str) -> None:
    """Sign out: end this session's record and clear the cookie."""
    record = current_session_record()
    if record is not None and record.ended_at is None:
        record.ended_at = utcnow()
        record.end_reason = reason
    logout_user()
    session.clear()


def end_user_sessions(user: User, reason: str, keep_current: bool = False) -> int:
    """End every live session of a user (all, or all but the current one); return how many."""
    statement = (
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason)
    )
    if keep_current and (current := current_session_record()) is not None:
        statement = statement.where(UserSession.id != current.id)
    return db.session.execute(statement).rowcount


def _expired(record: UserSession, now: dt.datetime) -> str | None:
    config = current_app.config
    if now - record.last_seen_at > dt.timedelta(minutes=config["SESSION_IDLE_MINUTES"]):
        return "idle"
    if now - record.created_at > dt.timedelta(hours=config["SESSION_ABSOLUTE_HOURS"]):
        return "absolute"
    return None


# Every signed-in request runs this statement: it is built once (building it, with its
# loader options, cost about as much as running it); only the token's hash is bound per call.
SIGNED_IN_RECORD = (
    select(UserSession)
    .where(UserSession.token_hash == bindparam("token_hash"))
    .options(joinedload(UserSession.user).joinedload(User.roles))
)


def _signed_in_record() -> UserSession | None:
    """The cookie's session record with its user and the user's roles (one statement: every
    signed-in request asks for them)."""
    token = session.get(SESSION_KEY)
    if not token:
        return None
    found = db.session.execute(SIGNED_IN_RECORD, {"token_hash": _hash(token)})
    return found.unique().scalar_one_or_none()


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the user only if the session record is live and theirs."""
    record = _signed_in_record()
    if record is None or record.ended_at is not None or str(record.user_id) != user_id:
        session.clear()
        return None
    now = utcnow()
    reason = _expired(record, now)
    if reason is not None:
        record.ended_at, record.end_reason = now, reason
        session.clear()
        flash(_l("Your session has ended. Please sign in again."), "info")
        return None
    user = record.user
    if user is None or not user.is_enabled:
        return None
    if now - record.last_seen_at > TOUCH_INTERVAL:
        record.last_seen_at = now
    g.session_record = record
    return user


def time_left() -> dict[str, int] | None:
    """The signed-in session's limits as the page's expiry warning reads them: the idle limit and
    the seconds before the absolute end, or None when no session was read in this request."""
    record: UserSession | None = g.get("session_record")
    if record is None:
        return None
    config = current_app.config
    end = record.created_at + dt.timedelta(hours=config["SESSION_ABSOLUTE_HOURS"])
    return {
        "idle_seconds": config["SESSION_IDLE_MINUTES"] * 60,
        "absolute_seconds": max(0, int((end - utcnow()).total_seconds())),
        # The server notes activity at most once a TOUCH_INTERVAL: the idle clock may have
        # started that long before the page was drawn.
        "touch_seconds": int(TOUCH_INTERVAL.total_seconds()),
    }


def keep_alive() -> dict[str, int] | None:
    """Note activity on the signed-in session now (the user is still at work on a page)."""
    record: UserSession | None = g.get("session_record")
    if record is None:
        return None
    record.last_seen_at = utcnow()
    return time_left()


def init_app(app: Flask, login_manager: LoginManager) -> None:
    """Attach Flask-Login with our loader; no remember-me cookie is ever set."""
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.session_protection = None  # the server-side record does this job
