"""Throttling per account and per address, with no permanent lockout."""

from __future__ import annotations

import time

from casemgr.auth.models import User
from casemgr.auth.roles import Role


def _attempt(client, username: str, password: str, address: str):
    return client.post_form(
        "/auth/login",
        {"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address, "HTTP_REFERER": "https://localhost/"},
    )


def test_guessing_one_account_is_throttled_from_any_address(app, client, make):
    user = make.user(Role.SOCIAL_WORKER)
    limit = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split("/")[0])
    for n in range(limit):
        assert _attempt(client, user.username, "wrong-guess-000", f"10.0.0.{n}").status_code == 200
    assert _attempt(client, user.username, "wrong-guess-000", "10.0.1.1").status_code == 429
    # Even the right password waits: the limiter does not reveal whether a guess was right.
    assert _attempt(client, user.username, user.test_password, "10.0.1.2").status_code == 429
    # Other accounts are unaffected.
    other = make.user(Role.SOCIAL_WORKER)
    assert _attempt(client, other.username, other.test_password, "10.0.1.3").status_code == 302


def test_unknown_accounts_are_throttled_alike(app, client):
    limit = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split("/")[0])
    statuses = [
        _attempt(client, "ghost", "wrong-guess-000", f"10.0.2.{n}").status_code
        for n in range(limit + 1)
    ]
    assert statuses == [200] * limit + [429]


def test_one_address_guessing_many_accounts_is_throttled(app, client):
    limit = int(app.config["LOGIN_LIMIT_PER_ADDRESS"].split("/")[0])
    statuses = [
        _attempt(client, f"name{n}", "wrong-guess-000", "10.9.9.9").status_code
        for n in range(limit + 1)
    ]
    assert statuses[:limit] == [200] * limit and statuses[limit] == 429
    assert _attempt(client, "another", "wrong-guess-000", "10.9.9.10").status_code == 200


def test_no_permanent_lockout(app, client, make, db, monkeypatch):
    user = make.user(Role.SOCIAL_WORKER)
    limit = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split("/")[0])
    for n in range(limit + 1):
        _attempt(client, user.username, "wrong-guess-000", f"10.1.0.{n}")
    assert _attempt(client, user.username, user.test_password, "10.1.1.1").status_code == 429
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 61)  # the window has passed
    assert _attempt(client, user.username, user.test_password, "10.1.1.1").status_code == 302
    assert db.session.get(User, user.id).is_enabled


def test_throttled_page_is_translated(app, client):
    limit = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split("/")[0])
    for n in range(limit + 1):
        response = _attempt(client, "ghost2", "wrong-guess-000", f"10.0.3.{n}")
    assert response.status_code == 429
    assert "(429)" in response.get_data(as_text=True)
