"""Demo data: one province with ten commune offices and users of every role, all marked DEMO."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from casemgr.admin.services import create_user
from casemgr.auth.roles import Role
from casemgr.extensions import db
from casemgr.org.models import Area, AreaLevel, Unit, UnitKind
from casemgr.org.services import open_unit

DEMO_PASSWORD = "demo-Casemgr-2026"  # noqa: S105 - demo only, printed by make run
DEMO_PROVINCE_CODE = "44"  # Quảng Trị, one of the 34 provinces; any would do
OPENED = dt.date(2025, 7, 1)
COMMUNE_OFFICES = 10

# (username, role, index of the unit: 0 = provincial department, 1.. = commune offices)
DEMO_USERS = (
    ("demo.admin", Role.ADMINISTRATOR, 0),
    ("demo.auditor", Role.AUDITOR, 0),
    ("demo.lead", Role.SUPERVISOR, 0),
    ("demo.sup1", Role.SUPERVISOR, 1),
    ("demo.worker1", Role.SOCIAL_WORKER, 1),
    ("demo.worker2", Role.SOCIAL_WORKER, 1),
    ("demo.sup2", Role.SUPERVISOR, 2),
    ("demo.worker3", Role.SOCIAL_WORKER, 2),
)


# (worker, surname, middle, given, sex, birth year, group, sub-group codes, risk, steps taken)
DEMO_CASES = (
    (
        "demo.worker1",
        "Nguyễn",
        "Thị",
        "Lan",
        "female",
        2014,
        "child",
        ("i",),
        "high",
        ("verify", "assess"),
    ),
    (
        "demo.worker1",
        "Trần",
        "Văn",
        "Bình",
        "male",
        2012,
        "child",
        ("a", "c"),
        "medium",
        ("verify", "assess", "assess_in_detail", "submit_plan"),
    ),
    (
        "demo.worker1",
        "Lê",
        "Thị",
        "Hoa",
        "female",
        1999,
        "trafficking",
        ("labour",),
        "medium",
        ("verify",),
    ),
    ("demo.worker2", "Phạm", "Minh", "Tuấn", "male", 1990, "drugs", ("voluntary",), "low", ()),
    (
        "demo.worker2",
        "Hoàng",
        "Thị",
        "Mai",
        "female",
        1985,
        "violence",
        ("physical",),
        "high",
        ("verify", "assess", "assess_in_detail"),
    ),
    ("demo.worker3", "Đoàn", "Văn", "Hùng", "male", 2016, "child", ("d",), "low", ("verify",)),
    ("demo.worker2", "Võ", "Thị", "Thu", "female", 1995, "sex_work", ("outreach",), "low", ()),
)


# The worker's comment on each demo closure request (sealed in the case history; not an audit
# reason, though the keyword is named `reason`).
DEMO_CLOSURE_COMMENT = "[DEMO] Lý do đóng hồ sơ mẫu."

# Closed cases, so that the report of cases closed by reason has something to count:
# (worker, surname, middle, given, sex, birth year, group, sub-group codes, closure reason).
DEMO_CLOSED_CASES = (
    ("demo.worker1", "Bùi", "Thị", "Ngọc", "female", 2013, "child", ("i",), "goals_met"),
    ("demo.worker1", "Đặng", "Văn", "Khoa", "male", 2012, "child", ("h",), "goals_met"),
    ("demo.worker1", "Ngô", "Thị", "Yến", "female", 2015, "child", ("c",), "goals_met"),
    ("demo.worker3", "Lý", "Văn", "Phúc", "male", 2014, "child", ("d",), "goals_met"),
    ("demo.worker3", "Dương", "Thị", "Hạnh", "female", 2011, "child", ("n",), "goals_met"),
    ("demo.worker3", "Trịnh", "Văn", "Sơn", "male", None, "child", ("h",), "aged_out"),
    ("demo.worker1", "Mai", "Thị", "Trang", "female", 2012, "child", ("a",), "moved_away"),
    ("demo.worker1", "Tạ", "Thị", "Nhung", "female", 1997, "trafficking", ("labour",),
     "goals_met"),
    ("demo.worker1", "Hồ", "Thị", "Vân", "female", 2001, "trafficking", ("sexual",),
     "moved_away"),
    ("demo.worker2", "Cao", "Văn", "Lực", "male", 1988, "drugs", ("voluntary",),
     "term_completed"),
    ("demo.worker2", "Đinh", "Văn", "Toàn", "male", 1993, "drugs", ("voluntary",),
     "term_completed"),
    ("demo.worker2", "Lâm", "Văn", "Quý", "male", 1979, "drugs", ("illegal_use",),
     "compulsory_rehab"),
    ("demo.worker2", "Phan", "Thị", "Huệ", "female", 1982, "violence", ("physical",),
     "goals_met"),
    ("demo.worker2", "Châu", "Thị", "Liên", "female", 1990, "violence", ("economic",),
     "declined"),
    ("demo.worker2", "Kiều", "Thị", "Oanh", "female", 1996, "sex_work", ("outreach",),
     "lost_contact"),
)  # fmt: skip
# Two cases on their way to closure: one at the review (its worker may ask to close it), one
# whose closure awaits demo.sup1's decision: (worker, surname, ..., sub-groups, reason or None).
DEMO_CLOSING_CASES = (
    ("demo.worker1", "Quách", "Thị", "Mỹ", "female", 2013, "child", ("l",), None),
    ("demo.worker1", "Vương", "Văn", "Đức", "male", 2011, "child", ("k",), "goals_met"),
)  # fmt: skip
# Each office's supervisor decides on its workers' plans and closures.
DEMO_SUPERVISOR_OF = {"demo.worker1": "demo.sup1", "demo.worker2": "demo.sup1",
                      "demo.worker3": "demo.sup2"}  # fmt: skip


def _demo_cases(users: dict) -> None:
    """A few synthetic persons and cases at different steps, marked DEMO in their reports."""
    from casemgr.cases import services as cases
    from casemgr.cases.models import ProtectionLevel
    from casemgr.cases.policy import case_access
    from casemgr.clock import utcnow
    from casemgr.people.services import register_person
    from casemgr.reference.models import SubGroup

    for worker_name, surname, middle, given, sex, born, group, codes, risk, steps in DEMO_CASES:
        worker = users[worker_name]
        unit = worker.roles[0].unit
        person = register_person(
            worker,
            sex=sex,
            birth_year=born,
            surname=surname,
            middle_name=middle,
            given_name=given,
            registered_unit_id=unit.id,
            registered_by_id=worker.id,
            area_id=unit.areas[0].id if unit.areas else None,
        )
        sub_groups = list(
            db.session.scalars(
                select(SubGroup).where(SubGroup.group_code == group, SubGroup.code.in_(codes))
            )
        )
        case = cases.open_case(
            worker,
            person=person,
            group_code=group,
            sub_groups=sub_groups,
            protection_level=ProtectionLevel.SUPPORT,
            risk_level=risk,
            unit=unit,
            summary="[DEMO] Dữ liệu mẫu, không phải người thật.",
        )
        for step in steps:
            access = case_access(worker, case, None, utcnow())
            if step == "submit_plan":  # a plan rests on its detailed assessment (Decree 56)
                _demo_plan(worker, case, access)
            cases.take_transition(worker, case, access, step, expected_version=case.version)


def _demo_closed_cases(users: dict) -> None:
    """Cases taken through the whole workflow and closed with a reason (DEMO_CLOSED_CASES):
    the worker plans and asks to close, the office's supervisor approves both; and the two of
    DEMO_CLOSING_CASES, left at the review and awaiting the closure's approval."""
    from casemgr.cases import services as cases
    from casemgr.cases.models import ProtectionLevel
    from casemgr.cases.policy import case_access
    from casemgr.clock import today, utcnow
    from casemgr.people.services import register_person
    from casemgr.reference.models import SubGroup

    def take(user, case, *steps: str, **extra) -> None:
        for step in steps:
            access = case_access(user, case, None, utcnow())
            cases.take_move(user, case, access, step, expected_version=case.version, **extra)

    closing = [(*row, "closed") for row in DEMO_CLOSED_CASES]
    closing += [(*row, "review" if row[-1] is None else "closure_requested")
                for row in DEMO_CLOSING_CASES]  # fmt: skip
    for worker_name, surname, middle, given, sex, born, group, codes, why, until in closing:
        if why == "aged_out":  # 16 this year, whenever the demo is loaded
            born = today().year - 16
        worker, supervisor = users[worker_name], users[DEMO_SUPERVISOR_OF[worker_name]]
        unit = worker.roles[0].unit
        person = register_person(
            worker, sex=sex, birth_year=born, surname=surname, middle_name=middle,
            given_name=given, registered_unit_id=unit.id, registered_by_id=worker.id,
            area_id=unit.areas[0].id if unit.areas else None,
        )  # fmt: skip
        sub_groups = list(
            db.session.scalars(
                select(SubGroup).where(SubGroup.group_code == group, SubGroup.code.in_(codes))
            )
        )
        case = cases.open_case(
            worker, person=person, group_code=group, sub_groups=sub_groups,
            protection_level=ProtectionLevel.SUPPORT, risk_level="low", unit=unit,
            summary="[DEMO] Dữ liệu mẫu, không phải người thật.",
        )  # fmt: skip
        take(worker, case, "verified_at_intake", "assess_in_detail")
        _demo_plan(worker, case, case_access(worker, case, None, utcnow()))
        take(worker, case, "submit_plan")
        take(supervisor, case, "approve_plan")
        take(worker, case, "implement")
        if until == "review":
            take(worker, case, "review")
            continue
        take(worker, case, "review_and_request_closure",
             reason=DEMO_CLOSURE_COMMENT, closure_reason=why)  # fmt: skip
        if until == "closed":
            take(supervisor, case, "approve_closure")


