"""Logs: one JSON object a line, with the request id, and no personal data in any line.

The canary test writes a distinct marker into every encrypted field of every row the demo
province holds, then signs in as a worker and a supervisor, opens every page a link leads to,
searches by the markers (in forms and in query strings), submits forms holding them and makes
one request fail; every line the process logs (app, access, libraries, the development server's
request lines, gunicorn's access format) is captured as written and searched for the markers.
"""

from __future__ import annotations

import html
import io
import json
import logging
import re
import threading
import urllib.request
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from casemgr import ROOT
from casemgr.cases import services as case_services
from casemgr.cases.models import AssessmentKind
from casemgr.clock import utcnow
from casemgr.crypto.fields import ENCRYPTED_MODELS, Erased
from casemgr.groups import services as group_services
from casemgr.ops import logs
from casemgr.people import services as person_services
from casemgr.people.relations import ConsentGiver
from casemgr.supervision.models import ReassignReason
from casemgr.supervision.services import Choice, reassign_cases
from casemgr.support import referrals
from tests.cases.conftest import casework  # noqa: F401 - fixtures
from tests.corrections.conftest import records  # noqa: F401
from tests.groups.conftest import open_group_case
from tests.support.conftest import DAY as support_day
from tests.support.conftest import consent, support  # noqa: F401
from tests.support.test_pages import _identified, _type

NATIONAL_ID = "975318642097"
PHONE = "0397531864"
BIRTH = ("1931-07-29", "29/07/1931")
FORMATTED = {"national_id": NATIONAL_ID, "phone": PHONE, "date_of_birth": BIRTH[0]}
HREF = re.compile(r'href="(/[^"#]*)')
NOT_WALKED = ("/static/", "/bootstrap/", "/auth/logout", "/auth/language")
PAGES = 150
# The kinds of rows the world below holds, each with markers (not yet: transfers).
COVERED = {
    "Assessment", "Attachment", "BreakGlassGrant", "Case", "CaseNote", "CaseReassignment",
    "Consent", "DrugProgramme", "DrugTest", "NoContactOrder", "Person", "PlanAction",
    "Referral", "Relative", "ServiceDelivery", "TraffickingStatus",
}  # fmt: skip
# Append-only rows cannot be given a marker afterwards (the app and the database refuse).
APPEND_ONLY = {"CaseEvent"}


def marker(model: type, field: str) -> str:
    """The canary of one field of one model, distinct so that a leak names its source."""
    return f"Zlog{model.__name__}{field.replace('_', '')}Canary"


@contextmanager
def captured_lines() -> Iterator[list[str]]:
    """Every line the process's log handler writes, exactly as it writes it."""
    handler = logs.configure("INFO", "json")  # alembic's fileConfig may have replaced it
    for name in list(logging.root.manager.loggerDict):  # and disabled loggers
        logging.getLogger(name).disabled = False
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    lines: list[str] = []
    try:
        yield lines
    finally:
        handler.setStream(previous)
        lines.extend(buffer.getvalue().splitlines())


def seed_canaries(db) -> tuple[list[str], dict[str, int]]:
    """A marker in every encrypted field of every row; the markers and the rows per model."""
    markers = [NATIONAL_ID, PHONE, *BIRTH]
    rows: dict[str, int] = {}
    for model in ENCRYPTED_MODELS:
        if model.__name__ in APPEND_ONLY:
            continue
        objects = db.session.scalars(select(model)).all()
        rows[model.__name__] = len(objects)
        for obj in objects:
            for name, field in model.__encrypted_fields__.items():
                value = getattr(obj, name)
                if isinstance(value, Erased):
                    continue
                mark = marker(model, name)
                if field.kind is bytes:
                    setattr(obj, name, (value or b"") + mark.encode())
                elif name in FORMATTED:
                    setattr(obj, name, FORMATTED[name])
                elif name.endswith("_json") and value:
                    setattr(obj, name, json.dumps(_mark_json(json.loads(value), mark)))
                else:
                    setattr(obj, name, f"{value or ''} {mark}".strip())
                markers.append(mark)
    db.session.flush()
    return sorted(set(markers)), rows


