"""Fixtures for case tests: a province with two commune offices, their people and a case."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.cases import services
from casemgr.cases.models import Case, ProtectionLevel, RiskLevel
from casemgr.cases.policy import case_access
from casemgr.cases.queries import live_grant
from casemgr.clock import local_midnight, utcnow
from casemgr.org.models import Unit, UnitKind
from casemgr.people.services import register_person


@dataclass
class Casework:
    province: Unit
    commune: Unit
    other_commune: Unit
    worker: User  # owns the case
    colleague: User  # same commune, not on the case
    supervisor: User  # supervises the commune
    lead: User  # provincial supervisor
    outsider: User  # social worker of the other commune
    other_supervisor: User  # supervisor of the other commune
    auditor: User
    admin: User
    case: Case

    def access(self, user: User, case: Case | None = None):
        case = case or self.case
        return case_access(user, case, live_grant(user, case.id), utcnow())


def backdate(case: Case, to: dt.date) -> Case:
    """Make `case` opened on `to` (if it was opened later): facts recorded on a case may not be
    dated before it was opened (casemgr/cases/dates.py), so a test that records older facts
    on a case opened today says when the case began."""
    from casemgr.extensions import db

    case.opened_at = min(case.opened_at, local_midnight(to))
    db.session.flush()
    return case


def open_child_case(
    worker: User,
    unit: Unit,
    *,
    surname: str = "Nguyễn",
    given: str = "Lan",
    middle: str = "Thị",
    opened_at: dt.datetime | None = None,
) -> Case:
    person = register_person(
        worker, sex="female", birth_year=2015, surname=surname, middle_name=middle, given_name=given
    )
    return services.open_case(
        worker,
        person=person,
        group_code="child",
        sub_groups=[],
        protection_level=ProtectionLevel.INTERVENTION,
        risk_level=RiskLevel.HIGH,
        unit=unit,
        summary="Báo cáo ban đầu: trẻ bị bạo lực.",
        opened_at=opened_at,
    )


@pytest.fixture
def casework(make) -> Casework:
    province = make.unit(kind=UnitKind.PROVINCIAL_DEPARTMENT)
    commune, other_commune = make.unit(province), make.unit(province)
    worker = make.user(Role.SOCIAL_WORKER, commune)
    case = open_child_case(worker, commune)
    return Casework(
        province=province,
        commune=commune,
        other_commune=other_commune,
        worker=worker,
        colleague=make.user(Role.SOCIAL_WORKER, commune),
        supervisor=make.user(Role.SUPERVISOR, commune),
        lead=make.user(Role.SUPERVISOR, province),
        outsider=make.user(Role.SOCIAL_WORKER, other_commune),
        other_supervisor=make.user(Role.SUPERVISOR, other_commune),
        auditor=make.user(Role.AUDITOR, province),
        admin=make.user(Role.ADMINISTRATOR, province),
        case=case,
    )


def record_detailed_assessment(user: User, case: Case) -> None:
    """The detailed assessment (form 03) that a plan needs before it is submitted."""
    from casemgr.cases.models import AssessmentKind

    access = case_access(user, case, live_grant(user, case.id), utcnow())
    services.record_assessment(
        user, case, access, kind=AssessmentKind.DETAILED, risk_rating=None,
        answers={"needs": "Cần hỗ trợ học tập và bữa trưa."},
    )  # fmt: skip
