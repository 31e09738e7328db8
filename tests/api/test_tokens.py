"""Personal access tokens: made on a screen and shown once, kept as a hash, refused at once
when revoked or expired, scoped (read cannot write; intake only intake), audited by id."""

from __future__ import annotations

import datetime as dt
import re

import time_machine
from sqlalchemy import func, select

from casemgr.audit.models import AuditEvent
from casemgr.clock import today, utcnow
from casemgr.tokens.models import ApiToken
from casemgr.tokens.services import create_token, token_hash
from tests.api.conftest import bearer, token_for

VALUE = re.compile(r'data-testid="token-value">(cm_[A-Za-z0-9_-]+)<')


def _events(db, after: int, action: str | None = None) -> list[AuditEvent]:
    statement = select(AuditEvent).where(AuditEvent.seq > after).order_by(AuditEvent.seq)
    if action:
        statement = statement.where(AuditEvent.action == action)
    return list(db.session.scalars(statement))


def _last_seq(db) -> int:
    return db.session.scalar(select(func.max(AuditEvent.seq))) or 0


def test_token_made_on_the_screen_is_shown_once_and_kept_as_a_hash(client, db, casework):
    assert client.login(casework.worker).status_code == 302
    page = client.get("/tokens/")
    assert page.status_code == 200 and "Mã truy cập API" in page.get_data(as_text=True)
    expires = (today() + dt.timedelta(days=10)).isoformat()
    made = client.post_form("/tokens/", {"name": "Tổng đài", "scopes": ["read"],
                                         "expires_on": expires})  # fmt: skip
    assert made.status_code == 303 and made.headers["Location"].endswith("/tokens/new")
    assert "cm_" not in made.headers["Location"] and "cm_" not in made.get_data(as_text=True)
    shown = client.get("/tokens/new")
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    value = VALUE.search(shown.get_data(as_text=True)).group(1)
    assert value not in (shown.headers.get("Set-Cookie") or "")
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == casework.worker.id))
    assert token.token_hash == token_hash(value) and value not in repr(token.__dict__)
    assert value not in client.get("/tokens/").get_data(as_text=True)  # never shown again
    client._cookies.clear()
    answer = client.get(f"/api/v1/cases/{casework.case.id}", headers=bearer(value))
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers  # no session for the API


def test_reloading_the_shown_once_page_makes_no_other_token(client, db, casework):
    assert client.login(casework.worker).status_code == 302
    expires = (today() + dt.timedelta(days=10)).isoformat()
    client.post_form("/tokens/", {"name": "Tổng đài", "scopes": ["read"], "expires_on": expires})
    value = VALUE.search(client.get("/tokens/new").get_data(as_text=True)).group(1)
    reload = client.get("/tokens/new")
    assert reload.status_code == 302 and reload.headers["Location"].endswith("/tokens/")
    assert value not in reload.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 1
    db.session.expire_all()
    token = db.session.scalar(select(ApiToken))
    assert token.token_hash == token_hash(value)  # the shown value is the one that works


def test_a_new_token_is_shown_only_to_its_maker_and_only_in_time(client, db, casework):
    assert client.login(casework.worker).status_code == 302
    expires = (today() + dt.timedelta(days=10)).isoformat()
    with time_machine.travel(utcnow(), tick=False) as traveller:
        client.post_form("/tokens/", {"name": "x", "scopes": ["read"], "expires_on": expires})
        traveller.shift(dt.timedelta(minutes=11))
        late = client.get("/tokens/new")
    assert late.status_code == 302 and "token-value" not in late.get_data(as_text=True)
    token = db.session.scalar(select(ApiToken))
    assert token.token_hash.startswith("pending:")  # never usable: no value matches it


def test_the_screen_refuses_bad_expiry_and_scopes(client, db, casework):
    assert client.login(casework.worker).status_code == 302
    too_far = (today() + dt.timedelta(days=91)).isoformat()
    for data in ({"name": "x", "scopes": ["read"], "expires_on": too_far},
                 {"name": "x", "scopes": ["audit"], "expires_on": today().isoformat()},
                 {"name": "x", "scopes": ["intake", "read"],
                  "expires_on": (today() + dt.timedelta(days=1)).isoformat()},
                 {"name": "", "scopes": [], "expires_on": ""}):  # fmt: skip
        assert client.post_form("/tokens/", data).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_revoked_token_is_refused_at_once_and_the_refusal_audited(client, db, casework):
    value = token_for(casework.worker)
    url = f"/api/v1/cases/{casework.case.id}"
    assert client.get(url, headers=bearer(value)).status_code == 200
    assert client.login(casework.worker).status_code == 302
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(value)))
    assert client.post_form(f"/tokens/{token.id}/revoke").status_code == 302
    client._cookies.clear()
    seq = _last_seq(db)
    answer = client.get(url, headers=bearer(value))
    assert answer.status_code == 401
    assert answer.content_type == "application/problem+json"
    [event] = _events(db, seq, "api.token_refused")
    assert (event.object_id, event.reason, event.outcome) == (str(token.id), "revoked", "denied")


def test_expired_token_is_refused(client, db, casework):
    value = token_for(casework.worker, days=1)
    url = f"/api/v1/cases/{casework.case.id}"
    assert client.get(url, headers=bearer(value)).status_code == 200
    with time_machine.travel(utcnow() + dt.timedelta(days=2, hours=1), tick=False):
        assert client.get(url, headers=bearer(value)).status_code == 401