def _mark_json(value, mark: str):
    if isinstance(value, dict):
        return {key: _mark_json(item, mark) for key, item in value.items()}
    if isinstance(value, list):
        return [_mark_json(item, mark) for item in value]
    return f"{value} {mark}" if isinstance(value, str) else value


def walk(client, starts: list[str]) -> int:
    """GET every page a link leads to from `starts` (bounded); the number of pages fetched."""
    queue, seen = deque(starts), set(starts)
    fetched = 0
    while queue and fetched < PAGES:
        url = queue.popleft()
        response = client.get(url)
        fetched += 1
        if "text/html" not in response.content_type:
            continue
        for href in HREF.findall(response.get_data(as_text=True)):
            href = html.unescape(href)
            if href not in seen and not href.startswith(NOT_WALKED):
                seen.add(href)
                queue.append(href)
    return fetched


@pytest.fixture
def canary_world(app, db, records, support):  # noqa: F811 - the worlds of corrections, support
    """Records of most kinds (tests/corrections, tests/support), a break-glass grant, an
    attachment, an assessment, a reassignment and a no-contact order; then a marker in every
    encrypted field of every row."""
    work = records.work
    case = work.case
    case_services.break_glass(
        work.outsider,
        case,
        reason_type="emergency",
        reason="Trẻ đang gặp nguy hiểm ngay tối nay",
        minutes=30,
    )
    person_services.add_attachment(
        work.worker,
        case.person,
        filename="a.png",
        content_type="image/png",
        data=b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
    )
    case_services.record_assessment(
        work.worker, case, work.access(work.worker), kind=AssessmentKind.INITIAL,
        risk_rating=None, answers={"safety": "Ổn định"},
    )  # fmt: skip
    drugs = records.drugs_case
    reassign_cases(
        work.supervisor, [Choice(drugs.id, drugs.version)], work.colleague.id,
        reason=ReassignReason.WORKLOAD, reason_text="Cân bằng khối lượng",
    )  # fmt: skip
    # Support: a trafficking status, consent and a referral on the support world's case.
    cw = support.cw
    _identified(support)
    consent(cw.worker, support.case, ConsentGiver.SUBJECT)
    referrals.send_referral(
        cw.worker, support.case, cw.access(cw.worker, support.case), partner=support.shelter,
        service_type=_type(db, "b"), reason="Cần nơi ở an toàn", sent_on=support_day,
    )  # fmt: skip
    violence = open_group_case(work.worker, work.commune, "violence")
    group_services.request_no_contact_order(
        work.worker, violence, work.access(work.worker, violence),
        requested_at=utcnow(), details="Không được đến gần trong bán kính 100 m",
    )  # fmt: skip
    db.session.flush()
    markers, rows = seed_canaries(db)
    db.session.commit()
    return markers, rows, work.worker, work.supervisor, case


def test_no_canary_in_any_log_line(app, db, canary_world, monkeypatch):
    markers, rows, worker, supervisor, case = canary_world
    surname = marker(next(m for m in ENCRYPTED_MODELS if m.__name__ == "Person"), "surname")
    with captured_lines() as lines:
        client = app.test_client()
        assert client.login(worker).status_code == 302
        pages = walk(client, ["/dashboard", "/cases/", "/people/", f"/cases/{case.id}"])
        for term in (surname, NATIONAL_ID, PHONE):
            assert client.post_form("/people/search", {"q": term}).status_code in (200, 400)
            assert client.post_form("/cases/search", {"q": term}).status_code in (200, 400)
            client.get("/people/", query_string={"q": term, "name": term})
            client.get("/cases/", query_string={"q": term})
        client.post_form(
            "/people/new", {"surname": surname, "national_id": NATIONAL_ID, "phone": PHONE}
        )
        client.post_form(f"/cases/{case.id}/notes", {"body": surname, "kind": "visit"})
        # A failure whose exception message holds a marker: the 500 page, and a log record.
        from casemgr.cases import views

        def explode(user, q):
            raise ValueError(f"could not search for {q}")

        monkeypatch.setattr(views.search, "search_cases", explode)
        monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
        assert client.post_form("/cases/search", {"q": surname}).status_code == 500
        monkeypatch.undo()
        client.post_form("/auth/logout")
        assert client.login(supervisor).status_code == 302
        pages += walk(client, ["/dashboard", f"/cases/{case.id}"])

    assert pages > 40, pages  # the walk really went through the app
    assert {name for name, n in rows.items() if n} >= COVERED, rows
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    access = [r for r in entries if r["logger"] == logs.ACCESS_LOGGER]
    assert len(access) > pages
    assert any(r["level"] == "ERROR" and "Request failed" in r["message"] for r in entries)
    assert all(r.get("request_id") for r in access)
    leaks = {m: line for m in markers for line in lines if m in line}
    assert leaks == {}
    # The control: the same capture does see what is logged (endpoints, paths).
    assert any(r.get("endpoint") == "people.search" for r in access)
    assert not any("?" in r["path"] for r in access)


