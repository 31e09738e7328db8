"""Demo partners for the [DEMO] province: service points for every target group, and what a
referral needs on the demo cases (referral consents; a victim status for the trafficking case),
so that a new user can make a referral out of the box."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from casemgr import clock
from casemgr.auth.models import User
from casemgr.cases.models import Case
from casemgr.cases.policy import case_access
from casemgr.clock import utcnow
from casemgr.extensions import db
from casemgr.org.models import Area
from casemgr.people.registration import add_relative, record_consent
from casemgr.people.relations import ConsentGiver, ConsentScope, Relationship
from casemgr.support import eligibility
from casemgr.support.models import ServicePoint, ServicePointKind, VictimStatus
from casemgr.support.services import (
    create_service_point,
    record_trafficking_status,
    update_service_point,
)

K = ServicePointKind
# (group it serves, kind, name, in the first commune rather than the province)
DEMO_POINTS = (
    ("child", K.SOCIAL_PROTECTION_CENTRE, "[DEMO] Trung tâm Công tác xã hội tỉnh", False),
    ("child", K.SCHOOL, "[DEMO] Trường THCS xã", True),
    ("trafficking", K.SHELTER, "[DEMO] Cơ sở hỗ trợ nạn nhân bị mua bán", False),
    ("trafficking", K.LEGAL_AID_CENTRE, "[DEMO] Trung tâm Trợ giúp pháp lý nhà nước", False),
    ("drugs", K.HEALTH_FACILITY, "[DEMO] Cơ sở điều trị Methadone tỉnh", False),
    ("drugs", K.VOCATIONAL_TRAINING, "[DEMO] Trung tâm Giáo dục nghề nghiệp", False),
    ("sex_work", K.NGO, "[DEMO] Nhóm tự lực hỗ trợ cộng đồng", False),
    ("sex_work", K.HEALTH_FACILITY, "[DEMO] Phòng khám ngoại trú HIV", False),
    ("violence", K.RELIABLE_ADDRESS, "[DEMO] Địa chỉ tin cậy số 1", True),
    ("violence", K.POLICE, "[DEMO] Công an xã", True),
    ("violence", K.HEALTH_FACILITY, "[DEMO] Trạm y tế xã", True),
)
CONSENT_DAYS_AGO = 30


def load_demo_points(admin: User, province: Area, commune: Area) -> list[ServicePoint]:
    """The demo partners, serving their groups; once: when [DEMO] points exist, only those
    without groups (a demo loaded before points kept them) get theirs. The points added or
    changed are returned."""
    existing = {
        p.name: p
        for p in db.session.scalars(select(ServicePoint).where(ServicePoint.name.like("[DEMO]%")))
    }
    if existing:
        return [_fill_groups(admin, existing[name], group)
                for group, _kind, name, _in_commune in DEMO_POINTS
                if name in existing and not existing[name].groups]  # fmt: skip
    return [
        create_service_point(
            admin,
            kind=kind,
            name=name,
            area=commune if in_commune else province,
            address=None if kind == K.RELIABLE_ADDRESS else "[DEMO] Địa chỉ mẫu",
            contact="[DEMO] 0200 000 000",
            groups=[group],
        )
        for group, kind, name, in_commune in DEMO_POINTS
    ]


def _fill_groups(admin: User, point: ServicePoint, group: str) -> ServicePoint:
    update_service_point(
        admin, point, kind=point.kind, name=point.name, area=point.area, address=point.address,
        contact=point.contact, is_active=point.is_active, groups=[group],
    )  # fmt: skip
    return point


def prepare_demo_referrals(workers: list[User]) -> None:
    """Referral consents for the persons of the workers' demo cases (a guardian's too for a
    child of 7 or more), and an identified-victim status on trafficking cases."""
    given_on = clock.today() - dt.timedelta(days=CONSENT_DAYS_AGO)
    for worker in workers:
        for case in db.session.scalars(select(Case).where(Case.owner_id == worker.id)):
            person = case.person
            record_consent(
                worker, person, scope=ConsentScope.REFERRAL, given_by=ConsentGiver.SUBJECT,
                given_on=given_on,
            )  # fmt: skip
            if case.group_code == "child":
                mother = add_relative(
                    worker, person, relationship_kind=Relationship.MOTHER, is_guardian=True,
                    name="[DEMO] Mẹ", phone=None,
                )  # fmt: skip
                record_consent(
                    worker, person, scope=ConsentScope.REFERRAL, given_by=ConsentGiver.GUARDIAN,
                    given_on=given_on, relative=mother,
                )  # fmt: skip
            if case.group_code == eligibility.TRAFFICKING:
                record_trafficking_status(
                    worker, case, case_access(worker, case, None, utcnow()),
                    status=VictimStatus.IDENTIFIED, valid_from=given_on,
                )  # fmt: skip
