"""The rules pages: administrators' rules and calendar, My tasks, Overdue, emergency action."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from casemgr.clock import utcnow
from casemgr.rules.models import DatedRule, DayOff, EmergencyAction
from casemgr.rules.services import rule_in_force
from tests.rules.conftest import open_child_case


def _english(client) -> None:
    client.post_form("/auth/language", {"locale": "en"})


def test_admin_lists_rules_and_adds_a_version(client, casework, db):
    client.login(casework.admin)
    _english(client)
    page = client.get("/rules/").get_data(as_text=True)
    assert "child.emergency_action" in page and "Decree 56/2017" in page
    assert "(check)" in page
    form = client.get("/rules/versions/new?key=referral.answer").get_data(as_text=True)
    assert '<option selected value="referral.answer">' in form
    response = client.post_form(
        "/rules/versions/new",
        {
            "key": "referral.answer",
            "valid_from": "2030-01-01",
            "amount": "7",
            "unit": "working_days",
            "source": "Provincial decision (synthetic)",
        },
    )
    assert response.status_code == 302
    assert rule_in_force("referral.answer", dt.date(2030, 1, 1)).amount == 7
    # A back-dated version is refused: history is not rewritten.
    response = client.post_form(
        "/rules/versions/new",
        {
            "key": "referral.answer",
            "valid_from": "2029-01-01",
            "amount": "9",
            "unit": "working_days",
            "source": "Synthetic",
        },
    )
    assert response.status_code == 200
    assert "must start after the latest version" in response.get_data(as_text=True)
    assert db.session.scalar(select(DatedRule).where(DatedRule.amount == 9)) is None


def test_admin_adds_and_removes_a_day_off(client, casework, db):
    client.login(casework.admin)
    _english(client)
    day = (utcnow() + dt.timedelta(days=40)).date()
    response = client.post_form(
        "/rules/days-off",
        {"day": day.isoformat(), "reason": "Provincial festival", "unit_id": casework.commune.id},
    )
    assert response.status_code == 302
    entry = db.session.scalar(select(DayOff).where(DayOff.day == day))
    assert entry.unit_id == casework.commune.id and not entry.is_working_day
    page = client.get("/rules/days-off").get_data(as_text=True)
    assert "Provincial festival" in page and casework.commune.code in page
    response = client.post_form("/rules/days-off/remove", {"day_off_id": entry.id})
    assert response.status_code == 302
    assert db.session.get(DayOff, entry.id) is None


def test_my_tasks_highlights_what_is_overdue(client, casework, db):
    casework.case.opened_at = utcnow() - dt.timedelta(days=1)
    fresh = open_child_case(casework.worker, casework.commune, given="Mai")
    db.session.flush()
    client.login(casework.worker)
    _english(client)
    response = client.get("/rules/tasks")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert casework.case.number in page and fresh.number in page
    assert page.count("table-danger") == 1  # yesterday's 12 hours have passed; today's not
    assert "Overdue" in page and "Record the action" in page
    assert "Lan" not in page and "Mai" not in page  # case numbers only, no names
    assert 'href="/rules/tasks"' in page  # menu entry


def test_overdue_page_is_scoped(client, casework, db):
    casework.case.opened_at = utcnow() - dt.timedelta(days=1)
    db.session.flush()
    unit = casework.case.unit.name, casework.case.unit.code
    client.login(casework.supervisor)
    _english(client)
    page = client.get("/rules/overdue").get_data(as_text=True)
    assert casework.case.number in page and casework.worker.display_name in page
    # The unit by its name, as the late intake reports above it (it showed the code).
    assert f">{unit[0]}</td>" in page and f">{unit[1]}</td>" not in page
    assert 'href="/rules/overdue"' in page
    client.post_form("/auth/logout")
    client.login(casework.other_supervisor)
    page = client.get("/rules/overdue").get_data(as_text=True)
    assert casework.case.number not in page


def test_overdue_page_of_one_worker(client, casework, db, app, monkeypatch):
    """The supervisors' dashboards link each worker's overdue count to that worker's overdue
    deadlines: only theirs listed, their name in the heading, the read audited as about them;
    an id that names no worker of a case the supervisor may see is 404, its name never told."""
    from casemgr.audit.models import AuditEvent

    yesterday = utcnow() - dt.timedelta(days=1)
    casework.case.opened_at = yesterday
    other = open_child_case(casework.colleague, casework.commune, given="Mai")
    other.opened_at = yesterday
    db.session.flush()
    client.login(casework.supervisor)
    _english(client)
    whole = client.get("/rules/overdue").get_data(as_text=True)
    assert casework.case.number in whole and other.number in whole
    board = client.get("/supervision/").get_data(as_text=True)
    assert f'href="/rules/overdue?worker={casework.worker.id}"' in board
    last = db.session.scalar(select(func.max(AuditEvent.seq)))
    page = client.get(f"/rules/overdue?worker={casework.worker.id}").get_data(as_text=True)
    assert casework.case.number in page and other.number not in page
    assert f"Overdue deadlines of {casework.worker.display_name}" in page
    assert 'data-testid="all-overdue"' in page
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.seq > last, AuditEvent.action == "case.list")
    )
    assert (event.reason, event.object_type, event.object_id) == (
        "overdue tasks", "user", str(casework.worker.id)
    )  # fmt: skip
    # Its pages stay that worker's.
    second = open_child_case(casework.worker, casework.commune, given="Hoa")
    second.opened_at = yesterday
    db.session.flush()
    monkeypatch.setitem(app.config, "PER_PAGE", 1)
    first = client.get(f"/rules/overdue?worker={casework.worker.id}").get_data(as_text=True)
    assert f"/rules/overdue?page=2&amp;worker={casework.worker.id}" in first
    monkeypatch.setitem(app.config, "PER_PAGE", 25)
    # Not a worker of any case in scope: the other commune's worker, or an id nobody has.
    for unknown in (casework.outsider.id, 10**9, "abc", "-1"):
        response = client.get(f"/rules/overdue?worker={unknown}")
        assert response.status_code == 404
        assert casework.outsider.display_name not in response.get_data(as_text=True)
    client.post_form("/auth/logout")
    client.login(casework.other_supervisor)
    assert client.get(f"/rules/overdue?worker={casework.worker.id}").status_code == 404


def test_recording_the_emergency_action_through_the_page(client, casework, db):
    client.login(casework.worker)
    _english(client)
    url = f"/rules/cases/{casework.case.id}/emergency-action"
    page = client.get(url).get_data(as_text=True)
    assert "Emergency action" in page and "Case plan drafted" in page
    taken = utcnow().astimezone(dt.timezone(dt.timedelta(hours=7))) - dt.timedelta(hours=1)
    response = client.post_form(
        url, {"measure": "separated", "taken_at": taken.strftime("%Y-%m-%dT%H:%M")}
    )
    assert response.status_code == 302
    action = db.session.scalar(
        select(EmergencyAction).where(EmergencyAction.case_id == casework.case.id)
    )
    assert abs(action.taken_at - taken.replace(second=0, microsecond=0)) < dt.timedelta(seconds=1)
    assert "Record the action" not in client.get("/rules/tasks").get_data(as_text=True)
    # A time in the future is refused.
    future = taken + dt.timedelta(days=1)
    response = client.post_form(
        url, {"measure": "police", "taken_at": future.strftime("%Y-%m-%dT%H:%M")}
    )
    assert "cannot be in the future" in response.get_data(as_text=True)


def test_a_colleague_outside_the_case_gets_404(client, casework):
    client.login(casework.colleague)
    url = f"/rules/cases/{casework.case.id}/emergency-action"
    assert client.get(url).status_code == 404
    assert client.post_form(url, {"measure": "police"}).status_code == 404


def test_pages_have_no_inline_script_or_style(client, casework):
    for user, urls in (
        (casework.admin, ["/rules/", "/rules/versions/new", "/rules/days-off"]),
        (
            casework.supervisor,
            ["/rules/tasks", "/rules/overdue", f"/rules/cases/{casework.case.id}/emergency-action"],
        ),
    ):
        client.login(user)
        for url in urls:
            html = client.get(url).get_data(as_text=True)
            assert "<script>" not in html and " style=" not in html and "<style" not in html
        client.post_form("/auth/logout")


def test_looking_at_a_task_list_is_audited(client, casework, db):
    from casemgr.audit.models import AuditEvent

    client.login(casework.supervisor)
    pages = (
        ("/rules/tasks", {("case.list", "my tasks")}),
        # The overdue page also lists the intake reports past their deadline.
        ("/rules/overdue", {("case.list", "overdue tasks"), ("intake.list", "overdue tasks")}),
    )
    for url, expected in pages:
        last = db.session.scalar(select(func.max(AuditEvent.seq)))
        client.get(url)
        events = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.actor_id == casework.supervisor.id, AuditEvent.seq > last
            )
        ).all()
        assert {(event.action, event.reason) for event in events} == expected
