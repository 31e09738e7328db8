"""Every route is declared (A4) and answers every role as the access matrix says (A1)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from casemgr.audit.models import AuditEvent
from casemgr.auth.roles import Role
from casemgr.clock import utcnow
from casemgr.web.access import ACCESS_ATTR

MATRIX_FILE = Path(__file__).with_name("access_matrix.txt")
ROLES = ("anonymous", *[role.value for role in Role])
# Flask's own static views cannot carry a decorator; they are public by this explicit list.
PUBLIC_BY_LIST = {"static", "bootstrap.static"}


@dataclass(frozen=True)
class Row:
    endpoint: str
    method: str
    relation: str
    expected: dict[str, int]


def load_matrix() -> list[Row]:
    rows = []
    for line in MATRIX_FILE.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        endpoint, method, relation, *codes = line.split()
        assert len(codes) == len(ROLES), line
        rows.append(Row(endpoint, method, relation, dict(zip(ROLES, map(int, codes), strict=True))))
    return rows


MATRIX = load_matrix()


# Bookkeeping that a GET may write: its own audit event (and the head counter that moves with
# it) and the session's last-seen time.
# and an API token's last-use time.
BOOKKEEPING_TABLES = {
    "audit_events",
    "audit_head",
    "user_sessions",
    "api_tokens",
    "alembic_version",
}
# Large reference data: compared by row count only, to keep the test fast.
COUNTED_TABLES = {"areas"}


def fingerprint(db) -> dict[str, object]:
    """Every row of every domain table (A5: a GET must change none of them)."""
    state: dict[str, object] = {}
    for table in db.metadata.sorted_tables:
        if table.name in BOOKKEEPING_TABLES:
            continue
        if table.name in COUNTED_TABLES:
            state[table.name] = db.session.scalar(select(func.count()).select_from(table))
        else:
            state[table.name] = sorted(
                map(tuple, db.session.execute(select(table)).all()), key=repr
            )
    return state


def routes(app) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_route_declares_its_access(app):
    undeclared = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint not in PUBLIC_BY_LIST and not getattr(view, ACCESS_ATTR, None)
    ]
    assert undeclared == []


def test_matrix_covers_every_route_and_nothing_else(app):
    listed = {(row.endpoint, row.method) for row in MATRIX}
    assert routes(app) - listed == set(), "routes missing from tests/access_matrix.txt"
    assert listed - routes(app) == set(), "matrix rows for routes that do not exist"


@dataclass
class World:
    """The objects URLs point at: a case and its person in one commune, another commune."""

    case_unit: object
    other_unit: object
    owner: object
    targets: dict


@pytest.fixture
def world(make) -> World:
    from casemgr.people.services import register_person
    from tests.cases.conftest import open_child_case
    from tests.programmes.factories import add_model

    province = make.unit()
    case_unit, other_unit = make.unit(province), make.unit(province)
    owner = make.user(Role.SOCIAL_WORKER, case_unit)
    case = open_child_case(owner, case_unit)
    person = register_person(
        owner,
        sex="male",
        given_name="Minh",
        registered_unit_id=case_unit.id,
        registered_by_id=owner.id,
    )
    # The other registration of the same-person link routes: a second person of the unit.
    other_person = register_person(
        owner,
        sex="male",
        given_name="Minh",
        birth_year=2001,
        registered_unit_id=case_unit.id,
        registered_by_id=owner.id,
    )
    target_user = make.user(Role.SOCIAL_WORKER, other_unit)
    targets = {
        "user_id": target_user.id,
        "assignment_id": target_user.roles[0].id,
        "unit_id": other_unit.id,
        "change": "disable",
        "filename": "css/casemgr.css",
        "case_id": case.id,
        "person_id": person.id,
        "other_id": other_person.id,
        "alert_id": alert_about(make, target_user),
        "model_id": add_model(case_unit, owner).id,
        # The correction routes' record: a note on the case (casemgr/corrections).
        "kind": "note",
        "record_id": note_on(owner, case),
        "referral_id": referral_on(make, owner, case),
        "token_id": token_of(target_user),
        "report_id": report_for(owner, case_unit),
        "key": "an-unknown-job-key",
        # The API's intake status route: a number no report has (intake tokens only).
        "number": "TN-NONE-2026-0001",
    }
    return World(case_unit, other_unit, owner, targets)


def note_on(owner, case) -> int:
    """A note on the case (the correction routes' target)."""
    from casemgr.cases.policy import case_access
    from casemgr.cases.services import add_note
    from casemgr.clock import today

    access = case_access(owner, case, None, utcnow())
    return add_note(owner, case, access, kind="visit", occurred_on=today(), body="Thăm").id


def referral_on(make, owner, case) -> int:
    """A referral of the case (the API's referral routes' target), written directly."""
    import datetime as dt

    from casemgr.org.models import Area
    from casemgr.support.models import Referral, ServicePoint, ServicePointKind, ServiceType

    area = make.db.session.scalar(select(Area).limit(1))
    partner = ServicePoint(kind=ServicePointKind.SHELTER, name="Nhà tạm lánh", area_id=area.id)
    service_type = make.db.session.scalar(
        select(ServiceType).where(ServiceType.group_code == case.group_code).limit(1)
    )
    make.db.session.add(partner)
    make.db.session.flush()
    day = dt.date(2026, 3, 2)
    referral = Referral(case_id=case.id, person_id=case.person_id, partner_id=partner.id,
                        service_type_id=service_type.id, sent_on=day, answer_due_on=day,
                        sent_by_id=owner.id)  # fmt: skip
    make.db.session.add(referral)
    make.db.session.flush()
    return referral.id


def token_of(user) -> int:
    """A live API token of `user` (the token revocation route's target)."""
    import datetime as dt

    from casemgr.clock import today
    from casemgr.tokens.services import create_token

    expires_on = today() + dt.timedelta(days=5)
    token, _value = create_token(
        user, name="matrix", scopes=["read"], expires_on=expires_on, today=today()
    )
    return token.id


def api_token(user) -> str:
    """A token with every scope the user may hold but intake (the role decides the rest)."""
    import datetime as dt

    from casemgr.clock import today
    from casemgr.tokens.services import allowed_scopes, create_token

    scopes = [s.value for s in allowed_scopes(user) if s != "intake"]
    expires_on = today() + dt.timedelta(days=5)
    _token, value = create_token(
        user, name="matrix", scopes=scopes, expires_on=expires_on, today=today()
    )
    return value


def report_for(owner, unit) -> int:
    """An intake report received by `owner` for their commune (the intake routes' target)."""
    from casemgr.intake.models import IntakeSource
    from casemgr.intake.services import ReportData, receive_report

    data = ReportData(situation="Trẻ bị bỏ đói.", location="Thôn 1")
    return receive_report(data, unit=unit, source=IntakeSource.WALK_IN, received_by=owner).id


def alert_about(make, user) -> int:
    """An open audit alert about `user` (the alert routes' target)."""
    from casemgr.audit.models import AlertKind, AuditAlert

    now = utcnow()
    alert = AuditAlert(key="matrix", kind=AlertKind.OFF_HOURS, actor_id=user.id, window_start=now,
                       window_end=now, event_count=1, first_seq=1, last_seq=1)  # fmt: skip
    make.db.session.add(alert)
    make.db.session.flush()
    return alert.id


def acting_user(make, world: World, role: str, relation: str):
    """A user of `role` standing in `relation` to the objects of the URL.

    own: the user's own object (a social worker owns the case and registered the person;
    other roles work in its unit); unit: same unit, not the user's own; other: another unit;
    "-": no object (the user works in the case's unit).
    """
    if role == "social_worker" and relation == "own":
        return world.owner
    unit = world.other_unit if relation == "other" else world.case_unit
    unit = make.db.session.get(type(unit), unit.id)  # requests closed the session it came from
    return make.user(Role(role), unit, mfa_enrolled=role != "social_worker")


def build_url(app, endpoint: str, targets: dict) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = {name: targets[name] for name in rule.arguments}
    if endpoint == "bootstrap.static":
        values["filename"] = "css/bootstrap.min.css"
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **values)


