"""A small world for the restore drill: one record of (nearly) every encrypted kind, canaries.

Records are made through the services; then every encrypted field of every row is set to a
canary naming its table, field and row, so a restored value can be checked exactly. Rows of
the append-only case history cannot be changed: their reasons get canaries when written.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from casemgr.auth.roles import Role
from casemgr.cases import services as case_services
from casemgr.cases import transfers
from casemgr.cases.models import AssessmentKind, CaseEvent, ProtectionLevel, RiskLevel
from casemgr.cases.policy import case_access
from casemgr.cases.queries import live_grant
from casemgr.clock import local_midnight, today, utcnow
from casemgr.crypto.fields import ENCRYPTED_MODELS
from casemgr.extensions import db
from casemgr.groups import services as group_services
from casemgr.org.models import Area, AreaLevel, UnitKind
from casemgr.org.services import set_unit_areas
from casemgr.people.registration import add_relative, record_consent
from casemgr.people.relations import ConsentGiver, ConsentScope
from casemgr.people.services import add_attachment, register_person
from casemgr.reference import queries as reference
from casemgr.supervision.models import ReassignReason
from casemgr.supervision.services import Choice, reassign_cases
from casemgr.support import queries as support_queries
from casemgr.support import referrals
from casemgr.support import services as support_services
from casemgr.support.models import ServicePointKind, ServiceType, VictimStatus
from tests.factories import Factories

PREFIX = "CANARYDRILL"
PNG = b"\x89PNG\r\n\x1a\n"


def canary(table: str, field: str, row_id: int) -> str:
    """The marker for one field of one row."""
    return f"{PREFIX}-{table}-{field}-{row_id}-x"


def _access(user, case):
    return case_access(user, case, live_grant(user, case.id), utcnow())


def _open(worker, unit, group: str, sub_groups: tuple[str, ...], n: int):
    person = register_person(
        worker, sex="male", birth_year=1990, surname=f"Lê{n}", middle_name="Văn", given_name="Hùng"
    )
    return case_services.open_case(
        worker,
        person=person,
        group_code=group,
        sub_groups=[s for s in reference.sub_groups(group) if s.code in sub_groups],
        protection_level=ProtectionLevel.SUPPORT,
        risk_level=RiskLevel.MEDIUM,
        unit=unit,
        summary="Báo cáo ban đầu.",
        # A month ago: before the facts of ten days ago recorded on it (casemgr/cases/dates.py).
        opened_at=local_midnight(today() - dt.timedelta(days=30)),
    )


def add_areas() -> None:
    """One province and two communes: all the drill needs (the full list takes seconds)."""
    province = Area(level=AreaLevel.PROVINCE, code="99", name="Tỉnh Thử", division_type="tỉnh",
                    valid_from=dt.date(2025, 7, 1))  # fmt: skip
    db.session.add(province)
    for code in ("99001", "99002"):
        db.session.add(
            Area(
                level=AreaLevel.COMMUNE,
                code=code,
                name=f"Xã {code}",
                division_type="xã",
                parent=province,
                valid_from=dt.date(2025, 7, 1),
            )
        )
    db.session.flush()


def build_world() -> None:
    """Make the records through the services, and commit."""
    make = Factories(db)
    province = make.unit(kind=UnitKind.PROVINCIAL_DEPARTMENT)
    commune = make.unit(province)
    worker = make.user(Role.SOCIAL_WORKER, commune)
    day = today() - dt.timedelta(days=10)
    case = _open(worker, commune, "child", (), 1)
    access = _access(worker, case)
    person = case.person
    add_attachment(
        worker, person, filename="a.png", content_type="image/png", data=PNG + b"\x00" * 64
    )
    guardian = add_relative(worker, person, relationship_kind="mother", is_guardian=True,
                            name="Trần Thị Hoa", phone="0912345678")  # fmt: skip
    record_consent(worker, person, scope="case_work", given_by="guardian", given_on=day,
                   relative=guardian)  # fmt: skip
    case_services.add_note(worker, case, access, kind="visit", occurred_on=day, body="Thăm.")
    for name in ("verify", "assess"):
        case_services.take_transition(
            worker, case, access, name, expected_version=case.version,
            reason=f"{PREFIX}-case_events-reason-{name}-x",
        )  # fmt: skip
    case_services.record_assessment(
        worker, case, access, kind=AssessmentKind.INITIAL, risk_rating=None, answers={"q": "a"}
    )
    case_services.add_plan_action(
        worker, case, access, goal="An toàn", action="Thăm", responsible="Cán bộ",
        due_on=today() + dt.timedelta(days=5),
    )  # fmt: skip
    offered = support_queries.offered_services(case, day)
    support_services.deliver_service(
        worker, case, access, service_type=offered[0], delivered_on=day, quantity=1, note="Hỗ trợ"
    )
    drugs = _open(worker, commune, "drugs", ("voluntary",), 2)
    drugs_access = _access(worker, drugs)
    programme = group_services.register_programme(
        worker, drugs, drugs_access, kind="voluntary_rehab", registered_on=day
    )
    group_services.record_drug_test(
        worker, drugs, drugs_access, programme, tested_on=day, result="negative"
    )
    _support_and_movement(make, province, commune, worker, day)
    db.session.commit()


def _support_and_movement(make, province, commune, worker, day) -> None:
    """A trafficking case: status, referral, no-contact order, transfer, reassignment, glass."""
    other = make.unit(province)
    supervisor = make.user(Role.SUPERVISOR, commune)
    admin = make.user(Role.ADMINISTRATOR, province)
    outsider = make.user(Role.SOCIAL_WORKER, other)
    colleague = make.user(Role.SOCIAL_WORKER, commune)
    area, other_area = db.session.scalars(
        sa.select(Area).where(Area.level == AreaLevel.COMMUNE).order_by(Area.code).limit(2)
    ).all()
    set_unit_areas(None, commune, [area])
    set_unit_areas(None, other, [other_area])
    db.session.flush()
    shelter = support_services.create_service_point(
        admin, kind=ServicePointKind.SHELTER, name="Nhà tạm lánh", area=area,
        address="Số 1", contact="024 111",
    )  # fmt: skip
    case = _open(worker, commune, "trafficking", ("criminality",), 3)
    access = _access(worker, case)
    for scope in (ConsentScope.REFERRAL, ConsentScope.TRANSFER):
        record_consent(worker, case.person, scope=scope, given_by=ConsentGiver.SUBJECT,
                       given_on=day, relative=None)  # fmt: skip
    support_services.record_trafficking_status(
        worker, case, access, status=VictimStatus.IDENTIFIED, valid_from=day,
        decision_ref="QĐ 1", note="Ghi chú",
    )  # fmt: skip
    kind = db.session.scalar(
        sa.select(ServiceType).where(
            ServiceType.group_code == "trafficking", ServiceType.code == "b"
        )
    )
    referrals.send_referral(
        worker, case, access, partner=shelter, service_type=kind, reason="Cần chỗ ở", sent_on=day
    )
    violence = _open(worker, commune, "violence", (), 4)
    group_services.request_no_contact_order(
        worker, violence, _access(worker, violence), requested_at=utcnow(), details="Chi tiết"
    )
    transfers.request_transfer(worker, case, access, to_unit=other, reason="Chuyển nơi ở")
    reassign_cases(
        supervisor, [Choice(violence.id, violence.version)], colleague.id,
        reason=ReassignReason.OTHER, reason_text="Lý do",
    )  # fmt: skip
    case_services.break_glass(
        outsider, case, reason_type="emergency",
        reason=f"{PREFIX}-glass trẻ đang gặp nguy hiểm cần xem ngay", minutes=30,
    )  # fmt: skip


def fill_canaries() -> dict[tuple[str, int, str], str | bytes]:
    """Set every encrypted field of every row to its canary; return what each should read."""
    expected: dict[tuple[str, int, str], str | bytes] = {}
    for model in ENCRYPTED_MODELS:
        for row in db.session.scalars(sa.select(model)):
            for name, field in model.__encrypted_fields__.items():
                key = (model.__tablename__, row.id, name)
                if model is CaseEvent:  # append-only: keep what was written
                    value = getattr(row, name)
                    if value is not None:
                        expected[key] = value
                    continue
                value = canary(*key)
                value = PNG + value.encode() if field.kind is bytes else value
                setattr(row, name, value)
                expected[key] = value
    db.session.commit()
    return expected


def filled_models(expected: dict) -> set[str]:
    """The tables that hold at least one canary."""
    return {table for (table, _, _), value in expected.items() if _marker(value)}


def _marker(value: str | bytes) -> bool:
    return (PREFIX.encode() if isinstance(value, bytes) else PREFIX) in value


def markers(expected: dict) -> list[bytes]:
    """Every canary as bytes, as it would appear if stored in plaintext."""
    out = []
    for value in expected.values():
        if _marker(value):
            raw = value if isinstance(value, bytes) else value.encode("utf-8")
            out.append(raw[len(PNG) :] if raw.startswith(PNG) else raw)
    return out
