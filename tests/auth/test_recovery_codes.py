"""MFA recovery codes: shown once, hashed at rest, each works once, throttled, audited, alerted."""

from __future__ import annotations

import logging
import re

from sqlalchemy import select

from casemgr.audit.models import AlertKind, AuditAlert, AuditEvent
from casemgr.auth import recovery
from casemgr.auth.models import RecoveryCode, User
from casemgr.auth.roles import Role

CODE = re.compile(r"<li>([0-9a-z]{5}-[0-9a-z]{5})</li>")


def _new_codes(client, user) -> list[str]:
    response = client.post_form("/auth/recovery-codes", {"current_password": user.test_password})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return CODE.findall(response.text)


def _sign_in_with(client, user, code: str):
    client.post_form("/auth/logout")
    response = client.post_form(
        "/auth/login", {"username": user.username, "password": user.test_password}
    )
    assert response.headers["Location"].endswith("/auth/mfa")
    return client.post_form("/auth/mfa", {"code": code})


def _events(db, user, action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.actor_id == user.id, AuditEvent.action == action)
        )
    )


def test_codes_are_shown_once_and_only_hashes_are_kept(client, make, db, caplog):
    caplog.set_level(logging.DEBUG)
    user = make.user(Role.SUPERVISOR)
    client.login(user)
    codes = _new_codes(client, user)
    assert len(codes) == 10 and len(set(codes)) == 10
    # Never shown again: the account page and the recovery page hold none of them.
    for page in ("/auth/password", "/auth/recovery-codes"):
        text = client.get(page).get_data(as_text=True)
        assert not any(code in text for code in codes)
    assert "10" in client.get("/auth/recovery-codes").get_data(as_text=True)
    rows = list(db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)))
    assert len(rows) == 10
    stored = " ".join(row.code_hash for row in rows)
    trail = " ".join(
        str(value)
        for event in db.session.scalars(select(AuditEvent))
        for value in (event.object_id, event.reason, event.fields)
    )
    with client.session_transaction() as session:
        cookie = str(dict(session))
    for code in codes:
        bare = recovery.normalise(code)
        for place in (stored, trail, caplog.text, cookie):
            assert code not in place and bare not in place
    _sign_in_with(client, user, codes[0])
    assert not any(recovery.normalise(code) in caplog.text for code in codes)


def test_each_code_works_once_and_sign_in_is_audited(client, make, db):
    user = make.user(Role.SOCIAL_WORKER, mfa_enrolled=True)
    client.login(user)
    codes = _new_codes(client, user)
    response = _sign_in_with(client, user, codes[0].upper().replace("-", " "))
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    dashboard = client.get("/dashboard")
    assert dashboard.status_code == 200
    assert "còn lại: 9" in dashboard.text  # the notice survives the new session
    assert recovery.remaining(db.session.get(User, user.id)) == 9
    # The same code again is refused; another one still works.
    refused = _sign_in_with(client, user, codes[0])
    assert refused.status_code == 200 and client.get("/dashboard").status_code == 302
    assert _sign_in_with(client, user, codes[1]).status_code == 302
    outcomes = sorted(str(e.outcome) for e in _events(db, user, "auth.mfa_recovery"))
    assert outcomes == ["allowed", "allowed", "denied"]


def test_spending_is_a_conditional_update(app, make, db):
    user = make.user(Role.AUDITOR)
    codes = recovery.replace_codes(user)
    assert recovery.spend(user, codes[3]) is True
    assert recovery.spend(user, codes[3]) is False  # the row no longer matches "unused"
    other = make.user(Role.AUDITOR)
    assert recovery.spend(other, codes[4]) is False  # codes are bound to their user


def test_wrong_codes_are_refused_and_throttled_like_totp(app, client, make, db):
    user = make.user(Role.ADMINISTRATOR)
    client.login(user)
    codes = _new_codes(client, user)
    limit = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split("/")[0])
    client.post_form("/auth/logout")
    client.post_form("/auth/login", {"username": user.username, "password": user.test_password})
    statuses = [
        client.post_form("/auth/mfa", {"code": "aaaaa-bbbbb"}).status_code for _ in range(limit)
    ]
    assert statuses == [200] * limit
    # Throttled now, even with a right code: the limiter does not reveal a right guess.
    assert client.post_form("/auth/mfa", {"code": codes[0]}).status_code == 429
    assert recovery.remaining(db.session.get(User, user.id)) == 10


def test_using_a_code_alerts_the_supervisor(client, make, db):
    office = make.unit()
    elsewhere = make.unit()
    supervisor = make.user(Role.SUPERVISOR, office)
    stranger = make.user(Role.SUPERVISOR, elsewhere)
    worker = make.user(Role.SOCIAL_WORKER, office, mfa_enrolled=True)
    client.login(worker)
    codes = _new_codes(client, worker)
    assert not db.session.scalars(select(AuditAlert).where(AuditAlert.actor_id == worker.id)).all()
    _sign_in_with(client, worker, codes[2])
    alert = db.session.scalar(select(AuditAlert).where(AuditAlert.actor_id == worker.id))
    assert alert.kind == AlertKind.RECOVERY_CODE and alert.event_count == 1
    client.post_form("/auth/logout")
    client.login(supervisor)
    listing = client.get("/audit/alerts").get_data(as_text=True)
    assert f"/audit/alerts/{alert.id}" in listing
    client.post_form("/auth/logout")
    client.login(stranger)
    assert client.get(f"/audit/alerts/{alert.id}").status_code == 404


def test_new_codes_need_the_password_and_replace_the_old(client, make, db):
    user = make.user(Role.SUPERVISOR)
    client.login(user)
    first = _new_codes(client, user)
    wrong = client.post_form("/auth/recovery-codes", {"current_password": "not-my-password"})
    assert wrong.status_code == 200 and not CODE.findall(wrong.text)
    denied = [e for e in _events(db, user, "auth.recovery_codes") if e.outcome == "denied"]
    assert len(denied) == 1
    second = _new_codes(client, user)
    assert not set(first) & set(second)
    assert _sign_in_with(client, user, first[0]).status_code == 200  # old codes are gone
    assert _sign_in_with(client, user, second[0]).status_code == 302


def test_workers_without_mfa_are_sent_to_enrol(client, make):
    worker = make.user(Role.SOCIAL_WORKER)
    client.login(worker)
    response = client.get("/auth/recovery-codes")
    assert response.headers["Location"].endswith("/auth/mfa/enrol")


def test_resetting_mfa_drops_the_codes(make, db):
    from casemgr.admin.services import reset_mfa

    user = make.user(Role.SUPERVISOR)
    recovery.replace_codes(user)
    reset_mfa(None, user)
    db.session.flush()
    assert recovery.remaining(user) == 0
