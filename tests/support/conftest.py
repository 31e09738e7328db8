"""Fixtures for support tests: the case-work world, two communes' areas, partners, cases."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from casemgr.auth.models import User
from casemgr.cases import services as case_services
from casemgr.cases.models import Case, ProtectionLevel, RiskLevel
from casemgr.clock import local_midnight
from casemgr.org.models import Area, AreaLevel, Unit
from casemgr.org.services import set_unit_areas
from casemgr.people.registration import add_relative, record_consent
from casemgr.people.relations import ConsentGiver, ConsentScope
from casemgr.people.services import register_person
from casemgr.reference.queries import sub_groups
from casemgr.support import services
from casemgr.support.models import ServicePoint, ServicePointKind
from tests.cases.conftest import Casework, casework  # noqa: F401

DAY = dt.date(2026, 3, 2)  # a Monday
# Support cases are opened well before the facts the tests record on them (cases.dates refuses
# a service, referral or status dated before the case or the person's birth).
OPENED = local_midnight(dt.date(2025, 1, 1))


def open_case(
    worker: User,
    unit: Unit,
    group: str = "trafficking",
    *,
    birth_year: int = 1998,
    sub_group_codes: tuple[str, ...] = (),
    given: str = "Hoa",
    opened_at: dt.datetime | None = OPENED,
) -> Case:
    """A case of `group` for a newly registered person, opened on 1 January 2025 (None: now)."""
    person = register_person(
        worker, sex="female", birth_year=birth_year, surname="Lò", given_name=given
    )
    return case_services.open_case(
        worker,
        person=person,
        group_code=group,
        sub_groups=[s for s in sub_groups(group) if s.code in sub_group_codes],
        protection_level=ProtectionLevel.INTERVENTION,
        risk_level=RiskLevel.MEDIUM,
        unit=unit,
        summary=None,
        opened_at=opened_at,
    )


def consent(user: User, case: Case, given_by: ConsentGiver, on: dt.date = DAY):
    """Record a referral consent by the person or (a new) guardian."""
    relative = None
    if given_by == ConsentGiver.GUARDIAN:
        relative = add_relative(
            user,
            case.person,
            relationship_kind="mother",
            is_guardian=True,
            name="Lò Thị Mai",
            phone=None,
        )
    return record_consent(
        user,
        case.person,
        scope=ConsentScope.REFERRAL,
        given_by=given_by,
        given_on=on,
        relative=relative,
    )


@dataclass
class Support:
    """Casework with areas: the commune office serves `area`, the other one `other_area`."""

    cw: Casework
    area: Area
    other_area: Area
    shelter: ServicePoint
    reliable: ServicePoint  # a reliable address in `area`
    other_reliable: ServicePoint  # one in `other_area`
    case: Case  # a trafficking case of cw.worker

    def point(self, kind: ServicePointKind, area: Area, name: str, **values) -> ServicePoint:
        return services.create_service_point(
            self.cw.admin,
            kind=kind,
            name=name,
            area=area,
            address=values.get("address"),
            contact=values.get("contact"),
        )


@pytest.fixture
def support(casework, db) -> Support:  # noqa: F811
    communes = db.session.scalars(
        select(Area).where(Area.level == AreaLevel.COMMUNE).order_by(Area.code).limit(2)
    ).all()
    area, other_area = communes
    set_unit_areas(None, casework.commune, [area])
    set_unit_areas(None, casework.other_commune, [other_area])
    db.session.flush()
    world = Support(casework, area, other_area, None, None, None, None)  # type: ignore[arg-type]
    kinds = ServicePointKind
    world.shelter = world.point(
        kinds.SHELTER, area, "Nhà tạm lánh tỉnh", address="Số 1 đường A", contact="024 111"
    )
    world.reliable = world.point(
        kinds.RELIABLE_ADDRESS,
        area,
        "Địa chỉ tin cậy số 3",
        address="Nhà bà Sáu, xóm Đông",
        contact="0912 000 111",
    )
    world.other_reliable = world.point(
        kinds.RELIABLE_ADDRESS, other_area, "Địa chỉ tin cậy số 1", address="Xóm Tây"
    )
    world.case = open_case(casework.worker, casework.commune, sub_group_codes=("criminality",))
    return world
