"""Graceful limits: over-size posts get the app's own 413 page in the user's language, an
unknown error gets the app's 500 page with a reference id that is also in the log, nothing is
ever shown raw, and none of these changes the database."""

from __future__ import annotations

import io
import logging
import re

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from casemgr.audit.models import AuditEvent
from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.cases import services as case_services
from casemgr.cases.models import CaseNote
from casemgr.clock import today
from casemgr.people.services import register_person
from casemgr.web import errors
from tests.cases.conftest import casework  # noqa: F401
from tests.support.conftest import support  # noqa: F401
from tests.test_access_matrix import fingerprint

TEN_MB = 10 * 1000 * 1000
# What Werkzeug shows when the app's own pages fail: none of it may ever reach a user.
RAW_PAGES = ("Request Entity Too Large", "Internal Server Error", "Traceback", "werkzeug")
# Synthetic sensitive values carried by a failing request's exception message.
CANARY = "Canary Nguyễn Thị Lan 0912345678"


def state(db) -> dict[str, object]:
    """Every domain row, and the number of audit events."""
    return {
        **fingerprint(db),
        "audit": db.session.scalar(select(func.count()).select_from(AuditEvent)),
    }


def assert_app_page(response, code: int, language: str) -> str:
    """The response is the app's own error page, in `language`, with nothing raw in it."""
    body = response.get_data(as_text=True)
    assert response.status_code == code, body[:300]
    assert f'<html lang="{language}">' in body
    assert 'class="navbar' in body  # the app's layout, not a bare Werkzeug page
    for raw in RAW_PAGES:
        assert raw not in body, raw
    return body


def use_language(client, language: str) -> None:
    assert client.post_form("/auth/language", {"locale": language}).status_code == 302


def big_text() -> str:
    return "x" * TEN_MB


# -- 413 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_ten_megabytes_to_the_login_page(app, client, db, language, encoding):
    use_language(client, language)
    before = state(db)
    data = {"csrf_token": client.csrf_token(), "username": "lan", "password": big_text()}
    kwargs = {"content_type": "multipart/form-data"} if encoding == "multipart" else {}
    response = client.post("/auth/login", data=data, **kwargs)
    body = assert_app_page(response, 413, language)
    title, text = errors.MESSAGES[413]
    with app.test_request_context("/"), force_locale(language):
        assert str(title) in body and str(text) in body
    if language == "vi":
        with app.test_request_context("/"), force_locale("vi"):
            assert str(title) != "Too large"  # really in Vietnamese
    assert state(db) == before


def test_ten_megabytes_without_a_csrf_token_is_still_413(client, db):
    before = state(db)
    response = client.post("/auth/login", data={"username": big_text()})
    assert_app_page(response, 413, "vi")
    assert state(db) == before


@pytest.mark.parametrize("language", ["vi", "en"])
def test_ten_megabytes_to_case_forms_when_signed_in(client, db, casework, language):  # noqa: F811
    worker = casework.worker
    client.login(worker)
    use_language(client, language)
    person = register_person(worker, surname="Lò", given_name="Hoa")
    db.session.commit()
    before = state(db)
    case = casework.case
    for url, data in (
        (f"/cases/new/{person.id}", {"group_code": "child", "summary": big_text()}),
        (
            f"/cases/{case.id}/notes",
            {"kind": "visit", "occurred_on": today().isoformat(), "body": big_text()},
        ),
        (f"/cases/{case.id}/assessments/new", {"safety": big_text()}),
    ):
        response = client.post_form(url, data)
        assert_app_page(response, 413, language)
    assert state(db) == before
    # The user stays signed in and the next ordinary request works.
    assert client.get(f"/cases/{case.id}").status_code == 200


def test_ten_megabytes_to_an_attachment_upload(client, db, support):  # noqa: F811
    client.login(support.cw.worker)
    use_language(client, "en")
    url = f"/support/cases/{support.case.id}/statuses/new"
    before = state(db)
    # A text field of 10 MB beside a small file, and a file larger than any request may be.
    for data in (
        {
            "status": "identified",
            "decision_ref": big_text(),
            "decision_file": (io.BytesIO(b"%PDF-1.4\n"), "qd.pdf"),
        },
        {
            "status": "identified",
            "decision_file": (io.BytesIO(b"%PDF-1.4\n" + b"0" * (21 * 1024 * 1024)), "qd.pdf"),
        },
    ):
        response = client.post_form(url, data, content_type="multipart/form-data")
        assert_app_page(response, 413, "en")
    assert state(db) == before