def _demo_closures_missing(root: Unit) -> bool:
    """Add the closed demo cases to a demo province loaded before it had any; whether added."""
    from casemgr.auth.models import User
    from casemgr.cases.models import Case
    from casemgr.cases.workflow import Status

    closed = (
        select(Case.id)
        .join(Unit, Unit.id == Case.unit_id)
        .where(Unit.code.like("DEMO-%"), Case.status == Status.CLOSED)
    )
    names = {name for name, *_ in (*DEMO_CLOSED_CASES, *DEMO_CLOSING_CASES)}
    names |= set(DEMO_SUPERVISOR_OF.values())
    users = {
        u.username: u for u in db.session.scalars(select(User).where(User.username.in_(names)))
    }
    if db.session.scalar(closed.limit(1)) is not None or set(users) != names:
        return False
    _demo_closed_cases(users)
    return True


def _demo_plan(worker, case, access) -> None:
    """The detailed assessment and one plan action that a submitted plan rests on."""
    from casemgr.cases import services as cases
    from casemgr.cases.models import AssessmentKind

    cases.record_assessment(
        worker,
        case,
        access,
        kind=AssessmentKind.DETAILED,
        risk_rating=None,
        answers={"needs": "[DEMO] Cần hỗ trợ học tập và chăm sóc thay thế."},
    )
    cases.add_plan_action(
        worker,
        case,
        access,
        goal="[DEMO] Trẻ đi học đều",
        action="[DEMO] Thăm nhà hai tuần một lần",
        responsible="[DEMO] Cán bộ xã",
        due_on=None,
    )


