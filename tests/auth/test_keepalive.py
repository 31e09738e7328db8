"""The session's expiry warning: the layout gives the page its limits, and "continue working"
(or typing in a form) starts the idle clock again through POST /auth/keepalive."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select, update

from casemgr.auth.models import UserSession
from casemgr.auth.roles import Role


def _set_session(db, user, **values: dt.datetime) -> None:
    db.session.execute(update(UserSession).where(UserSession.user_id == user.id).values(**values))
    db.session.commit()


def _record(db, user) -> UserSession:
    db.session.expire_all()
    return db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))


def _keepalive(client):
    return client.post("/auth/keepalive", headers={"X-CSRFToken": client.csrf_token()})


def test_keepalive_starts_the_idle_clock_again(client, make, db, app):
    user = make.user(Role.SOCIAL_WORKER)
    client.login(user)
    idle = app.config["SESSION_IDLE_MINUTES"]
    now = dt.datetime.now(dt.UTC)
    _set_session(db, user, last_seen_at=now - dt.timedelta(minutes=idle - 2))
    response = _keepalive(client)
    assert response.status_code == 200
    assert response.json["idle_seconds"] == idle * 60
    seen = _record(db, user).last_seen_at.replace(tzinfo=dt.UTC)
    assert dt.datetime.now(dt.UTC) - seen < dt.timedelta(seconds=30)
    # Without the keepalive the session would now be past its limit; with it, it is not.
    _set_session(db, user, last_seen_at=seen - dt.timedelta(minutes=3))
    assert client.get("/dashboard").status_code == 200


def test_keepalive_answers_the_time_left_before_the_absolute_limit(client, make, db, app):
    user = make.user(Role.SOCIAL_WORKER)
    client.login(user)
    hours = app.config["SESSION_ABSOLUTE_HOURS"]
    _set_session(db, user, created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours - 1))
    left = _keepalive(client).json["absolute_seconds"]
    assert 3500 <= left <= 3600


def test_keepalive_cannot_revive_an_ended_session(client, make, db, app):
    user = make.user(Role.SOCIAL_WORKER)
    client.login(user)
    idle = app.config["SESSION_IDLE_MINUTES"]
    now = dt.datetime.now(dt.UTC)
    _set_session(db, user, last_seen_at=now - dt.timedelta(minutes=idle + 1))
    response = _keepalive(client)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert _record(db, user).end_reason == "idle"


def test_keepalive_needs_the_csrf_token(client, make):
    client.login(make.user(Role.SOCIAL_WORKER))
    assert client.post("/auth/keepalive").status_code == 400


def test_signed_in_pages_carry_the_limits_and_signed_out_pages_do_not(client, make, app):
    assert 'id="session-timer"' not in client.get("/auth/login").get_data(as_text=True)
    client.login(make.user(Role.SOCIAL_WORKER))
    page = client.get("/dashboard").get_data(as_text=True)
    timer = re.search(r'<div id="session-timer"[^>]*>', page)
    assert timer is not None
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    assert f'data-idle-seconds="{idle}"' in timer.group(0)
    absolute = int(re.search(r'data-absolute-seconds="(\d+)"', timer.group(0)).group(1))
    assert absolute > app.config["SESSION_ABSOLUTE_HOURS"] * 3600 - 60
    assert "js/session_timer.js" in page
