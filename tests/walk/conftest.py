"""The walk's world: the demo province, a province next door, and canaries in sensitive fields."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.cases.models import Case, ProtectionLevel, RiskLevel
from casemgr.clock import utcnow
from casemgr.demo import DEMO_PASSWORD, load_demo_data
from casemgr.intake.models import IntakeReport
from casemgr.org.models import Unit, UnitKind
from casemgr.people.models import Person
from casemgr.people.services import register_person
from casemgr.reference.models import SubGroup
from tests.support.seeds import send_demo_referral
from tests.walk.crawler import Identity

OUTSIDE = "WALK-OUT"  # a commune of another province: no demo user may see it


def canary(unit_code: str) -> str:
    """The marker written into the sensitive fields of one unit's cases and persons."""
    return f"Zq{unit_code.replace('DEMO-', '').replace('-', '')}Canary"


# role -> (username, units whose case content it must not see)
ROLES = {
    "worker_c01": ("demo.worker1", ("DEMO-C02", OUTSIDE)),
    "worker_c02": ("demo.worker3", ("DEMO-C01", OUTSIDE)),
    "commune_supervisor": ("demo.sup1", ("DEMO-C02", OUTSIDE)),
    "provincial_supervisor": ("demo.lead", (OUTSIDE,)),
    # Auditors and administrators see no case content at all.
    "auditor": ("demo.auditor", ("DEMO-C01", "DEMO-C02", OUTSIDE)),
    "administrator": ("demo.admin", ("DEMO-C01", "DEMO-C02", OUTSIDE)),
}
# The unit whose objects a role's hostile submissions name (one it cannot see).
# The unit whose case content a role must meet on its walk (so the leak check is not vacuous).
OWN_UNIT = {
    "worker_c01": "DEMO-C01",
    "worker_c02": "DEMO-C02",
    "commune_supervisor": "DEMO-C01",
    "provincial_supervisor": "DEMO-C02",
}
FOREIGN_UNIT = {
    "worker_c01": "DEMO-C02",
    "worker_c02": "DEMO-C01",
    "commune_supervisor": "DEMO-C02",
}


@dataclass
class WalkWorld:
    identities: dict[str, Identity]


def _outside_case(make, db) -> None:
    from casemgr.cases.services import open_case

    province = make.unit(kind=UnitKind.PROVINCIAL_DEPARTMENT, code="WALK-PROV")
    unit = make.unit(province, code=OUTSIDE)
    worker = make.user(Role.SOCIAL_WORKER, unit, username="walk.outsider")
    person = register_person(
        worker,
        sex="female",
        birth_year=2013,
        surname="Vũ",
        given_name="An",
        registered_unit_id=unit.id,
        registered_by_id=worker.id,
    )
    sub = db.session.scalars(select(SubGroup).where(SubGroup.group_code == "child")).first()
    open_case(
        worker,
        person=person,
        group_code="child",
        sub_groups=[sub],
        protection_level=ProtectionLevel.SUPPORT,
        risk_level="high",
        unit=unit,
        summary="Ngoài tỉnh.",
    )


def _walk_children() -> None:
    """A registered child in each demo commune whose name is what the walk types into a search
    ("Walk kiểm tra"), so that an intake report's person search leads to its open-case page;
    registered twice (the second time without a birth year), so that the search of a person
    page's same-person link finds the other registration and the walk compares, links and
    unlinks them."""
    for username in ("demo.worker1", "demo.worker3"):
        worker = db_user(username)
        unit = worker.roles[0].unit
        for born in (2016, None):
            register_person(worker, sex="female", birth_year=born, surname="Walk",
                            middle_name="Kiểm", given_name="Tra", registered_unit_id=unit.id,
                            registered_by_id=worker.id)  # fmt: skip


def db_user(username: str) -> User:
    from casemgr.extensions import db

    return db.session.scalar(select(User).where(User.username == username))


@pytest.fixture
def walk_world(make, db, app, monkeypatch) -> WalkWorld:
    """Demo data in the test's transaction, canaries in every case and person, background
    exports run inline (a thread could not see the test's uncommitted data), short pages."""
    load_demo_data()
    # Two rows a page: the demo's lists then have pages, and the walk follows their pagers
    # (the reassignment list's are buttons of its form, which keep the ticks across pages).
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    # One overdue deadline: demo.worker1's high-risk child case taken in a day ago, its 12 hours
    # for emergency action passed. The overdue lists, the dashboards' per-worker counts and the
    # overdue page of one worker then have rows and links to walk.
    late = db.session.scalar(
        select(Case)
        .join(User, User.id == Case.owner_id)
        .where(User.username == "demo.worker1", Case.group_code == "child",
               Case.risk_level == RiskLevel.HIGH)
    )  # fmt: skip
    late.opened_at = utcnow() - dt.timedelta(days=1)
    for username in ("demo.worker1", "demo.worker3"):
        send_demo_referral(username)  # its letter is a page to walk
    _outside_case(make, db)
    for case in db.session.scalars(select(Case)):
        unit = db.session.get(Unit, case.unit_id)
        mark = canary(unit.code)
        case.summary = f"{case.summary or ''} {mark}"
        person = db.session.get(Person, case.person_id)
        person.middle_name = f"{person.middle_name or ''} {mark}".strip()
        person.note = f"Ghi chú {mark}"
        person.street_address = f"Số 1 {mark}"
    _walk_children()
    for report in db.session.scalars(select(IntakeReport)):
        mark = canary(db.session.get(Unit, report.unit_id).code)
        report.situation = f"{report.situation} {mark}"
        report.reporter_contact = f"0912 {mark}"
    db.session.flush()
    identities = {}
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    for role, (username, hidden) in ROLES.items():
        user = db.session.scalar(select(User).where(User.username == username))
        foreign = units[FOREIGN_UNIT.get(role, OUTSIDE)]
        case = db.session.scalar(select(Case).where(Case.unit_id == foreign.id).limit(1))
        other = db.session.scalar(select(User).where(User.id == case.owner_id))
        identities[role] = Identity(
            role=role,
            username=username,
            password=DEMO_PASSWORD,
            user_id=user.id,
            forbidden={canary(code): f"case content of {code}" for code in hidden},
            expected=(canary(OWN_UNIT[role]),) if role in OWN_UNIT else (),
            foreign_ids={
                "case": case.id,
                "person": case.person_id,
                "unit": foreign.id,
                "user": other.id,
            },
        )
    db.session.commit()
    yield WalkWorld(identities)