def _demo_support(users: dict) -> None:
    """Partners for every group, and the consents and status a referral needs."""
    from casemgr.support.demo import load_demo_points, prepare_demo_referrals

    admin = users["demo.admin"]
    commune_unit = users["demo.worker1"].roles[0].unit
    load_demo_points(admin, admin.roles[0].unit.areas[0], commune_unit.areas[0])
    prepare_demo_referrals([user for user in users.values() if user.username.startswith("demo.w")])


def _demo_points_missing(root: Unit) -> bool:
    """Add the demo partners to a demo province that has none, or the groups they serve to
    those that have none; whether any were added."""
    from casemgr.auth.models import User
    from casemgr.support.demo import load_demo_points

    admin = db.session.scalar(select(User).where(User.username == "demo.admin"))
    commune = db.session.scalar(select(Unit).where(Unit.code == "DEMO-C01"))
    if admin is None or commune is None or not root.areas or not commune.areas:
        return False
    return bool(load_demo_points(admin, root.areas[0], commune.areas[0]))


def load_demo_data() -> tuple[bool, list[tuple[str, str, str]]]:
    """Create the demo province once; return whether it was created and the demo logins."""
    root = db.session.scalar(select(Unit).where(Unit.code == "DEMO-PROV"))
    created = root is None
    if created:
        province = db.session.scalar(
            select(Area).where(
                Area.level == AreaLevel.PROVINCE,
                Area.code == DEMO_PROVINCE_CODE,
                Area.valid_to.is_(None),
            )
        )
        if province is None:
            raise RuntimeError("areas are not loaded: run 'flask --app wsgi casemgr init' first")
        communes = list(
            db.session.scalars(
                select(Area)
                .where(Area.parent_id == province.id)
                .order_by(Area.code)
                .limit(COMMUNE_OFFICES)
            )
        )
        units = [
            open_unit(
                None,
                code="DEMO-PROV",
                name=f"[DEMO] Sở Y tế {province.name}",
                kind=UnitKind.PROVINCIAL_DEPARTMENT,
                parent=None,
                valid_from=OPENED,
                areas=[province],
            )
        ]
        for number, commune in enumerate(communes, start=1):
            units.append(
                open_unit(
                    None,
                    code=f"DEMO-C{number:02d}",
                    name=f"[DEMO] Văn phòng {commune.name}",
                    kind=UnitKind.COMMUNE_OFFICE,
                    parent=units[0],
                    valid_from=OPENED,
                    areas=[commune],
                )
            )
        users = {}
        for username, role, index in DEMO_USERS:
            users[username], _ = create_user(
                None,
                username=username,
                display_name=f"[DEMO] {username}",
                email=None,
                role=role,
                unit=units[index],
                password=DEMO_PASSWORD,
                is_demo=True,
            )
        _demo_cases(users)
        _demo_support(users)
        from casemgr.intake.demo import load_demo_reports

        load_demo_reports(users)
        from casemgr.programmes.demo import load_demo_programmes

        load_demo_programmes(users)
        _demo_closed_cases(users)
        db.session.commit()
    else:
        # A demo loaded before it had partners (or their groups), or closed cases.
        added = [_demo_points_missing(root), _demo_closures_missing(root)]
        if any(added):
            db.session.commit()
    codes = {0: "DEMO-PROV", 1: "DEMO-C01", 2: "DEMO-C02"}
    return created, [(u, str(r), codes[i]) for u, r, i in DEMO_USERS]
