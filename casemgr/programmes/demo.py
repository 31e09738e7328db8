"""Demo intervention model for the [DEMO] province: enrolments, activities, a visit, targets."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from casemgr import clock
from casemgr.auth.models import User
from casemgr.cases.dates import case_start
from casemgr.cases.models import Case
from casemgr.cases.policy import case_access
from casemgr.clock import utcnow
from casemgr.extensions import db
from casemgr.programmes import services
from casemgr.programmes.models import ActivityKind, Finding, Indicator

# (days ago, kind, title, men, women, unspecified, minutes)
DEMO_ACTIVITIES = (
    (200, ActivityKind.STAFF_TRAINING, "[DEMO] Tập huấn quản lý trường hợp", 6, 14, 0, 960),
    (
        120,
        ActivityKind.COMMUNITY_SESSION,
        "[DEMO] Truyền thông phòng chống bạo lực",
        18,
        31,
        4,
        120,
    ),
    (60, ActivityKind.COMMUNITY_SESSION, "[DEMO] Sinh hoạt nhóm cha mẹ", 7, 22, 0, 90),
    (30, ActivityKind.STAFF_TRAINING, "[DEMO] Tập huấn kỹ năng tham vấn", 3, 11, 1, 480),
)
DEMO_TARGETS = {
    Indicator.PERSONS_ENROLLED: 10,
    Indicator.PERSONS_ASSISTED: 8,
    Indicator.COMMUNITY_SESSIONS: 6,
    Indicator.SESSION_PARTICIPANTS: 150,
    Indicator.STAFF_TRAINED: 40,
    Indicator.MONITORING_VISITS: 2,
}


def load_demo_programmes(users: dict[str, User]) -> None:
    """One provincial child-protection model serving the demo communes, with results."""
    lead, worker = users["demo.lead"], users["demo.worker1"]
    province_unit = lead.roles[0].unit
    commune_unit = worker.roles[0].unit
    today = clock.today()
    model = services.create_model(
        lead,
        name="[DEMO] Mô hình bảo vệ trẻ em dựa vào cộng đồng",
        group_code="child",
        unit=province_unit,
        starts_on=dt.date(today.year - 1, 1, 1),
        ends_on=None,
        areas=list(province_unit.areas),
        description="[DEMO] Dữ liệu mẫu.",
    )
    area = (commune_unit.areas or province_unit.areas)[0]  # a commune the model serves
    for days, kind, title, men, women, unspecified, minutes in DEMO_ACTIVITIES:
        services.record_activity(
            lead, model, kind=kind, held_on=today - dt.timedelta(days=days), area=area,
            title=title, men=men, women=women, unspecified=unspecified, duration_minutes=minutes,
        )  # fmt: skip
    services.record_visit(lead, model, visited_on=today - dt.timedelta(days=45),
                          unit=commune_unit, finding=Finding.NEEDS_IMPROVEMENT)  # fmt: skip
    services.set_targets(lead, model, today.year, dict(DEMO_TARGETS))
    child_cases = db.session.scalars(
        select(Case).where(Case.owner_id == worker.id, Case.group_code == "child")
    )
    for case in child_cases:
        access = case_access(worker, case, None, utcnow())
        # Three months ago, or the day the case was opened if later (never before the case).
        enrolled_on = max(today - dt.timedelta(days=90), case_start(case).day)
        services.enrol_case(worker, case, access, model, enrolled_on)
