"""Fixtures for report tests: a province of two communes with generated, varied cases."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

import pyotp
import pytest
from sqlalchemy import select

from casemgr.auth import mfa
from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.cases.models import Case, ProtectionLevel, RiskLevel
from casemgr.cases.services import open_case
from casemgr.clock import utcnow
from casemgr.demo import DEMO_PASSWORD, load_demo_data
from casemgr.groups.policy import closure_reasons
from casemgr.org.models import Area, Unit, UnitKind
from casemgr.people.services import register_person
from casemgr.reference.models import Ethnicity, SubGroup, TargetGroup
from casemgr.support.models import (
    Referral,
    ReferralStatus,
    ServiceDelivery,
    ServicePoint,
    ServicePointKind,
    ServiceType,
)

YEAR = 2026
GROUPS = ("child", "trafficking", "drug", "sex_work", "violence")


@dataclass
class Province:
    province: Unit
    commune: Unit
    other_commune: Unit
    lead: User  # provincial supervisor
    supervisor: User  # commune supervisor
    worker: User
    cases: list[Case]


def _utc(day: dt.date, hour: int = 3) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


@pytest.fixture
def province(make, db) -> Province:
    rng = random.Random(7)
    province = make.unit(kind=UnitKind.PROVINCIAL_DEPARTMENT)
    commune, other = make.unit(province), make.unit(province)
    workers = {commune.id: make.user(Role.SOCIAL_WORKER, commune),
               other.id: make.user(Role.SOCIAL_WORKER, other)}  # fmt: skip
    areas = list(db.session.scalars(select(Area.id).where(Area.level == "commune").limit(3)))
    ethnicities = list(db.session.scalars(select(Ethnicity.code).limit(3)))
    groups = [g for g in GROUPS if db.session.get(TargetGroup, g)]
    sub_groups = {
        g: list(db.session.scalars(select(SubGroup).where(SubGroup.group_code == g).limit(3)))
        for g in groups
    }
    types = {
        g: list(db.session.scalars(select(ServiceType).where(ServiceType.group_code == g).limit(3)))
        for g in groups
    }
    partner = ServicePoint(kind=ServicePointKind.SHELTER, name="Đối tác thử", area_id=areas[0])
    db.session.add(partner)
    db.session.flush()
    cases = []
    # Closure reasons from a generator of their own (the others' draws stay as they were); a
    # few closed cases have none, as those closed before reasons were recorded.
    reasons = random.Random(11)
    for number in range(70):
        unit = commune if number % 3 else other
        worker = workers[unit.id]
        group = rng.choice(groups)
        person = register_person(
            worker,
            sex=rng.choice(["male", "female", "female", "unknown"]),
            birth_year=rng.choice([None, *range(1950, 2026)]),
            ethnicity_code=rng.choice([None, *ethnicities]),
            area_id=rng.choice([None, *areas]),
            surname="Nguyễn",
            given_name=f"Lan{number}",
        )
        chosen = rng.sample(sub_groups[group], k=rng.randint(0, min(2, len(sub_groups[group]))))
        case = open_case(
            worker,
            person=person,
            group_code=group,
            sub_groups=chosen,
            protection_level=ProtectionLevel.SUPPORT,
            risk_level=rng.choice(list(RiskLevel)),
            unit=unit,
            summary=None,
        )
        opened = dt.date(rng.choice([YEAR - 1, YEAR]), rng.randint(1, 12), rng.randint(1, 28))
        case.opened_at = _utc(opened, rng.choice([1, 20]))  # 20:00 UTC is the next day locally
        if rng.random() < 0.3:
            closed = opened + dt.timedelta(days=rng.randint(1, 200))
            case.closed_at = _utc(closed)
            case.status = "closed"
            case.closure_reason = reasons.choice([None, *closure_reasons(case)])
        for _ in range(rng.randint(0, 3)):
            delivered = opened + dt.timedelta(days=rng.randint(0, 120))
            delivery = ServiceDelivery(case_id=case.id, person_id=person.id,
                                       service_type_id=rng.choice(types[group]).id,
                                       delivered_on=delivered, author_id=worker.id)  # fmt: skip
            db.session.add(delivery)
        if rng.random() < 0.4:
            sent = opened + dt.timedelta(days=rng.randint(0, 60))
            db.session.add(Referral(case_id=case.id, person_id=person.id, partner_id=partner.id,
                                    service_type_id=types[group][0].id,
                                    status=rng.choice(list(ReferralStatus)), sent_on=sent,
                                    answer_due_on=sent + dt.timedelta(days=5),
                                    sent_by_id=worker.id))  # fmt: skip
        cases.append(case)
    db.session.flush()
    return Province(
        province=province,
        commune=commune,
        other_commune=other,
        lead=make.user(Role.SUPERVISOR, province),
        supervisor=make.user(Role.SUPERVISOR, commune),
        worker=workers[commune.id],
        cases=cases,
    )


@pytest.fixture
def demo(db) -> dict[str, User]:
    """The demo province, with every demo user's second factor enrolled for the test client."""
    load_demo_data()
    users = {u.username: u for u in db.session.scalars(select(User).where(User.is_demo))}
    for user in users.values():
        user.test_password = DEMO_PASSWORD
        user.test_totp_secret = pyotp.random_base32()
        mfa.store_secret(user, user.test_totp_secret)
        user.mfa_enrolled_at = utcnow()
    db.session.flush()
    return users
