"""The dashboard's numbers against independent counts, its scope, its queries and its page."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict

import pytest
from sqlalchemy import event

from casemgr.cases.models import Case, RiskLevel
from casemgr.cases.workflow import Status
from casemgr.clock import local_date, utcnow
from casemgr.extensions import db as _db
from casemgr.rules import deadlines
from casemgr.rules.tasks import child_deadlines
from casemgr.supervision import queries

DAYS = 30


def in_scope(office, user, case: Case) -> bool:
    units = {office.commune.id} if user is office.supervisor else None
    return units is None or case.unit_id in units


def expected_loads(office, user) -> dict[int, dict[str, int]]:
    """Per owner, counted case by case in Python (deadlines through child_deadlines, one case at
    a time): a different route from the dashboard's GROUP BY and deadline sources."""
    cutoff = local_date(office.now) - dt.timedelta(days=DAYS)
    counts: dict[int, Counter] = defaultdict(Counter)
    for case in office.cases:
        case = _db.session.get(Case, case.id)
        if not in_scope(office, user, case) or case.status == Status.CLOSED:
            continue
        row = counts[case.owner_id]
        row["active"] += 1
        row["high_risk"] += case.risk_level == RiskLevel.HIGH
        notes = office.notes[case.id]
        last = max([*notes, local_date(case.opened_at)])  # opening a case is a contact
        row["no_contact"] += last < cutoff
        row["overdue_tasks"] += sum(
            1 for d in child_deadlines(case) if d.met_at is None and d.due_at < office.now
        )
    return {owner: dict(c) for owner, c in counts.items()}


def actual_loads(office, user) -> dict[int, dict[str, int]]:
    rows = queries.caseload_by_worker(user, now=office.now, days=DAYS)
    return {
        r.user_id: {
            "active": r.active,
            "high_risk": r.high_risk,
            "no_contact": r.no_contact,
            "overdue_tasks": r.overdue_tasks,
        }
        for r in rows
    }


@pytest.mark.parametrize("who", ["supervisor", "lead"])
def test_caseload_per_worker_equals_an_independent_count(db, office, who):
    user = getattr(office, who)
    expected = expected_loads(office, user)
    actual = actual_loads(office, user)
    # Workers with nothing open still have a row, with zeros.
    zero = {"active": 0, "high_risk": 0, "no_contact": 0, "overdue_tasks": 0}
    for worker in office.workers:
        expected.setdefault(worker.id, zero)
    if who == "lead":
        expected.setdefault(office.other_worker.id, zero)
    assert actual == expected
    # The fixture has something of each kind, so the comparison means something.
    totals = Counter()
    for row in expected.values():
        totals.update(row)
    assert all(totals[k] > 0 for k in zero), totals


def test_commune_supervisor_sees_only_their_subtree(db, office):
    rows = queries.caseload_by_worker(office.supervisor, now=office.now, days=DAYS)
    assert {r.user_id for r in rows} == {w.id for w in office.workers}
    assert sum(r.active for r in rows) == sum(
        1 for c in office.cases if c.unit_id == office.commune.id and c.status != Status.CLOSED
    )
    compliance = queries.deadline_compliance(
        office.supervisor, start=dt.date(2000, 1, 1), end=local_date(office.now), now=office.now
    )
    assert [u.unit_id for u in compliance] == [office.commune.id]
    lead_units = queries.deadline_compliance(
        office.lead, start=dt.date(2000, 1, 1), end=local_date(office.now), now=office.now
    )
    assert {u.unit_id for u in lead_units} == {office.commune.id, office.other_commune.id}