def test_ten_megabytes_to_an_admin_form(client, db, make):
    admin = make.user(Role.ADMINISTRATOR)
    client.login(admin)
    before = state(db)
    response = client.post_form("/admin/users/new", {"username": "lan", "display_name": big_text()})
    assert_app_page(response, 413, "vi")
    assert state(db) == before


def test_text_of_ordinary_length_is_not_refused(client, casework, db):  # noqa: F811
    """The limit leaves room for the longest field (a 20,000-character Vietnamese note)."""
    client.login(casework.worker)
    body = ("Ghi chép thăm hộ gia đình: trẻ được đến trường đều đặn. " * 400)[:20000]
    response = client.post_form(
        f"/cases/{casework.case.id}/notes",
        {"kind": "visit", "occurred_on": today().isoformat(), "body": body},
    )
    assert response.status_code == 302


# -- 500 ---------------------------------------------------------------------------------------


@pytest.fixture
def failing_note(app, monkeypatch):
    """Saving a note fails after its row was flushed, with sensitive values in the message."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    original = case_services.add_note

    def add_note_then_fail(*args, **kwargs):
        original(*args, **kwargs)
        raise RuntimeError(CANARY)

    monkeypatch.setattr(case_services, "add_note", add_note_then_fail)


def _error_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


def _formatted(record: logging.LogRecord) -> str:
    return logging.Formatter("%(message)s").format(record)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_an_unknown_error_shows_the_500_page_with_a_reference(
    app,
    client,
    db,
    casework,  # noqa: F811
    failing_note,
    caplog,
    language,
):
    client.login(casework.worker)
    use_language(client, language)
    notes_before = db.session.scalar(select(func.count()).select_from(CaseNote))
    before = state(db)
    with caplog.at_level(logging.ERROR):
        response = client.post_form(
            f"/cases/{casework.case.id}/notes",
            {"kind": "visit", "occurred_on": today().isoformat(), "body": "Thăm nhà."},
        )
    body = assert_app_page(response, 500, language)
    reference = response.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", reference)
    assert f'data-testid="reference">{reference}<' in body
    assert CANARY not in body and "RuntimeError" not in body
    title, _text = errors.MESSAGES[500]
    with app.test_request_context("/"), force_locale(language):
        assert str(title) in body
    # One error record names the reference, with the traceback, and no sensitive value.
    records = [r for r in _error_records(caplog) if reference in r.getMessage()]
    assert len(records) == 1
    logged = _formatted(records[0])
    assert "Traceback" in logged and "add_note_then_fail" in logged and "RuntimeError" in logged
    for record in caplog.records:
        assert "Nguyễn" not in _formatted(record) and "0912345678" not in _formatted(record)
    # Nothing the failed request flushed was kept.
    assert db.session.scalar(select(func.count()).select_from(CaseNote)) == notes_before
    assert state(db) == before


def test_a_failing_commit_is_logged_without_the_drivers_message(
    app,
    client,
    db,
    casework,  # noqa: F811
    monkeypatch,
    caplog,
):
    """A database error's text can carry values (PostgreSQL's DETAIL line): it is not logged."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    client.login(casework.worker)
    detail = Exception(f"duplicate key DETAIL: Key (name)=({CANARY}) already exists")

    def broken(*args, **kwargs):
        raise OperationalError("INSERT INTO case_notes", {"body": CANARY}, detail)

    monkeypatch.setattr(db.session, "commit", broken)
    with caplog.at_level(logging.ERROR):
        response = client.get(f"/cases/{casework.case.id}")
    monkeypatch.undo()
    body = assert_app_page(response, 500, "vi")
    reference = response.headers["X-Request-Id"]
    assert reference in body
    records = [r for r in _error_records(caplog) if reference in r.getMessage()]
    assert len(records) == 1 and "OperationalError" in _formatted(records[0])
    for record in caplog.records:
        assert CANARY not in _formatted(record)


