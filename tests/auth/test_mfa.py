"""TOTP: enrolment with a QR code, required by role, codes never accepted twice."""

from __future__ import annotations

import re
import time

import pyotp
import pytest

from casemgr.auth import mfa
from casemgr.auth.models import User
from casemgr.auth.roles import Role


def _enrolment_secret(html: str) -> str:
    return re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', html).group(1)


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AUDITOR, Role.ADMINISTRATOR])
def test_roles_that_need_mfa_must_enrol_before_working(client, make, db, role):
    user = make.user(role, mfa_enrolled=False)
    response = client.login(user)
    assert response.headers["Location"].endswith("/auth/mfa/enrol")
    assert client.get("/dashboard").status_code == 302  # not signed in yet
    page = client.get("/auth/mfa/enrol").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page  # the QR code, inline as an image, no script
    secret = _enrolment_secret(page)
    # GET does not store anything: the secret waits, sealed, in the session.
    assert db.session.get(User, user.id).totp_secret_enc is None
    assert client.post_form("/auth/mfa/enrol", {"code": "000000"}).status_code == 200
    code = pyotp.TOTP(secret).now()
    response = client.post_form("/auth/mfa/enrol", {"code": code})
    # Enrolment ends on the one showing of the recovery codes, then goes on to the dashboard.
    assert response.status_code == 200 and 'data-testid="recovery-codes"' in response.text
    assert 'href="/dashboard"' in response.text
    assert client.get("/dashboard").status_code == 200
    stored = db.session.get(User, user.id)
    assert stored.mfa_enrolled and mfa.stored_secret(stored) == secret
    assert secret.encode() not in stored.totp_secret_enc  # sealed, not plain


def test_social_worker_mfa_is_optional_by_default(client, make):
    user = make.user(Role.SOCIAL_WORKER, mfa_enrolled=False)
    assert client.login(user).headers["Location"] == "/dashboard"


def test_social_worker_mfa_can_be_required_by_configuration(app, client, make, monkeypatch):
    monkeypatch.setitem(app.config, "MFA_REQUIRED_FOR_SOCIAL_WORKERS", True)
    user = make.user(Role.SOCIAL_WORKER, mfa_enrolled=False)
    assert client.login(user).headers["Location"].endswith("/auth/mfa/enrol")


def test_wrong_and_reused_codes_are_refused(app, make, db):
    user = make.user(Role.SUPERVISOR)
    first = app.test_client()
    response = first.login(user, finish_mfa=False)
    assert response.headers["Location"].endswith("/auth/mfa")
    assert first.post_form("/auth/mfa", {"code": "123456"}).status_code == 200
    code = pyotp.TOTP(user.test_totp_secret).now()
    assert first.post_form("/auth/mfa", {"code": code}).status_code == 302
    # The same code, replayed within its validity window by someone else, is refused.
    second = app.test_client()
    second.login(user, finish_mfa=False)
    assert second.post_form("/auth/mfa", {"code": code}).status_code == 200
    assert second.get("/dashboard").status_code == 302


def test_check_code_accepts_adjacent_steps_only():
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    now = time.time()
    step = int(now // 30)
    assert mfa.check_code(secret, totp.generate_otp(step - 1), None, now) == step - 1
    assert mfa.check_code(secret, totp.generate_otp(step + 1), None, now) == step + 1
    assert mfa.check_code(secret, totp.generate_otp(step - 3), None, now) is None
    assert mfa.check_code(secret, totp.generate_otp(step), step, now) is None


def test_mfa_step_needs_a_fresh_password_step(client, make):
    make.user(Role.SUPERVISOR)
    assert client.get("/auth/mfa").headers["Location"].endswith("/auth/login")
    assert client.post_form("/auth/mfa", {"code": "123456"}).status_code == 302


def test_sealed_secret_is_bound_to_its_user(make, db):
    a, b = make.user(Role.SUPERVISOR), make.user(Role.SUPERVISOR)
    user_a, user_b = db.session.get(User, a.id), db.session.get(User, b.id)
    user_b.totp_secret_enc = user_a.totp_secret_enc  # copied across rows
    with pytest.raises(Exception, match="authenticate"):
        mfa.stored_secret(user_b)