def test_page_of_a_commune_supervisor_names_nothing_outside(client, db, office):
    client.login(office.supervisor)
    response = client.get("/supervision/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for worker in office.workers:
        assert f'data-worker="{worker.id}"' in page
    assert office.other_worker.display_name not in page
    assert office.other_commune.name not in page
    # The numbers shown are the computed ones.
    expected = expected_loads(office, office.supervisor)
    for owner_id, row in expected.items():
        shown = re.search(rf'data-worker="{owner_id}">(.*?)</tr>', page, re.S).group(1)
        assert f'data-col="active">{row["active"]}<' in shown
        assert f'data-col="high_risk">{row["high_risk"]}<' in shown


def test_compliance_equals_per_case_deadlines(db, office):
    end = local_date(office.now)
    start = end - dt.timedelta(days=29)
    office.cases[0].opened_at = office.now - dt.timedelta(days=45)  # before the period
    db.session.flush()
    expected: dict[tuple[int, str], Counter] = defaultdict(Counter)
    for case in office.cases:
        if not start <= local_date(case.opened_at) <= end:
            continue
        for d in child_deadlines(case):
            if d.met_at is not None:
                outcome = "late" if d.met_late else "on_time"
            else:
                outcome = "missed" if d.due_at < office.now else "pending"
            expected[(case.unit_id, d.kind)][outcome] += 1
    actual = {
        (unit.unit_id, kind): Counter({k: v for k, v in vars(tally).items() if v})
        for unit in queries.deadline_compliance(office.lead, start=start, end=end, now=office.now)
        for kind, tally in unit.kinds.items()
    }
    assert actual == dict(expected)
    outcomes = Counter()
    for c in expected.values():
        outcomes.update(c)
    assert outcomes["on_time"] and outcomes["late"] and outcomes["missed"], outcomes


@pytest.fixture
def statements(db):
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    engine = _db.session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


def test_queries_do_not_grow_with_the_number_of_cases(app, db, office, statements):
    with app.test_request_context():
        queries.dashboard(office.lead, period_days=90)  # warm rule and calendar caches
        statements.clear()
        queries.dashboard(office.lead, period_days=90)
        few = len(statements)
        office.add_cases(12, office.commune, office.workers, seed=9)
        deadlines.sync()  # the new cases' deadlines are stored (a few queries per batch)
        statements.clear()
        board = queries.dashboard(office.lead, period_days=90)
    assert sum(r.active for r in board.workers) > 10
    assert len(statements) == few
    assert few <= 20, statements


def test_boundaries_of_no_contact_and_of_each_outcome(db, make, office):
    from casemgr.auth.roles import Role
    from casemgr.cases.models import CaseNote, NoteKind
    from casemgr.rules.models import EmergencyAction, EmergencyMeasure
    from tests.cases.conftest import open_child_case

    unit = make.unit(office.province)
    worker = make.user(Role.SOCIAL_WORKER, unit)
    now = office.now
    cutoff = local_date(now) - dt.timedelta(days=DAYS)

    def case(opened_at, *, risk=RiskLevel.LOW, note_on=None, acted_at=None):
        made = open_child_case(worker, unit)
        made.opened_at, made.risk_level = opened_at, risk
        if note_on:
            note = CaseNote(
                case_id=made.id,
                person_id=made.person_id,
                kind=NoteKind.PHONE,
                occurred_on=note_on,
                author_id=worker.id,
            )
            db.session.add(note)
        if acted_at:
            action = EmergencyAction(
                case_id=made.id,
                measure=EmergencyMeasure.POLICE,
                taken_at=acted_at,
                recorded_by_id=worker.id,
            )
            db.session.add(action)
        db.session.flush()
        return made

    long_ago = now - dt.timedelta(days=DAYS + 5)
    case(long_ago, note_on=cutoff)  # contact on the last day that counts
    case(long_ago, note_on=cutoff - dt.timedelta(days=1))  # silent
    case(queries.local_midnight(cutoff))  # opened on that day, no note
    case(queries.local_midnight(cutoff) - dt.timedelta(seconds=1))  # silent
    # Opened on that day, with a note about an earlier visit: the opening counts as contact.
    case(queries.local_midnight(cutoff), note_on=cutoff - dt.timedelta(days=10))
    row = next(
        r
        for r in queries.caseload_by_worker(office.lead, now=now, days=DAYS)
        if r.user_id == worker.id
    )
    assert (row.active, row.no_contact) == (5, 2)

    hour = dt.timedelta(hours=1)
    case(now - 13 * hour, risk=RiskLevel.HIGH)  # emergency action missed
    case(now - 11 * hour, risk=RiskLevel.HIGH)  # not yet due
    case(now - 20 * hour, risk=RiskLevel.HIGH, acted_at=now - 19 * hour)  # on time
    case(now - 20 * hour, risk=RiskLevel.HIGH, acted_at=now - 8 * hour + dt.timedelta(seconds=1))
    compliance = queries.deadline_compliance(
        office.lead, start=local_date(now) - dt.timedelta(days=2), end=local_date(now), now=now
    )
    mine = next(u for u in compliance if u.unit_id == unit.id)
    emergency = mine.kinds["child.emergency_action"]
    assert (emergency.on_time, emergency.late, emergency.missed, emergency.pending) == (1, 1, 1, 1)
    assert emergency.share == pytest.approx(1 / 3)
    assert mine.kinds["child.plan_draft"].missed == 0


def test_no_contact_days_comes_from_the_settings(app, db, office, monkeypatch):
    monkeypatch.delenv("CASEMGR_NO_CONTACT_DAYS", raising=False)
    with app.test_request_context():
        assert queries.no_contact_days() == queries.DEFAULT_NO_CONTACT_DAYS
        monkeypatch.setenv("CASEMGR_NO_CONTACT_DAYS", "45")
        assert queries.no_contact_days() == 45
        monkeypatch.setitem(app.config, "NO_CONTACT_DAYS", 7)
        board = queries.dashboard(office.supervisor, period_days=30)
    assert board.no_contact_days == 7
    expected = sum(r.no_contact for r in queries.caseload_by_worker(
        office.supervisor, now=utcnow(), days=7))  # fmt: skip
    assert sum(r.no_contact for r in board.workers) == expected


@pytest.mark.parametrize("asked", ["-5", "7", "xyz", ""])
def test_a_period_not_offered_shows_the_default_it_uses(client, db, office, asked):
    client.login(office.supervisor)
    page = client.get("/supervision/", query_string={"period": asked}).get_data(as_text=True)
    selected = re.findall(
        r'<option[^>]*selected[^>]*value="(\d+)"|<option[^>]*value="(\d+)"[^>]*selected', page
    )
    assert ["".join(s) for s in selected] == ["90"]
