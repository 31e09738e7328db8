"""Sessions end when idle, when too old, when the user is disabled or changes password."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from casemgr.auth.models import User, UserSession
from casemgr.auth.roles import Role
from tests.web import BrowserClient


def _age_sessions(db, user, **deltas: dt.timedelta) -> None:
    now = dt.datetime.now(dt.UTC)
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id)
        .values(**{column: now - delta for column, delta in deltas.items()})
    )
    db.session.commit()


def test_idle_timeout(client, make, db, app):
    user = make.user(Role.SOCIAL_WORKER)
    client.login(user)
    idle = app.config["SESSION_IDLE_MINUTES"]
    _age_sessions(db, user, last_seen_at=dt.timedelta(minutes=idle - 1))
    assert client.get("/dashboard").status_code == 200
    _age_sessions(db, user, last_seen_at=dt.timedelta(minutes=idle + 1))
    assert client.get("/dashboard").status_code == 302
    record = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert record.end_reason == "idle"


def test_absolute_timeout_even_when_active(client, make, db, app):
    user = make.user(Role.SOCIAL_WORKER)
    client.login(user)
    hours = app.config["SESSION_ABSOLUTE_HOURS"]
    _age_sessions(
        db,
        user,
        created_at=dt.timedelta(hours=hours, minutes=1),
        last_seen_at=dt.timedelta(seconds=5),
    )
    assert client.get("/dashboard").status_code == 302


def test_disabling_a_user_ends_their_live_session(app, client, make):
    admin = make.user(Role.ADMINISTRATOR)
    worker = make.user(Role.SOCIAL_WORKER)
    worker_client: BrowserClient = app.test_client()
    worker_client.login(worker)
    assert worker_client.get("/dashboard").status_code == 200
    client.login(admin)
    assert client.post_form(f"/admin/users/{worker.id}/disable").status_code == 302
    assert worker_client.get("/dashboard").status_code == 302


def test_changing_password_ends_other_sessions_only(app, make):
    user = make.user(Role.SOCIAL_WORKER)
    laptop, phone = app.test_client(), app.test_client()
    laptop.login(user)
    phone.login(user)
    new_password = "a-brand-new-passphrase-77"
    response = laptop.post_form(
        "/auth/password",
        {
            "current_password": user.test_password,
            "new_password": new_password,
            "confirm": new_password,
        },
    )
    assert response.status_code == 302
    assert laptop.get("/dashboard").status_code == 200
    assert phone.get("/dashboard").status_code == 302
    fresh = app.test_client()
    assert fresh.login(user, new_password).status_code == 302


def test_password_change_needs_the_current_password(client, make, db):
    user = make.user(Role.SOCIAL_WORKER)
    client.login(user)
    client.post_form("/auth/language", {"locale": "en"})
    new_password = "a-brand-new-passphrase-77"
    response = client.post_form(
        "/auth/password",
        {
            "current_password": "not-my-password-at-all",
            "new_password": new_password,
            "confirm": new_password,
        },
    )
    assert response.status_code == 200
    assert "The current password is wrong." in response.get_data(as_text=True)
    client.post_form("/auth/logout")
    assert client.login(user).status_code == 302  # the old password still works


def test_changing_to_the_same_password_is_refused(app, client, make, db):
    """The walk's finding: "changing" to the current password was accepted and announced."""
    from tests.validation.browser_form import errors_under

    user = make.user(Role.SOCIAL_WORKER)
    phone = app.test_client()
    phone.login(user)
    client.login(user)
    hash_before = db.session.get(User, user.id).password_hash
    response = client.post_form(
        "/auth/password",
        {
            "current_password": user.test_password,
            "new_password": user.test_password,
            "confirm": user.test_password,
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert errors_under(html, "new_password") == [
        "Hãy chọn một mật khẩu khác với mật khẩu hiện tại."
    ]
    assert errors_under(html, "current_password") == []
    assert "Mật khẩu của bạn đã được thay đổi" not in html
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == hash_before
    assert phone.get("/dashboard").status_code == 200  # no session was ended


def test_temporary_password_must_be_changed_first(app, client, make):
    admin = make.user(Role.ADMINISTRATOR)
    worker = make.user(Role.SOCIAL_WORKER)
    client.login(admin)
    page = client.post_form(f"/admin/users/{worker.id}/reset-password").get_data(as_text=True)
    import re

    temp = re.search(r'data-testid="temporary-password">([^<]+)<', page).group(1)
    worker_client = app.test_client()
    assert worker_client.login(worker, temp).status_code == 302
    response = worker_client.get("/dashboard")
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/password")


def test_cookie_is_not_resent_on_every_page_but_idle_limit_still_holds(client, make, db, app):
    """The server-side record holds the limits: an unchanged session's cookie is not re-signed
    on each response, and a session idle past its limit still ends."""
    user = make.user(Role.SOCIAL_WORKER)
    client.login(user)
    client.get("/dashboard")  # the first page may add the session's CSRF secret
    response = client.get("/dashboard")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    idle = app.config["SESSION_IDLE_MINUTES"]
    _age_sessions(db, user, last_seen_at=dt.timedelta(minutes=idle + 1))
    assert client.get("/dashboard").status_code == 302
