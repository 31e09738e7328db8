"""Sign-in: no enumeration, session rotation, safe redirects, sign-out by POST only."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from argon2 import PasswordHasher
from markupsafe import escape
from sqlalchemy import func, select

from casemgr.audit.models import AuditEvent
from casemgr.auth.models import User, UserSession
from casemgr.auth.roles import Role
from casemgr.auth.sessions import _hash


def _page_without_tokens(html: str) -> str:
    return re.sub(r'value="[^"]*"', 'value=""', html)


def test_unknown_user_and_wrong_password_get_the_same_answer(client, make, monkeypatch):
    user = make.user(Role.SOCIAL_WORKER)
    verifications = []
    real_verify = PasswordHasher.verify

    def counting_verify(self, stored, given):
        verifications.append(stored)
        return real_verify(self, stored, given)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    wrong = client.post_form("/auth/login", {"username": user.username, "password": "x" * 14})
    unknown = client.post_form("/auth/login", {"username": "nobody-here", "password": "x" * 14})
    assert wrong.status_code == unknown.status_code == 200
    body_wrong = _page_without_tokens(wrong.get_data(as_text=True)).replace(user.username, "U")
    body_unknown = _page_without_tokens(unknown.get_data(as_text=True)).replace("nobody-here", "U")
    assert body_wrong == body_unknown
    # Similar timing: both paths run exactly one argon2 verification.
    assert len(verifications) == 2


def test_disabled_user_cannot_sign_in_and_gets_the_same_answer(client, make, db):
    user = make.user(Role.SOCIAL_WORKER)
    db.session.get(User, user.id).is_enabled = False
    db.session.flush()
    response = client.login(user)
    assert response.status_code == 200
    assert client.get("/dashboard").status_code == 302


def test_sign_in_rotates_the_session(client, make, db):
    user = make.user(Role.SOCIAL_WORKER)
    with client.session_transaction() as session:
        session["sid"] = "attacker-chosen-session-id"
        session["planted"] = "x"
    assert client.login(user).status_code == 302
    with client.session_transaction() as session:
        new_sid = session["sid"]
        assert "planted" not in session
    assert new_sid != "attacker-chosen-session-id"
    record = db.session.scalar(select(UserSession).where(UserSession.token_hash == _hash(new_sid)))
    assert record is not None and record.user_id == user.id
    # The database keeps only the hash of the token.
    assert (
        db.session.scalar(
            select(func.count()).select_from(UserSession).where(UserSession.token_hash == new_sid)
        )
        == 0
    )


def test_sign_in_and_failure_are_audited_without_the_password(client, make, db):
    user = make.user(Role.SOCIAL_WORKER)
    client.post_form("/auth/login", {"username": user.username, "password": "wrong-password-1"})
    client.login(user)
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.login").order_by(AuditEvent.seq)
    ).all()
    assert [e.outcome for e in events[-2:]] == ["denied", "allowed"]
    for event in events:
        assert "wrong-password-1" not in repr(vars(event))
        assert user.test_password not in repr(vars(event))


def test_next_parameter_cannot_redirect_elsewhere(client, make):
    user = make.user(Role.SOCIAL_WORKER)
    response = client.post_form(
        "/auth/login?next=//evil.example/x",
        {"username": user.username, "password": user.test_password},
    )
    assert response.headers["Location"] == "/dashboard"


def test_next_parameter_returns_to_the_page_asked_for(client, make):
    user = make.user(Role.SOCIAL_WORKER)
    response = client.post_form(
        "/auth/login?next=/auth/password",
        {"username": user.username, "password": user.test_password},
    )
    assert response.headers["Location"] == "/auth/password"


@pytest.mark.parametrize(
    ("page", "wanted"),
    [
        ("/dashboard", "/dashboard"),  # an action's page (requires)
        ("/auth/password", "/auth/password"),  # a signed-in page (signed_in)
        ("/people/?q=abc&page=2", "/people/?q=abc&page=2"),
    ],
)
def test_the_sign_in_comes_back_to_the_page_without_a_stray_question_mark(
    client, make, page, wanted
):
    """The walk's finding: /cases/23 sent the user to sign in with next=/cases/23? (full_path)."""
    response = client.get(page)
    assert response.status_code == 302
    login = urlsplit(response.headers["Location"])
    assert login.path == "/auth/login" and parse_qs(login.query)["next"] == [wanted]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'action="{escape(response.headers["Location"])}"' in html  # the form posts it back
    user = make.user(Role.SOCIAL_WORKER)
    response = client.post_form(
        response.headers["Location"], {"username": user.username, "password": user.test_password}
    )
    assert response.headers["Location"] == wanted


def test_the_language_switch_comes_back_to_the_page_as_it_was(client, make):
    client.login(make.user(Role.SOCIAL_WORKER))
    for page in ("/dashboard", "/people/?q=abc"):
        html = client.get(page).get_data(as_text=True)
        assert f'name="next" value="{escape(page)}"' in html
        response = client.post_form("/auth/language", {"locale": "en", "next": page})
        assert response.headers["Location"] == page
    # The open-redirect guard still holds.
    response = client.post_form("/auth/language", {"locale": "vi", "next": "//evil.example/x"})
    assert response.headers["Location"] == "/dashboard"


def test_sign_out_needs_post_and_ends_the_session(client, make, db):
    user = make.user(Role.SOCIAL_WORKER)
    client.login(user)
    with client.session_transaction() as session:
        sid = session["sid"]
    assert client.get("/auth/logout").status_code == 405
    assert client.get("/dashboard").status_code == 200
    assert client.post_form("/auth/logout").status_code == 302
    record = db.session.scalar(select(UserSession).where(UserSession.token_hash == _hash(sid)))
    assert record.ended_at is not None and record.end_reason == "signed out"
    # Replaying the old cookie does not bring the session back.
    with client.session_transaction() as session:
        session.update({"sid": sid, "_user_id": str(user.id), "_fresh": True})
    assert client.get("/dashboard").status_code == 302


def test_post_without_csrf_token_is_refused_and_changes_nothing(client, make, db):
    user = make.user(Role.SOCIAL_WORKER)
    client.login(user)
    before = db.session.get(User, user.id).locale
    response = client.post("/auth/language", data={"locale": "en"})
    assert response.status_code == 400
    assert db.session.get(User, user.id).locale == before