def test_request_id_is_sent_back_and_a_safe_incoming_one_kept(app, client):
    response = client.get("/healthz")
    generated = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert client.get("/healthz").headers["X-Request-ID"] != generated
    kept = client.get("/healthz", headers={"X-Request-ID": "nginx-3f9a1c0e5b7d"})
    assert kept.headers["X-Request-ID"] == "nginx-3f9a1c0e5b7d"
    for unsafe in ("short", "a" * 65, "abc def ghijkl", "Nguyễn-Văn-An-1"):
        answer = client.get("/healthz", headers={"X-Request-ID": unsafe})
        assert answer.headers["X-Request-ID"] != unsafe
        assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-ID"])


def test_access_line_carries_the_request_id_and_no_query(app, client):
    with captured_lines() as lines:
        response = client.get(
            "/auth/login?next=/people/%3Fq%3DZlogQuery", headers={"X-Request-ID": "req-0123456789"}
        )
    assert response.status_code == 200
    entries = [json.loads(line) for line in lines]
    (line,) = [r for r in entries if r["logger"] == logs.ACCESS_LOGGER]
    assert line["request_id"] == "req-0123456789"
    assert line["endpoint"] == "auth.login" and line["path"] == "/auth/login"
    assert line["status"] == 200 and line["duration_ms"] >= 0
    assert "ZlogQuery" not in "\n".join(lines)


def test_development_server_request_lines_lose_their_query(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with captured_lines() as lines:
            url = f"http://127.0.0.1:{server.port}/healthz?q=ZlogDevServerCanary"
            with urllib.request.urlopen(url) as answer:
                assert answer.status == 200
    finally:
        server.shutdown()
        thread.join(timeout=5)
    werkzeug = [json.loads(line) for line in lines if '"werkzeug"' in line]
    assert werkzeug and "GET /healthz?…" in werkzeug[0]["message"]
    assert not any("ZlogDevServerCanary" in line for line in lines)


def test_gunicorn_access_format_has_no_query(tmp_path):
    from types import SimpleNamespace

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    config = Config()
    config.set("accesslog", str(tmp_path / "access.log"))
    namespace: dict = {}
    exec((ROOT / "deploy" / "gunicorn.conf.py").read_text(), namespace)
    config.set("access_log_format", namespace["access_log_format"])
    assert namespace["accesslog"] is None  # the app writes its own access line
    logger = Logger(config)
    request = SimpleNamespace(
        method="GET",
        uri="/people/?q=ZlogGunicornCanary",
        path="/people/",
        query="q=ZlogGunicornCanary",
        version=(1, 1),
        headers=[("REFERER", "https://x/people/?q=ZlogGunicornCanary")],
    )
    response = SimpleNamespace(status="200 OK", sent=10, headers=[("X-Request-ID", "r-12345678")])
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/people/?q=ZlogGunicornCanary",
        "PATH_INFO": "/people/",
        "QUERY_STRING": "q=ZlogGunicornCanary",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.7",
    }
    from datetime import timedelta

    logger.access(response, request, environ, timedelta(milliseconds=12))
    for handler in logger.access_log.handlers:
        handler.flush()
    written = (tmp_path / "access.log").read_text()
    assert "GET /people/ 200" in written and "r-12345678" in written
    assert "ZlogGunicornCanary" not in written and "10.0.0.7" not in written