def test_unknown_and_malformed_tokens_are_refused(client, casework):
    url = f"/api/v1/cases/{casework.case.id}"
    for headers in ({}, {"Authorization": "Bearer cm_nothing"}, {"Authorization": "Basic eA=="},
                    {"Authorization": "Bearer "}):  # fmt: skip
        answer = client.get(url, headers=headers)
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_session_cookie_does_not_authenticate_the_api(client, casework):
    assert client.login(casework.worker).status_code == 302
    assert client.get(f"/cases/{casework.case.id}").status_code == 200
    assert client.get(f"/api/v1/cases/{casework.case.id}").status_code == 401


def test_admin_revokes_anyones_token_others_get_404(client, db, casework):
    value = token_for(casework.worker)
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(value)))
    assert client.login(casework.colleague).status_code == 302
    assert client.post_form(f"/tokens/{token.id}/revoke").status_code == 404
    client._cookies.clear()
    assert client.login(casework.admin).status_code == 302
    assert token.id and f"/tokens/{token.id}/revoke" in client.get("/tokens/all").get_data(
        as_text=True
    )
    assert client.post_form(f"/tokens/{token.id}/revoke").status_code == 302
    client._cookies.clear()
    assert client.get("/api/v1/cases", headers=bearer(value)).status_code == 401


def test_read_scope_cannot_write_and_nothing_changes(client, db, casework):
    value = token_for(casework.worker, scopes=("read",))
    case = casework.case
    notes = f"/api/v1/cases/{case.id}/notes"
    before = len(client.get(notes, headers=bearer(value)).json["items"])
    body = {"kind": "visit", "occurred_on": today().isoformat(), "body": "Thăm"}
    assert client.post(notes, json=body, headers=bearer(value)).status_code == 403
    moved = client.post(f"/api/v1/cases/{case.id}/transitions", json={"name": "verify"},
                        headers=bearer(value, **{"If-Match": '"1"'}))  # fmt: skip
    assert moved.status_code == 403
    assert len(client.get(notes, headers=bearer(value)).json["items"]) == before
    assert client.get(f"/api/v1/cases/{case.id}", headers=bearer(value)).json["status"] == "intake"


def test_intake_token_reads_nothing(client, casework):
    value = token_for(casework.worker, scopes=("intake",))
    for url in (f"/api/v1/cases/{casework.case.id}", "/api/v1/cases", "/api/v1/tasks",
                f"/api/v1/persons/{casework.case.person_id}", "/api/v1/audit/events"):  # fmt: skip
        assert client.get(url, headers=bearer(value)).status_code == 403, url
    assert client.post("/api/v1/persons/search", json={"name": "Lan"},
                       headers=bearer(value)).status_code == 403  # fmt: skip


def test_audit_scope_is_for_auditors_only(client, casework):
    auditor = token_for(casework.auditor, scopes=("read", "audit"))
    answer = client.get("/api/v1/audit/events?limit=5", headers=bearer(auditor))
    assert answer.status_code == 200 and len(answer.json["items"]) == 5
    assert (
        client.get(f"/api/v1/cases/{casework.case.id}", headers=bearer(auditor)).status_code == 403
    )
    worker = token_for(casework.worker)
    assert client.get("/api/v1/audit/events", headers=bearer(worker)).status_code == 403


def test_every_use_is_audited_with_the_token_id_never_its_value(client, db, casework):
    value = token_for(casework.worker)
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(value)))
    seq = _last_seq(db)
    client.get(f"/api/v1/cases/{casework.case.id}", headers=bearer(value))
    client.get("/api/v1/cases/999999", headers=bearer(value))
    events = _events(db, seq)
    used = [e for e in events if e.action == "api.token_used"]
    assert [e.object_id for e in used] == [str(token.id)] * 2
    assert {e.channel for e in events} == {"api"}
    # The case read and the refusal beside it carry the same request ids as the token uses.
    assert {e.request_id for e in events if e.action == "case.view"} == {e.request_id for e in used}
    rows = db.session.execute(select(AuditEvent)).all()
    assert not any(value in repr(row) or token_hash(value) in repr(row) for row in rows)


def test_each_token_has_its_own_rate_limit(app, client, casework, monkeypatch):
    monkeypatch.setitem(app.config, "API_LIMIT_PER_TOKEN", "3/minute")
    first, second = token_for(casework.worker), token_for(casework.worker)
    url = "/api/v1/tasks"
    assert [client.get(url, headers=bearer(first)).status_code for _ in range(4)] == [
        200, 200, 200, 429]  # fmt: skip
    limited = client.get(url, headers=bearer(first))
    assert limited.content_type == "application/problem+json" and limited.json["status"] == 429
    assert client.get(url, headers=bearer(second)).status_code == 200


def test_guessing_tokens_is_throttled_per_address(app, client, casework, monkeypatch):
    monkeypatch.setitem(app.config, "API_REFUSED_LIMIT_PER_ADDRESS", "3/minute")
    good = token_for(casework.worker)
    assert client.get("/api/v1/tasks", headers=bearer(good)).status_code == 200  # not counted
    guesses = [client.get("/api/v1/tasks", headers=bearer(f"cm_guess{i}")).status_code
               for i in range(4)]  # fmt: skip
    assert guesses == [401, 401, 401, 429]
    assert client.get("/api/v1/tasks", headers=bearer(good)).status_code == 429


def test_token_lists_show_translated_scopes_and_wrap_long_names(client, db, casework):
    long_name = "x" * 80
    create_token(casework.worker, name=long_name, scopes=["read", "write"],
                 expires_on=today() + dt.timedelta(days=5), today=today())  # fmt: skip
    assert client.login(casework.worker).status_code == 302
    page = client.get("/tokens/").get_data(as_text=True)
    assert "Đọc, Ghi" in page and "read, write" not in page
    assert f'<td class="wrap-anywhere">{long_name}</td>' in page
    css = client.get("/static/css/casemgr.css").get_data(as_text=True)
    assert ".wrap-anywhere { overflow-wrap: anywhere; }" in css
