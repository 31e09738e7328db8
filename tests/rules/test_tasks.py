"""Tasks: the emergency-action and plan-draft deadlines of child cases, their scope, the
registry of other sources, and the number of queries."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import event, select

from casemgr.audit.models import AuditEvent
from casemgr.cases import services as case_services
from casemgr.cases.models import RiskLevel
from casemgr.extensions import db as _db
from casemgr.rules import deadlines, services
from casemgr.rules.deadlines import Due
from casemgr.rules.models import Deadline, EmergencyMeasure
from casemgr.rules.tasks import child_deadlines, open_tasks
from tests.cases.conftest import record_detailed_assessment
from tests.rules.conftest import local, open_child_case

INTAKE = local(2027, 2, 1, 9, 30)  # Monday before Tết 2027
EMERGENCY_DUE = local(2027, 2, 1, 21, 30)
PLAN_DUE = local(2027, 2, 15, 23, 59, 59)


def kinds(task_list, case) -> dict[str, dt.datetime]:
    return {t.kind: t.due_at for t in task_list if t.case_id == case.id}


def move(worker, case, *names):
    for name in names:
        if name == "submit_plan":  # the plan gate
            record_detailed_assessment(worker, case)
        case_services.take_transition(
            worker, case, access_of(worker, case), name, expected_version=case.version
        )


def access_of(user, case):
    from casemgr.cases.policy import case_access

    return case_access(user, case, None, INTAKE)


def test_a_high_risk_child_case_has_both_deadlines(db, casework, dated):
    case = dated(casework.case, INTAKE)
    found = kinds(open_tasks(casework.worker, mine=True, now=INTAKE), case)
    assert found == {"child.emergency_action": EMERGENCY_DUE, "child.plan_draft": PLAN_DUE}
    task = next(t for t in open_tasks(casework.worker, now=INTAKE) if t.case_id == case.id)
    assert task.case_number == case.number
    assert task.kind == "child.emergency_action"  # soonest first


def test_the_emergency_task_goes_when_the_action_is_recorded(db, casework, dated):
    case = dated(casework.case, INTAKE)
    late = INTAKE + dt.timedelta(hours=13)
    overdue = open_tasks(casework.supervisor, overdue_only=True, now=late)
    assert kinds(overdue, case) == {"child.emergency_action": EMERGENCY_DUE}
    assert open_tasks(casework.supervisor, overdue_only=True, now=INTAKE) == []

    taken = INTAKE + dt.timedelta(hours=14)
    action = services.record_emergency_action(
        casework.worker,
        case,
        casework.access(casework.worker),
        measure=EmergencyMeasure.SAFE_PLACEMENT,
        taken_at=taken,
        now=taken,
    )
    assert "child.emergency_action" not in kinds(open_tasks(casework.worker, now=late), case)
    records = {r.kind: r for r in child_deadlines(case)}
    assert records["child.emergency_action"].met_at == taken
    assert records["child.emergency_action"].met_late
    assert records["child.plan_draft"].met_at is None
    audit = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "case.emergency_action")
    )
    assert (audit.case_id, audit.object_id) == (case.id, str(action.id))


def test_no_emergency_task_below_high_risk(db, casework, dated):
    case = dated(casework.case, INTAKE)
    case.risk_level = RiskLevel.MEDIUM
    db.session.flush()
    assert kinds(open_tasks(casework.worker, now=INTAKE), case) == {"child.plan_draft": PLAN_DUE}


def test_the_plan_task_is_met_when_the_plan_is_submitted(db, casework, dated):
    case = dated(casework.case, INTAKE)
    move(casework.worker, case, "verify", "assess", "assess_in_detail")
    assert "child.plan_draft" in kinds(open_tasks(casework.worker, now=INTAKE), case)
    move(casework.worker, case, "submit_plan")
    assert "child.plan_draft" not in kinds(open_tasks(casework.worker, now=INTAKE), case)
    met = {r.kind: r for r in child_deadlines(case)}["child.plan_draft"]
    assert met.met_at is not None and met.due_at == PLAN_DUE
    # Returned for changes, the plan was still drafted in time: no new task.
    case_services.take_transition(
        casework.supervisor,
        case,
        access_of(casework.supervisor, case),
        "return_plan",
        expected_version=case.version,
        reason="Cần bổ sung mục tiêu học tập.",
    )
    assert "child.plan_draft" not in kinds(open_tasks(casework.worker, now=INTAKE), case)


def test_lists_are_scoped(db, casework, dated, make):
    case = dated(casework.case, INTAKE)
    late = INTAKE + dt.timedelta(days=30)
    other = dated(open_child_case(casework.outsider, casework.other_commune), INTAKE)

    def seen(user, **kwargs):
        return {t.case_id for t in open_tasks(user, now=late, **kwargs)}

    assert seen(casework.supervisor, overdue_only=True) == {case.id}
    assert seen(casework.lead, overdue_only=True) == {case.id, other.id}
    assert seen(casework.other_supervisor, overdue_only=True) == {other.id}
    assert seen(casework.worker) == {case.id}
    assert seen(casework.colleague) == set()
    assert seen(casework.outsider) == {other.id}
    assert seen(casework.auditor) == set() and seen(casework.admin) == set()
    # "My tasks" of a supervisor: own caseload only, not the subtree.
    assert seen(casework.supervisor, mine=True) == set()
    # A co-worker shares the case's tasks.
    case.co_workers.append(casework.colleague)
    db.session.flush()
    assert seen(casework.colleague, mine=True) == {case.id}


def test_closed_cases_have_no_tasks(db, casework, dated):
    case = dated(casework.case, INTAKE)
    case.status = "closed"
    db.session.flush()
    assert open_tasks(casework.supervisor, now=INTAKE) == []


def test_other_packages_register_sources(db, casework, dated, monkeypatch):
    case = dated(casework.case, INTAKE)
    seen_ids = []

    def extra(case_ids):
        seen_ids.append(list(case_ids))
        for case_id in case_ids:
            yield Due(case_id, "test.extra", INTAKE - dt.timedelta(hours=1))

    monkeypatch.setattr(deadlines, "_SOURCES", dict(deadlines._SOURCES))
    register = deadlines.register_deadline_source(kinds={"test.extra": "X"})
    assert register(extra) is extra
    register(extra)  # again: replaced, not doubled
    deadlines.refresh([case.id])
    assert seen_ids == [[case.id]]
    found = open_tasks(casework.supervisor, overdue_only=True, now=INTAKE)
    assert [(t.kind, t.label) for t in found] == [("test.extra", "X")]
    assert open_tasks(casework.other_supervisor, now=INTAKE) == []


def test_rows_follow_the_changes_of_the_session(db, casework, dated):
    """A flush that touches a watched row marks the case; the next read refreshes it."""
    case = dated(casework.case, INTAKE)
    stored = select(Deadline.kind).where(Deadline.case_id == case.id)
    open_tasks(casework.worker, now=INTAKE)
    assert set(db.session.scalars(stored)) == {"child.emergency_action", "child.plan_draft"}
    case.risk_level = RiskLevel.LOW
    db.session.flush()
    assert kinds(open_tasks(casework.worker, now=INTAKE), case) == {"child.plan_draft": PLAN_DUE}
    assert set(db.session.scalars(stored)) == {"child.plan_draft"}
    # A commit stores them too, without any read in between.
    case.risk_level = RiskLevel.HIGH
    db.session.commit()
    assert set(db.session.scalars(stored)) == {"child.emergency_action", "child.plan_draft"}


def test_a_case_opened_before_any_version_is_skipped(db, casework, dated):
    case = dated(casework.case, local(2016, 1, 4, 9, 0))  # before Decree 56/2017
    assert kinds(open_tasks(casework.worker, now=INTAKE), case) == {}
    assert all(r.due_at is None for r in child_deadlines(case))


@pytest.fixture
def statements(db):
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    engine = _db.session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


def test_queries_do_not_grow_with_the_number_of_cases(db, casework, dated, statements):
    open_tasks(casework.lead, now=INTAKE)  # warm the rule and calendar caches
    statements.clear()
    assert len(open_tasks(casework.lead, now=INTAKE)) == 2
    # The stored rows in one query, no deadline arithmetic; a supervisor's scope first looks up
    # their own cases outside the subtree (cases.queries.visible_cases): 2 in all.
    assert len(statements) == 2
    cases = [open_child_case(casework.worker, casework.commune).id for _ in range(6)]
    statements.clear()
    deadlines.refresh(cases)
    refreshing_six = len(statements)
    cases += [open_child_case(casework.worker, casework.commune).id for _ in range(12)]
    statements.clear()
    deadlines.refresh(cases)
    # Refreshing runs each source's one query per batch of cases, whatever its size.
    assert len(statements) == refreshing_six <= len(deadlines.deadline_sources()) + 1
    statements.clear()
    assert len(open_tasks(casework.lead, now=INTAKE)) == 38
    assert len(statements) == 2


def test_a_late_plan_action_is_named_by_its_place_in_the_plan(app, client, casework, db):
    """The task lists said "Plan action" for each: which one was late could not be told. They
    name it by its row in the case page's plan table (by due date; voided ones left out) and
    show its due date; the action's text is encrypted and stays out of the lists."""
    from casemgr import clock
    from casemgr.corrections.services import void

    worker, case = casework.worker, casework.case
    case.risk_level = RiskLevel.LOW  # no emergency clock: only the plan actions are due
    today = clock.today()
    case.opened_at = local(*(today - dt.timedelta(days=30)).timetuple()[:3], 9, 0)
    db.session.flush()
    access = casework.access(worker)
    for name in ("verify", "assess"):
        case_services.take_transition(worker, case, access, name, expected_version=case.version)
    written = []

    def add(days: int | None):
        due = None if days is None else today + dt.timedelta(days=days)
        n = len(written)
        written.append(case_services.add_plan_action(
            worker, case, access, goal=f"GOALMARK{n}", action=f"ACTIONMARK{n}",
            responsible=f"WHOMARK{n}", due_on=due,
        ))  # fmt: skip

    add(-5)  # 1st on the case page
    add(None)  # undated: last (4th)
    add(10)  # 3rd, not late
    add(-2)  # written after the 3rd, due before it: 2nd
    add(-10)  # voided below: no longer in the plan
    void(worker, written[-1], "Nhập nhầm", access=access)
    db.session.commit()

    late = [t for t in open_tasks(worker, overdue_only=True, now=clock.utcnow())
            if t.kind == "case.plan_action"]  # fmt: skip
    assert len(late) == 2
    client.login(worker)
    case_page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    plan = dict(re.findall(r'<tr data-plan-action="(\d)">.*?(GOALMARK\d)', case_page, re.S))
    assert plan == {"1": "GOALMARK0", "2": "GOALMARK3", "3": "GOALMARK2", "4": "GOALMARK1"}
    pages = {"tasks": client.get("/rules/tasks"), "dashboard": client.get("/dashboard")}
    supervisor = app.test_client()
    supervisor.login(casework.supervisor)
    pages["overdue"] = supervisor.get("/rules/overdue")
    for name, response in pages.items():
        html = response.get_data(as_text=True)
        assert response.status_code == 200, name
        for number, days in ((1, -5), (2, -2)):
            label = f"Hoạt động {number}/4 của kế hoạch"
            assert html.count(label) == 1, (name, label)
            due = (today + dt.timedelta(days=days)).strftime("%d/%m/%Y")
            # The label and its due date are in one row (list item) of the page.
            row = html.split(label, 1)[1].split("</tr>", 1)[0].split("</li>", 1)[0]
            before = html.split(label, 1)[0].rsplit("<tr", 1)[-1].rsplit("<li", 1)[-1]
            assert due in before + row, (name, label)
        assert "Hoạt động kế hoạch<" not in html, name
        assert "MARK" not in html, name
