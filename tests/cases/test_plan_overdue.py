"""The case page marks a plan action "Quá hạn" (overdue) when it is not done and its due day
is before Viet Nam's today: the stored deadline under the condition of "My tasks" and
"Overdue", so the page and the lists name the same actions. The clock is stopped."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine

from casemgr.cases import services
from casemgr.cases.models import Case, PlanAction
from casemgr.corrections.services import correct
from casemgr.rules.tasks import overdue_plan_actions
from tests.cases.conftest import record_detailed_assessment
from tests.rules.conftest import local
from tests.walk.dom import parse

OPENED = local(2027, 3, 1, 9, 0)  # the case is opened and its plan written on this Monday
NOW = local(2027, 3, 10, 10, 0)  # mid-morning in Hà Nội, a week and a half later
TODAY = dt.date(2027, 3, 10)
OVERDUE = "Quá hạn"


def _take(casework, who: str, *names: str, **extra) -> None:
    user, case = getattr(casework, who), casework.case
    for name in names:
        services.take_move(
            user, case, casework.access(user), name, expected_version=case.version, **extra
        )


def _add(casework, action: str, due_on: dt.date | None) -> PlanAction:
    worker = casework.worker
    return services.add_plan_action(
        worker, casework.case, casework.access(worker), goal="An toàn", action=action,
        responsible="Cán bộ", due_on=due_on,
    )  # fmt: skip


@pytest.fixture
def planned(casework, db):
    """A case whose approved plan is carried out; its actions, by what is asked of them.

    Written on OPENED with due days still ahead; on TODAY one has passed its day, one was
    moved back by a correction (the form warns, but the fact is the fact), one is done late,
    one falls due today, one tomorrow and one has no due day.
    """
    with time_machine.travel(OPENED, tick=False):
        casework.case.opened_at = OPENED
        _take(casework, "worker", "verify", "assess", "assess_in_detail")
        record_detailed_assessment(casework.worker, casework.case)
        actions = {
            "passed": _add(casework, "Thăm gia đình", dt.date(2027, 3, 8)),
            "corrected": _add(casework, "Gặp nhà trường", dt.date(2027, 3, 20)),
            "done late": _add(casework, "Khám sức khỏe", dt.date(2027, 3, 9)),
            "today": _add(casework, "Gọi điện cho mẹ", TODAY),
            "tomorrow": _add(casework, "Đưa đến trung tâm", dt.date(2027, 3, 11)),
            "undated": _add(casework, "Theo dõi", None),
        }
        _take(casework, "worker", "submit_plan")
        _take(casework, "supervisor", "approve_plan")
        _take(casework, "worker", "implement")
    with time_machine.travel(NOW, tick=False):
        actions["corrected"] = correct(
            casework.worker, actions["corrected"], {"due_on": dt.date(2027, 3, 5)},
            "Ngày hẹn ghi nhầm: nhà trường hẹn ngày 05/3.",
            access=casework.access(casework.worker),
        )  # fmt: skip
        services.mark_action_done(
            casework.worker, casework.case, casework.access(casework.worker),
            actions["done late"], TODAY,
        )  # fmt: skip
    db.session.commit()
    return actions


def _plan_rows(html: str) -> dict[str, str]:
    """The case page's plan rows: the action's text -> the due-date cell's text."""
    rows = {}
    for row in parse(html).iter("tr"):
        if "data-plan-action" in row.attrs:
            cells = [c for c in row.iter("td")]
            rows[cells[2].text()] = cells[4]
    return rows


def test_the_case_page_marks_the_actions_past_their_day_and_not_done(
    app, client, casework, db, planned
):
    with time_machine.travel(NOW, tick=False):  # signed in then: a session has an age
        client.login(casework.worker)
        html = client.get(f"/cases/{casework.case.id}").get_data(as_text=True)
    rows = _plan_rows(html)
    assert len(rows) == 6  # the corrected action once, as corrected
    late = {action for action, cell in rows.items() if OVERDUE in cell.text()}
    assert late == {"Thăm gia đình", "Gặp nhà trường"}
    cell = rows["Gặp nhà trường"]
    assert cell.text() == f"05/03/2027 {OVERDUE}"  # the date, then the badge's words
    (badge,) = cell.iter("span")
    assert {"badge", "text-bg-danger"} <= badge.classes and badge.text() == OVERDUE
    # Done late is done; due today is due by tonight; none of these is overdue.
    for action in ("Khám sức khỏe", "Gọi điện cho mẹ", "Đưa đến trung tâm", "Theo dõi"):
        assert OVERDUE not in rows[action].text(), action


