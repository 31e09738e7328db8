"""One truth for "overdue": the tasks page, the overdue page, the dashboard's overdue column,
the caseload filter and the reports' deadline compliance read the same stored deadlines, and
agree on which items and cases are overdue."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from casemgr import clock
from casemgr.auth.roles import Role
from casemgr.cases import services as case_services
from casemgr.cases.models import Case, PlanAction, RiskLevel
from casemgr.cases.queries import filtered_caseload
from casemgr.extensions import db as _db
from casemgr.reports import queries as report_queries
from casemgr.rules import services
from casemgr.rules.calendar import add_working_days, forget_local_days
from casemgr.rules.models import DatedRule, DurationUnit
from casemgr.rules.tasks import open_tasks
from casemgr.supervision.queries import caseload_by_worker
from tests.rules.conftest import local, open_child_case


def _plan(worker, case, access, due_on: dt.date | None):
    if due_on is not None:  # opened before the action fell due (a due date cannot precede it)
        case.opened_at = min(case.opened_at, local(due_on.year, due_on.month, due_on.day))
        _db.session.flush()
    for name in ("verify", "assess"):
        if case.status != "initial_assessment":
            case_services.take_transition(worker, case, access, name, expected_version=case.version)
    return case_services.add_plan_action(
        worker, case, access, goal="Mục tiêu", action="Thăm gia đình", responsible="CTXH",
        due_on=due_on,
    )  # fmt: skip


def _rows(html: str, testid: str) -> list[str]:
    table = html.split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr class=\"table-danger\"[^>]*>.*?</tr>", table, re.S)


def test_an_overdue_plan_action_is_overdue_on_every_screen(app, client, casework, db):
    """Issue 10: it showed in the caseload filter only, not on "Quá hạn", not in the
    dashboard's overdue column, not in the worker's tasks."""
    worker = casework.worker
    late = open_child_case(worker, casework.commune, given="Hà")
    late.risk_level = RiskLevel.LOW  # no emergency clock: the plan action is the only one due
    _plan(worker, late, casework.access(worker, late), clock.today() - dt.timedelta(days=3))
    db.session.commit()

    client.login(worker)
    caseload = client.get("/cases/?overdue=y").get_data(as_text=True)
    assert late.number in caseload and casework.case.number not in caseload
    tasks = _rows(client.get("/rules/tasks").get_data(as_text=True), "tasks")
    assert len(tasks) == 1 and f"/cases/{late.id}" in tasks[0]

    supervisor = app.test_client()
    supervisor.login(casework.supervisor)
    overdue = _rows(supervisor.get("/rules/overdue").get_data(as_text=True), "overdue")
    assert len(overdue) == 1 and f"/cases/{late.id}" in overdue[0]
    board = supervisor.get("/supervision/").get_data(as_text=True)
    row = board.split(f'data-worker="{worker.id}"', 1)[1].split("</tr>", 1)[0]
    count = re.search(r'data-col="overdue">(?:<a [^>]*href="([^"]+)"[^>]*>)?\s*1\s*<', row)
    assert count, row
    # The count opens that worker's overdue deadlines: the same one.
    mine = _rows(supervisor.get(count.group(1).replace("&amp;", "&")).get_data(as_text=True),
                 "overdue")  # fmt: skip
    assert len(mine) == 1 and f"/cases/{late.id}" in mine[0]


def test_marking_the_action_done_clears_it_everywhere(db, casework):
    worker = casework.worker
    case = casework.case
    case.risk_level = RiskLevel.LOW  # no emergency clock: the plan action is the only one due
    access = casework.access(worker, case)
    item = _plan(worker, case, access, clock.today() - dt.timedelta(days=1))
    now = clock.utcnow()
    assert ("case.plan_action", case.id) in {
        (t.kind, t.case_id) for t in open_tasks(worker, overdue_only=True, now=now)
    }
    case_services.mark_action_done(worker, case, access, item, clock.today())
    assert "case.plan_action" not in {t.kind for t in open_tasks(worker, now=now)}
    overdue_filter = _db.session.scalars(
        filtered_caseload(worker, status=None, group=None, risk=None, sort="number", overdue=True)
    )
    assert case.id not in set(overdue_filter)


# -- the property: five views, one answer -------------------------------------------------------

TODAY = dt.date(2027, 3, 10)  # a Wednesday
NOW = local(2027, 3, 10, 10, 0)  # mid-morning in Hà Nội on TODAY
OPENED = local(2027, 2, 22, 9, 0)  # every case of an example is opened on this Monday

action = st.tuples(
    st.integers(min_value=-25, max_value=10),  # due, in days from TODAY
    st.one_of(st.none(), st.integers(min_value=-30, max_value=0)),  # done, days from TODAY
)
plan = st.lists(action, max_size=4)
world = st.fixed_dictionaries(
    {
        "plans": st.lists(plan, min_size=1, max_size=4),
        "owners": st.lists(st.integers(0, 1), min_size=4, max_size=4),
        "risks": st.lists(st.booleans(), min_size=4, max_size=4),  # high risk or not
        "draft_days": st.integers(min_value=1, max_value=20),
        "draft_unit": st.sampled_from([DurationUnit.WORKING_DAYS, DurationUnit.DAYS]),
        "emergency_hours": st.integers(min_value=1, max_value=600),
        "days_off": st.lists(st.integers(min_value=-20, max_value=5), max_size=4, unique=True),
        "local_days_off": st.lists(
            st.integers(min_value=-20, max_value=5), max_size=3, unique=True
        ),
        "worked_weekends": st.lists(
            st.integers(min_value=-20, max_value=5), max_size=2, unique=True
        ),
    }
)


def _views(casework, workers):
    """What each of the five views says is overdue, at NOW."""
    lead = casework.lead
    # 1. "My tasks" of each worker: the rows it marks overdue.
    tasks = Counter()
    for worker in workers:
        for task in open_tasks(worker, mine=True, now=NOW):
            if task.is_overdue(NOW):
                tasks[(task.case_id, task.kind)] += 1
    # 2. The overdue page of the provincial supervisor.
    overdue_page = Counter(
        (t.case_id, t.kind) for t in open_tasks(lead, overdue_only=True, now=NOW)
    )
    # 3. The dashboard's overdue column, per worker.
    column = {row.user_id: row.overdue_tasks for row in caseload_by_worker(lead, now=NOW, days=30)}
    # 4. The caseload filter.
    filtered = set(
        _db.session.scalars(
            filtered_caseload(lead, status=None, group=None, risk=None, sort="number", overdue=True)
        )
    )
    # 5. The reports' deadline compliance, over a period holding every intake.
    period = report_queries.Period(2027, quarter=1)
    compliance = report_queries.deadline_compliance(lead, period, NOW)
    report = Counter(
        {
            kind: n
            for (kind, how), n in compliance.items()
            if how == report_queries.Compliance.OVERDUE
        }
    )
    return tasks, overdue_page, column, filtered, report


def _expected(cases, actions, opened_at, rules, unit_path):
    """Overdue items computed by hand from the facts (independent of the stored rows)."""
    expected = Counter()
    draft_days, draft_unit, emergency_hours = rules
    for case_id, high in cases:
        # 12 h (here: the random hours) after intake, and no action recorded.
        if high and opened_at + dt.timedelta(hours=emergency_hours) < NOW:
            expected[(case_id, "child.emergency_action")] += 1
        if draft_unit == DurationUnit.WORKING_DAYS:
            due_day = add_working_days(clock.local_date(opened_at), draft_days, unit_path=unit_path)
            due = clock.end_of_local_day(due_day)
        else:
            due = opened_at + dt.timedelta(days=draft_days)
        if due < NOW:  # no plan was submitted in these examples
            expected[(case_id, "child.plan_draft")] += 1
    for case_id, due_on, done_on in actions:
        if done_on is None and due_on < TODAY:
            expected[(case_id, "case.plan_action")] += 1
    return expected


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=world)
def test_the_five_views_agree_on_what_is_overdue(db, make, casework, world, monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)
    savepoint = _db.session.begin_nested()
    try:
        _check_world(make, casework, world)
    finally:
        savepoint.rollback()
        # No copy of the rolled-back rules and days off may reach the next example.
        services._forget_rule_versions()
        forget_local_days()


def _check_world(make, casework, world) -> Counter:
    session = _db.session
    # Rules in force from before the intakes: random durations.
    since = dt.date(2027, 1, 1)
    session.add_all([
        DatedRule(key="child.plan_draft", valid_from=since, amount=world["draft_days"],
                  unit=world["draft_unit"], source="test"),
        DatedRule(key="child.emergency_action", valid_from=since,
                  amount=world["emergency_hours"], unit=DurationUnit.HOURS, source="test"),
    ])  # fmt: skip
    session.flush()
    services._forget_rule_versions()
    day = lambda offset: TODAY + dt.timedelta(days=offset)  # noqa: E731
    for offset in world["days_off"]:
        services.add_day_off(None, day=day(offset), reason="Nghỉ bù")
    for offset in world["local_days_off"]:
        if offset not in world["days_off"]:
            services.add_day_off(None, day=day(offset), reason="Lễ tỉnh", unit=casework.commune)
    for offset in world["worked_weekends"]:
        if day(offset).weekday() >= 5 and offset not in world["days_off"]:
            services.add_day_off(None, day=day(offset), reason="Làm bù", is_working_day=True)

    workers = [casework.worker, make.user(Role.SOCIAL_WORKER, casework.commune)]
    cases, actions = [], []
    for index, steps in enumerate(world["plans"]):
        worker = workers[world["owners"][index]]
        case = open_child_case(worker, casework.commune, given=f"Lan{index}")
        access = casework.access(worker, case)
        for due, done in steps:
            item = _plan(worker, case, access, day(due))
            if done is not None:
                case_services.mark_action_done(worker, case, access, item, day(done))
        case.risk_level = RiskLevel.HIGH if world["risks"][index] else RiskLevel.LOW
        case.opened_at = OPENED
        cases.append((case.id, world["risks"][index]))
    # The fixture's own case is left out: it was opened today, outside the rules' dates.
    casework.case.status = "closed"
    session.flush()
    for item in session.scalars(select(PlanAction).where(PlanAction.case_id.in_(
        [case_id for case_id, _ in cases]
    ))):  # fmt: skip
        actions.append((item.case_id, item.due_on, item.done_on))

    tasks, overdue_page, column, filtered, report = _views(casework, workers)
    expected = _expected(
        cases,
        actions,
        OPENED,
        (world["draft_days"], world["draft_unit"], world["emergency_hours"]),
        casework.commune.path,
    )
    assert tasks == expected  # each worker sees their own cases' overdue items
    assert overdue_page == expected
    owners = dict(session.execute(select(Case.id, Case.owner_id)).all())
    per_owner = Counter()
    for (case_id, _kind), n in expected.items():
        per_owner[owners[case_id]] += n
    assert {w.id: column.get(w.id, 0) for w in workers} == {w.id: per_owner[w.id] for w in workers}
    assert filtered == {case_id for case_id, _kind in expected}
    assert report == Counter(kind for _case_id, kind in expected.elements())
    return expected


def test_a_known_world_has_every_kind_of_overdue_item(db, make, casework, monkeypatch):
    """The check the property runs is not empty: on this world every kind is overdue."""
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)
    known = {
        "plans": [[(-3, None), (-5, -6), (2, None)], [], [(-1, None)]],
        "owners": [0, 1, 0, 1],
        "risks": [True, False, True, False],
        "draft_days": 5,
        "draft_unit": DurationUnit.WORKING_DAYS,
        "emergency_hours": 12,
        "days_off": [-15],
        "local_days_off": [-14],
        "worked_weekends": [-17],
    }
    expected = _check_world(make, casework, known)
    assert set(kind for _case_id, kind in expected) == {
        "case.plan_action",
        "child.plan_draft",
        "child.emergency_action",
    }
    assert sum(expected.values()) == 2 + 3 + 2  # two late actions, three plans, two 12-hour
