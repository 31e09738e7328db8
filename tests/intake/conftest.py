"""Fixtures for intake tests: a province with two commune offices and their people."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.intake.models import IntakeReport, IntakeSource
from casemgr.intake.services import ReportData, receive_report
from casemgr.org.models import Unit, UnitKind

CANARY = "ZqIntakeCanary"


def report_data(**changes) -> ReportData:
    """A complete report; each sensitive field holds the canary (and its own name)."""
    values = {
        "situation": f"Trẻ bị đánh nhiều lần {CANARY}-situation",
        "location": f"Thôn 3, xã An Bình {CANARY}-location",
        "child_name": f"Nguyễn Văn Bé {CANARY}-child_name",
        "child_details": f"Khoảng 8 tuổi, nam {CANARY}-child_details",
        "carers": f"Bố dượng {CANARY}-carers",
        "reporter_name": f"Trần Thị Hàng Xóm {CANARY}-reporter_name",
        "reporter_contact": f"0912 345 678 {CANARY}-reporter_contact",
        "reporter_consents": True,
        "is_emergency": True,
    }
    values.update(changes)
    return ReportData(**values)


@dataclass
class Intake:
    province: Unit
    commune: Unit
    other_commune: Unit
    worker: User
    colleague: User
    supervisor: User
    lead: User
    outsider: User
    auditor: User
    admin: User

    def receive(self, received_at: dt.datetime | None = None, **changes) -> IntakeReport:
        return receive_report(
            report_data(received_at=received_at, **changes),
            unit=self.commune,
            source=IntakeSource.HOTLINE,
            received_by=self.worker,
        )


@pytest.fixture
def intake(make) -> Intake:
    province = make.unit(kind=UnitKind.PROVINCIAL_DEPARTMENT)
    commune, other_commune = make.unit(province), make.unit(province)
    return Intake(
        province=province,
        commune=commune,
        other_commune=other_commune,
        worker=make.user(Role.SOCIAL_WORKER, commune),
        colleague=make.user(Role.SOCIAL_WORKER, commune),
        supervisor=make.user(Role.SUPERVISOR, commune),
        lead=make.user(Role.SUPERVISOR, province),
        outsider=make.user(Role.SOCIAL_WORKER, other_commune),
        auditor=make.user(Role.AUDITOR, province),
        admin=make.user(Role.ADMINISTRATOR, province),
    )
