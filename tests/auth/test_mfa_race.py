"""One-time codes under concurrency: 8 sign-ins send the same code at once, exactly one gets in.

Each sign-in is a real request on its own connection (a separate app context per thread), on
a database of its own: a SQLite file or a PostgreSQL database, never the rolled-back fixture.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pyotp
import pytest
from flask import Flask

from casemgr import create_app
from casemgr.auth import recovery
from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.crypto.keyfile import new_key_document
from casemgr.extensions import db as _db
from tests import conftest
from tests.dbsetup import fresh_database
from tests.factories import Factories
from tests.web import BrowserClient

SIGN_INS = 8


@pytest.fixture(scope="module")
def race_app() -> Iterator[Flask]:
    with fresh_database("mfa_race") as url:
        config = conftest.app_config(url, new_key_document())
        config["LOGIN_LIMIT_PER_ACCOUNT"] = "1000/minute"
        config["LOGIN_LIMIT_PER_ADDRESS"] = "1000/minute"
        app = create_app(config)
        app.test_client_class = BrowserClient
        with app.app_context():
            _db.create_all()
            _db.session.commit()
        yield app
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()


def _supervisor(app: Flask):
    with app.app_context():
        user = Factories(_db).user(Role.SUPERVISOR)
        codes = recovery.replace_codes(user)
        found = SimpleNamespace(
            id=user.id,
            username=user.username,
            test_password=user.test_password,
            test_totp_secret=user.test_totp_secret,
            test_codes=codes,
        )
        _db.session.commit()
        return found


def _race(app: Flask, user, code: str) -> list[bool]:
    """Sign in SIGN_INS clients up to the second factor, then send `code` from all at once."""
    clients = []
    for _ in range(SIGN_INS):
        client = app.test_client()
        assert client.login(user, finish_mfa=False).headers["Location"].endswith("/auth/mfa")
        clients.append((client, client.csrf_token()))
    barrier = threading.Barrier(SIGN_INS)

    def submit(pair) -> bool:
        client, token = pair
        barrier.wait(timeout=30)
        response = client.post("/auth/mfa", data={"csrf_token": token, "code": code})
        assert response.status_code in (200, 302)
        return client.get("/dashboard").status_code == 200

    with ThreadPoolExecutor(SIGN_INS) as pool:
        return list(pool.map(submit, clients))


def test_one_totp_code_signs_in_exactly_one_of_eight_concurrent_sessions(race_app):
    user = _supervisor(race_app)
    code = pyotp.TOTP(user.test_totp_secret).now()
    signed_in = _race(race_app, user, code)
    assert signed_in.count(True) == 1, signed_in


def test_one_recovery_code_signs_in_exactly_one_of_eight_concurrent_sessions(race_app):
    user = _supervisor(race_app)
    signed_in = _race(race_app, user, user.test_codes[0])
    assert signed_in.count(True) == 1, signed_in
    with race_app.app_context():
        assert recovery.remaining(_db.session.get(User, user.id)) == recovery.CODE_COUNT - 1