# L1: every refusal is audited, and so is every allowed read of case, person or audit data.
AUDITED_READS = ("cases.", "people.", "audit.", "intake.", "api.")
# Pages that show no case or person data (empty forms).
SHOW_NO_DATA = {"cases.break_glass", "people.register", "intake.new"}


def assert_audited(db, row: Row, user, after_seq: int, status: int) -> None:
    outcomes = set(
        db.session.scalars(
            select(AuditEvent.outcome).where(
                AuditEvent.seq > after_seq, AuditEvent.actor_id == user.id
            )
        )
    )
    where = f"{user.roles[0].role} {row.method} {row.endpoint} ({status})"
    if status in (403, 404):
        assert "denied" in outcomes, f"refusal not audited: {where}"
    reads_data = row.endpoint.startswith(AUDITED_READS) and row.endpoint not in SHOW_NO_DATA
    if row.method == "GET" and status == 200 and reads_data:
        assert "allowed" in outcomes, f"read not audited: {where}"


@pytest.mark.parametrize("row", MATRIX, ids=lambda row: f"{row.endpoint}-{row.method}")
def test_matrix(app, client, db, make, world, row):
    url = build_url(app, row.endpoint, world.targets)
    # API routes take a token instead of a session (every scope but intake; no body).
    by_token = row.endpoint.startswith("api.")
    for role in ROLES:
        client._cookies.clear()
        headers = {}
        if role != "anonymous":
            user = acting_user(make, world, role, row.relation)
            if by_token:
                headers = {"Authorization": f"Bearer {api_token(user)}"}
            else:
                assert client.login(user).status_code == 302
        last_seq = db.session.scalar(select(func.max(AuditEvent.seq)))
        if row.method == "GET":
            before = fingerprint(db)
            response = client.get(url, headers=headers)
            assert fingerprint(db) == before, f"GET {url} changed the database ({role})"
        elif by_token:
            response = client.open(url, method=row.method, json={}, headers=headers)
        else:
            response = client.post_form(url)
        assert response.status_code == row.expected[role], f"{role} {row.method} {url}"
        if role != "anonymous":
            assert_audited(db, row, user, last_seq, response.status_code)
