"""Intake through the API: a hotline's token sends a report to a commune office and reads back
its number and status only; the report is the screen's record, with the same audit event."""

from __future__ import annotations

from sqlalchemy import func, select

from casemgr.audit.models import AuditEvent
from casemgr.clock import utcnow
from casemgr.intake.models import IntakeReport
from tests.api.conftest import bearer, token_for

REPORT = {
    "source": "hotline",
    "situation": "Trẻ khoảng 8 tuổi bị đánh, có vết bầm trên tay.",
    "location": "Thôn 3, gần trường tiểu học",
    "is_emergency": True,
}


def _send(client, token, unit, **extra):
    body = {"unit_code": unit.code, **REPORT, **extra}
    return client.post("/api/v1/intake/reports", json=body, headers=bearer(token))


def test_an_intake_token_sends_a_report_and_reads_back_only_its_number_and_status(
    client, db, casework
):
    token = token_for(casework.worker, scopes=("intake",))
    sent = _send(client, token, casework.commune, child_name="Bé Na")
    assert sent.status_code == 201, sent.json
    assert set(sent.json) == {"number", "status"} and sent.json["status"] == "received"
    number = sent.json["number"]
    report = db.session.scalar(select(IntakeReport).where(IntakeReport.number == number))
    assert report.unit_id == casework.commune.id
    assert report.emergency_due_at is not None  # the deadlines run from the moment of intake
    read = client.get(f"/api/v1/intake/reports/{number}", headers=bearer(token))
    assert read.status_code == 200 and read.json == {"number": number, "status": "received"}
    # Another token (even of the same user) sees nothing of it; nothing else is readable.
    other = token_for(casework.worker, scopes=("intake",))
    assert client.get(f"/api/v1/intake/reports/{number}", headers=bearer(other)).status_code == 404
    assert client.get("/api/v1/intake/reports/TN-NONE-2026-0001",
                      headers=bearer(token)).status_code == 404  # fmt: skip
    assert client.get(f"/api/v1/cases/{casework.case.id}", headers=bearer(token)).status_code == 403


def test_only_an_intake_token_sends_reports(client, db, casework):
    before = db.session.scalar(select(func.count()).select_from(IntakeReport))
    for scopes in (("read",), ("read", "write")):
        token = token_for(casework.worker, scopes=scopes)
        assert _send(client, token, casework.commune).status_code == 403
        assert client.get("/api/v1/intake/reports/TN-X-2026-0001",
                          headers=bearer(token)).status_code == 403  # fmt: skip
    assert db.session.scalar(select(func.count()).select_from(IntakeReport)) == before


def test_refused_reports_name_their_fields(client, db, casework):
    token = token_for(casework.worker, scopes=("intake",))
    empty = client.post("/api/v1/intake/reports", json={}, headers=bearer(token))
    assert empty.status_code == 422
    assert {"unit_code", "source", "situation", "location"} <= {
        e["field"] for e in empty.json["errors"]}  # fmt: skip
    unknown = _send(client, token, type("U", (), {"code": "NO-SUCH-UNIT"})())
    assert unknown.status_code == 422 and unknown.json["errors"][0]["field"] == "unit_code"
    blank = _send(client, token, casework.commune, situation="   ")
    assert blank.status_code == 422 and blank.json["errors"][0]["field"] == "situation"
    assert db.session.scalar(select(func.count()).select_from(IntakeReport)) == 0


def test_the_api_and_the_screen_leave_the_same_audit_event(client, db, casework):
    token = token_for(casework.worker, scopes=("intake",))
    db.session.commit()

    def events(after):
        return [(e.action, e.object_type, str(e.outcome), e.fields)
                for e in db.session.scalars(select(AuditEvent).where(AuditEvent.seq > after))
                if e.action not in ("api.token_used", "auth.login")]  # fmt: skip

    assert client.login(casework.worker).status_code == 302
    client.csrf_token()
    seq = db.session.scalar(select(func.max(AuditEvent.seq)))
    moment = utcnow().astimezone(__import__("casemgr.clock").clock.LOCAL_TZ)
    screen = client.post_form("/intake/new", {
        "unit_id": casework.commune.id, "source": "hotline", "is_emergency": "y",
        "received_at": moment.strftime("%Y-%m-%dT%H:%M"), "situation": REPORT["situation"],
        "location": REPORT["location"]})  # fmt: skip
    assert screen.status_code == 302, screen.get_data(as_text=True)[-500:]
    on_screen = events(seq)
    client._cookies.clear()
    seq = db.session.scalar(select(func.max(AuditEvent.seq)))
    assert _send(client, token, casework.commune).status_code == 201
    assert events(seq) == on_screen and on_screen


def test_an_intake_token_has_its_own_hourly_budget(app, client, db, casework, monkeypatch):
    monkeypatch.setitem(app.config, "API_INTAKE_LIMIT_PER_TOKEN", "3/hour")
    token, other = (token_for(casework.worker, scopes=("intake",)) for _ in range(2))
    sent = [_send(client, token, casework.commune).status_code for _ in range(4)]
    assert sent == [201, 201, 201, 429]
    assert _send(client, other, casework.commune).status_code == 201  # per token
    assert db.session.scalar(select(func.count()).select_from(IntakeReport)) == 4


def test_the_docs_viewer_has_the_app_icon_and_a_way_back(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert 'rel="icon" type="image/svg+xml" href="/static/favicon.svg"' in page
    assert 'data-testid="back-to-app"' in page and "Quay lại casemgr" in page
