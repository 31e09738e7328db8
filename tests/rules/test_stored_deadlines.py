"""The stored deadlines follow the rules and the calendar: a new rule version, a day off added
or removed, and the recompute command all move the stored due dates."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select

from casemgr.extensions import db as _db
from casemgr.rules import deadlines, services
from casemgr.rules.models import Deadline, DurationUnit
from casemgr.rules.tasks import open_tasks
from tests.rules.conftest import local

INTAKE = local(2030, 3, 4, 9, 0)  # a Monday, far from any holiday
PLAN_DUE = local(2030, 3, 11, 23, 59, 59)  # 5 working days: the next Monday


def stored(case) -> dict[str, dt.datetime | None]:
    deadlines.sync()
    rows = _db.session.execute(
        select(Deadline.kind, Deadline.due_at).where(Deadline.case_id == case.id)
    )
    return {kind: due_at for kind, due_at in rows}


def test_a_day_off_moves_the_stored_due_date_and_back(db, casework, dated):
    case = dated(casework.case, INTAKE)
    assert stored(case)["child.plan_draft"] == PLAN_DUE
    entry = services.add_day_off(
        None, day=dt.date(2030, 3, 6), reason="Lễ tỉnh", unit=casework.commune
    )
    assert stored(case)["child.plan_draft"] == PLAN_DUE + dt.timedelta(days=1)
    services.remove_day_off(None, entry, today=dt.date(2030, 3, 1))
    assert stored(case)["child.plan_draft"] == PLAN_DUE


def test_a_new_rule_version_moves_the_cases_it_covers(db, casework, dated):
    case = dated(casework.case, INTAKE)
    services.add_rule_version(
        None,
        key="child.plan_draft",
        valid_from=dt.date(2030, 1, 1),
        amount=3,
        unit=DurationUnit.WORKING_DAYS,
        source="A test decree",
    )
    assert stored(case)["child.plan_draft"] == local(2030, 3, 7, 23, 59, 59)
    late = local(2030, 3, 8, 9, 0)
    assert {t.kind for t in open_tasks(casework.supervisor, overdue_only=True, now=late)} == {
        "child.emergency_action",
        "child.plan_draft",
    }


def test_recompute_restores_the_rows(app, db, casework, dated):
    case = dated(casework.case, INTAKE)
    before = stored(case)
    db.session.execute(delete(Deadline).where(Deadline.case_id == case.id))
    assert stored(case) == {}
    result = app.test_cli_runner().invoke(args=["casemgr", "deadlines", "recompute"])
    assert result.exit_code == 0, result.output
    assert "deadlines recomputed" in result.output
    assert stored(case) == before


def test_init_fills_the_deadlines_of_a_database_upgraded_across_their_table(
    app, db, casework, dated
):
    from casemgr.cli import _fill_stored_deadlines

    case = dated(casework.case, INTAKE)
    before = stored(case)
    assert before
    db.session.execute(delete(Deadline))  # what revision 0012 leaves: the table, empty
    _fill_stored_deadlines()
    assert stored(case) == before