def test_the_case_page_and_the_task_lists_name_the_same_actions(app, client, casework, db, planned):
    """The lists name a plan action by its place in the plan ("Plan action 2 of 6"): the
    rows the case page marks are those the worker's tasks and the supervisor's overdue list
    mark, no more, no fewer."""
    supervisor = app.test_client()
    with time_machine.travel(NOW, tick=False):
        client.login(casework.worker)
        supervisor.login(casework.supervisor)
        html = client.get(f"/cases/{casework.case.id}").get_data(as_text=True)
        tasks = client.get("/rules/tasks").get_data(as_text=True)
        overdue = supervisor.get("/rules/overdue").get_data(as_text=True)
    marked = {
        int(row.attrs["data-plan-action"])
        for row in parse(html).iter("tr")
        if "data-plan-action" in row.attrs and OVERDUE in row.text()
    }
    assert marked == {1, 2}  # by due day: 05/03 (corrected), 08/03

    def late_places(page: str) -> set[int]:
        """The places of the plan actions a task list marks overdue."""
        places = set()
        for row in parse(page).iter("tr"):
            if row.attrs.get("data-kind") == "case.plan_action" and OVERDUE in row.text():
                label = list(row.iter("td"))[1].text()
                place, total = map(int, re.search(r"(\d+)\D+(\d+)", label).groups())
                assert total == 6
                places.add(place)
        return places

    assert late_places(tasks) == marked
    assert late_places(overdue) == marked


@pytest.mark.parametrize(
    ("moment", "late"),
    [
        # 23:59 in Hà Nội on TODAY: the action due today is still on time.
        (local(2027, 3, 10, 23, 59), {"passed", "corrected"}),
        # 00:30 in Hà Nội the next day (still TODAY in UTC): it is overdue.
        (local(2027, 3, 11, 0, 30), {"passed", "corrected", "today"}),
    ],
    ids=["2359-local", "0030-local-next-day"],
)
def test_overdue_turns_at_midnight_in_viet_nam(casework, db, planned, moment, late):
    with time_machine.travel(moment, tick=False):
        found = overdue_plan_actions(db.session.get(Case, casework.case.id))
    ids = {name: action.id for name, action in planned.items()}
    assert found == {ids[name] for name in late}


def test_a_done_action_is_never_overdue(app, client, casework, db, planned):
    worker = casework.worker
    with time_machine.travel(NOW, tick=False):
        for name in ("passed", "corrected"):
            services.mark_action_done(
                worker, casework.case, casework.access(worker), planned[name], TODAY
            )
        db.session.commit()
        assert overdue_plan_actions(casework.case) == set()
        client.login(worker)
        html = client.get(f"/cases/{casework.case.id}").get_data(as_text=True)
    assert [c for c in _plan_rows(html).values() if OVERDUE in c.text()] == []


def test_a_closed_case_has_no_overdue_action(app, client, casework, db, planned):
    """Nothing of a closed case is on the task lists: its page marks nothing either."""
    with time_machine.travel(NOW, tick=False):
        assert overdue_plan_actions(casework.case) == {
            planned["passed"].id, planned["corrected"].id}  # fmt: skip
        _take(casework, "worker", "review")
        _take(casework, "worker", "request_closure", reason="Trẻ đã an toàn, đi học đều.",
              closure_reason="goals_met")  # fmt: skip
        _take(casework, "supervisor", "approve_closure")
        db.session.commit()
        assert overdue_plan_actions(casework.case) == set()
        client.login(casework.worker)
        html = client.get(f"/cases/{casework.case.id}").get_data(as_text=True)
    rows = _plan_rows(html)
    assert len(rows) == 6 and [c for c in rows.values() if OVERDUE in c.text()] == []
