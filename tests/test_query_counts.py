"""Query-count pins: the SQL statements of each main page, whatever the amount of data.

Each page is asked for once with a little data, and again after more of everything it lists
was added (cases, notes by several authors, assessments, audit events); both counts must equal
the pinned number. A query per row (an N+1) adds statements with the rows and fails here, as
does a new query on every page. The session expires its objects at each commit, as in
production, so a reload after the edge commit counts too. Timings live in bench/, not here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from sqlalchemy import event

from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.cases import services
from casemgr.cases.models import AssessmentKind, Case, NoteKind, RiskLevel
from casemgr.cases.policy import case_access
from casemgr.cases.queries import live_grant
from casemgr.clock import local_date, utcnow
from casemgr.org.models import UnitKind
from tests.cases.conftest import open_child_case

# Statements per page (the same on SQLite and PostgreSQL). Each request pays 2 of them: its
# session with the user and the user's roles (one statement), and the header's count of
# unread notifications; appending its audit events costs 3, however many (audit/recorder.py).
PINS = {
    "worker caseload": 11,  # the rows without their sub-groups and co-workers (not shown)
    # 19 + the intake reports the case came from or was linked to + its overdue plan actions
    # (the stored deadlines the task lists read)
    "worker case page": 21,
    "worker person page": 11,
    "worker dashboard": 21,
    "supervisor caseload": 11,
    # Each read of a subtree's cases first looks up the supervisor's own cases outside it
    # (cases.queries.visible_cases): +2 on the home dashboard, +4 on supervision, +1 a report.
    "supervisor dashboard": 18,
    "supervision dashboard": 16,
    "report table": 6,  # the layout is counted with its margins, in one statement
    "audit search": 8,
}


@contextmanager
def counted(engine) -> Iterator[list[str]]:
    """The statements the engine sends inside the block (a before_cursor_execute listener)."""
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            statements.append(statement)  # the test harness's savepoints, not the app's

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", seen)


@dataclass
class Office:
    """Ids and sign-in details only: the session expires objects at every commit."""

    commune_id: int
    worker: SimpleNamespace
    colleague: SimpleNamespace
    supervisor: SimpleNamespace
    auditor: SimpleNamespace
    case_ids: list[int] = field(default_factory=list)
    person_ids: list[int] = field(default_factory=list)


def _login_details(user: User) -> SimpleNamespace:
    return SimpleNamespace(
        id=user.id,
        username=user.username,
        test_password=user.test_password,
        test_totp_secret=user.test_totp_secret,
    )


def _access(user: User, case: Case):
    return case_access(user, case, live_grant(user, case.id), utcnow())


def grow(db, office: Office, cases: int) -> None:
    """Add cases (each with a note and an assessment), and notes by two authors on the first."""
    from casemgr.org.models import Unit

    worker = db.session.get(User, office.worker.id)
    colleague = db.session.get(User, office.colleague.id)
    commune = db.session.get(Unit, office.commune_id)
    today = local_date(utcnow())
    for _ in range(cases):
        case = open_child_case(worker, commune, given=f"Lan{len(office.case_ids)}")
        office.case_ids.append(case.id)
        office.person_ids.append(case.person_id)
        services.add_note(
            worker, case, _access(worker, case), kind=NoteKind.VISIT, occurred_on=today,
            body="Thăm hộ gia đình.",
        )  # fmt: skip
        services.record_assessment(
            worker, case, _access(worker, case), kind=AssessmentKind.INITIAL,
            risk_rating=RiskLevel.MEDIUM, answers={"needs": "Hỗ trợ học tập."},
        )  # fmt: skip
    first = db.session.get(Case, office.case_ids[0])
    if colleague.id not in first.worker_ids():
        services.set_co_worker(worker, first, _access(worker, first), colleague, on=True)
    for author in (worker, colleague, worker):
        services.add_note(
            author, first, _access(author, first), kind=NoteKind.PHONE, occurred_on=today,
            body="Gọi điện cho gia đình.",
        )  # fmt: skip
    db.session.commit()


@pytest.fixture
def production_session(db):
    """The test's session expiring objects at each commit, like the app's own session."""
    db.session.remove()
    db.session.configure(expire_on_commit=True)
    return db


@pytest.fixture
def office(production_session, make) -> Office:
    db = production_session
    province = make.unit(kind=UnitKind.PROVINCIAL_DEPARTMENT)
    commune = make.unit(province)
    users = {
        "worker": make.user(Role.SOCIAL_WORKER, commune),
        "colleague": make.user(Role.SOCIAL_WORKER, commune),
        "supervisor": make.user(Role.SUPERVISOR, commune),
        "auditor": make.user(Role.AUDITOR, province),
    }
    details = {name: _login_details(user) for name, user in users.items()}
    result = Office(commune_id=commune.id, **details)
    grow(db, result, cases=2)
    return result


def _pages(office: Office) -> dict[str, tuple[str, str]]:
    """Page name -> (who asks, URL)."""
    case_id, person_id = office.case_ids[0], office.person_ids[0]
    return {
        "worker caseload": ("worker", "/cases/"),
        "worker case page": ("worker", f"/cases/{case_id}"),
        "worker person page": ("worker", f"/people/{person_id}"),
        "worker dashboard": ("worker", "/dashboard"),
        "supervisor caseload": ("supervisor", "/cases/"),
        "supervisor dashboard": ("supervisor", "/dashboard"),
        "supervision dashboard": ("supervisor", "/supervision/"),
        "report table": ("supervisor", "/reports/?rows=area&cols=sex"),
        "audit search": ("auditor", "/audit/events?action=case.view"),
    }


def _counts(app, db, clients: dict, office: Office) -> dict[str, int]:
    found = {}
    for name, (who, url) in _pages(office).items():
        client = clients[who]
        assert client.get(url).status_code == 200, url  # warm: the first request differs
        with counted(db.engine) as statements:
            response = client.get(url)
        assert response.status_code == 200, url
        found[name] = len(statements)
    return found


def test_main_pages_run_a_pinned_number_of_statements_whatever_the_data(app, office):
    from casemgr.extensions import db

    clients = {}
    for who in ("worker", "supervisor", "auditor"):
        clients[who] = app.test_client()
        clients[who].login(getattr(office, who))
    small = _counts(app, db, clients, office)
    grow(db, office, cases=5)
    large = _counts(app, db, clients, office)
    assert small == large == PINS