def test_an_error_while_drawing_the_error_page_still_gets_a_plain_page(
    app,
    client,
    db,
    casework,  # noqa: F811
    monkeypatch,
    caplog,
):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    client.login(casework.worker)

    def broken_menu():
        raise RuntimeError(CANARY)

    monkeypatch.setitem(app.jinja_env.globals, "nav_items", broken_menu)
    with caplog.at_level(logging.ERROR):
        response = client.get("/dashboard")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    for raw in (*RAW_PAGES, CANARY):
        assert raw not in body
    reference = response.headers["X-Request-Id"]
    assert f'data-testid="reference">{reference}<' in body
    assert "Đã xảy ra lỗi" in body and "Something went wrong" in body  # both languages
    assert any(reference in r.getMessage() for r in _error_records(caplog))


def test_an_http_error_without_its_own_text_gets_the_apps_page(app, client, casework, monkeypatch):  # noqa: F811
    from werkzeug.exceptions import Conflict

    def conflict(*args, **kwargs):
        raise Conflict()

    monkeypatch.setattr(case_services, "add_note", conflict)
    client.login(casework.worker)
    response = client.post_form(
        f"/cases/{casework.case.id}/notes",
        {"kind": "visit", "occurred_on": today().isoformat(), "body": "Thăm nhà."},
    )
    assert_app_page(response, 409, "vi")


# -- email addresses on the user form ------------------------------------------------------------


def test_an_administrator_creates_and_edits_a_user_with_an_email(client, db, make):
    admin = make.user(Role.ADMINISTRATOR)
    unit = make.unit()
    client.login(admin)
    response = client.post_form(
        "/admin/users/new",
        {
            "username": "mai.tran",
            "display_name": "Trần Thị Mai",
            "email": "mai.tran@example.org",
            "role": "social_worker",
            "unit_id": unit.id,
        },
    )
    assert response.status_code == 200 and 'data-testid="temporary-password"' in response.get_data(
        as_text=True
    )
    user = db.session.scalar(select(User).where(User.username == "mai.tran"))
    assert user.email == "mai.tran@example.org"
    response = client.post_form(
        f"/admin/users/{user.id}",
        {"display_name": "Trần Thị Mai", "email": "mai.tran@example.com"},
    )
    assert response.status_code == 302
    assert db.session.get(User, user.id).email == "mai.tran@example.com"


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_bad_email_gets_a_message_under_the_field(client, db, make, language):
    admin = make.user(Role.ADMINISTRATOR)
    user = make.user(Role.SOCIAL_WORKER)
    client.login(admin)
    use_language(client, language)
    before = state(db)
    for url, data in (
        (
            "/admin/users/new",
            {
                "username": "mai.tran",
                "display_name": "Trần Thị Mai",
                "email": "not an address",
                "role": "social_worker",
                "unit_id": user.roles[0].unit_id,
            },
        ),
        (f"/admin/users/{user.id}", {"display_name": "Test", "email": "mai@@example"}),
    ):
        response = client.post_form(url, data)
        body = response.get_data(as_text=True)
        assert response.status_code == 200, body[:300]
        field = re.search(r'<input[^>]*name="email"[^>]*>', body).group(0)
        assert "is-invalid" in field
        feedback = re.search(
            r'name="email"[^>]*>\s*<div class="invalid-feedback[^"]*">([^<]+)<', body
        )
        assert feedback and feedback.group(1).strip()
    assert state(db) == before


def test_no_record_of_the_apps_logger_carries_an_exception_message(app, caplog):
    """Flask logs some failures itself (an after-request hook failing on an error page)."""
    with app.test_request_context("/"), caplog.at_level(logging.ERROR):
        try:
            raise ValueError(CANARY)
        except ValueError:
            app.logger.exception("Request finalizing failed with an error")
    (record,) = [r for r in caplog.records if "finalizing" in r.getMessage()]
    logged = caplog.text + _formatted(record)
    assert "ValueError" in logged and "Traceback" in logged
    assert "Nguyễn" not in logged and "0912345678" not in logged
