"""Each role's home page: every count is the length of the full page it links to, each role sees
its own sections only, the return comment reaches the worker, and the auditor verifies now."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from casemgr.admin.services import assign_role
from casemgr.audit import record
from casemgr.audit.models import AlertKind, AlertStatus, AuditAlert, AuditEvent
from casemgr.auth.roles import Role
from casemgr.cases import services as case_services
from casemgr.cases.models import Case, CaseTransfer, PlanAction
from casemgr.cases.policy import case_access
from casemgr.cases.workflow import Status
from casemgr.clock import today, utcnow
from casemgr.home import queries
from casemgr.intake.models import IntakeSource
from casemgr.intake.services import ReportData, receive_report
from casemgr.org.models import Area
from casemgr.rules import tasks
from casemgr.supervision import queries as supervision
from casemgr.support.models import Referral, ReferralStatus, ServicePoint, ServiceType
from tests.cases.conftest import record_detailed_assessment

SECTIONS = ("section-worker", "section-supervisor", "section-auditor", "section-admin")
COMMENT = "Thiếu biên bản họp trường hợp; bổ sung đánh giá gia đình."


def english(client, user) -> None:
    client.login(user)
    client.post_form("/auth/language", {"locale": "en"})


def counts(html: str) -> dict[str, int]:
    """The count badge of every item: data-testid -> number."""
    found = re.findall(
        r'data-testid="([a-z-]+)">\s*<span[^>]*>[^<]*</span>\s*<span[^>]*data-count="(\d+)"', html
    )
    return {testid: int(n) for testid, n in found}


def hrefs(html: str) -> dict[str, str]:
    found = re.findall(r'<a class="d-flex[^"]*" href="([^"]+)" data-testid="([a-z-]+)"', html)
    return {testid: href.replace("&amp;", "&") for href, testid in found}


def listed(client, href: str) -> int:
    """How many rows the full page says it lists (the pager's "N items", and on the overdue
    page the late intake reports above it)."""
    html = client.get(href).get_data(as_text=True)
    match = re.search(r"(\d+) items?</p>", html)
    assert match, href
    # The overdue page heads with the late intake reports, counted apart from its pager.
    late = re.search(r'data-testid="late-count" data-count="(\d+)"', html)
    return int(match.group(1)) + (int(late.group(1)) if late else 0)


def sections(html: str) -> set[str]:
    return {name for name in SECTIONS if f'data-testid="{name}"' in html}


def _return_plan(office, supervisor) -> Case:
    """A plan of the first worker, submitted then returned with a comment."""
    case = next(
        c for c in office.cases if c.owner_id == office.workers[0].id and c.status != Status.CLOSED
    )
    case.status, case.submitted_by_id = Status.PLAN_DRAFTED, case.owner_id
    access = case_access(supervisor, case, None, utcnow())
    case_services.take_transition(
        supervisor, case, access, "return_plan", expected_version=case.version, reason=COMMENT
    )
    return case


@pytest.fixture
def busy(db, office):
    """The office with a returned plan, referrals, alerts, a transfer and users to set up."""
    returned = _return_plan(office, office.supervisor)
    worker = office.workers[0]
    mine = [c for c in office.cases if c.owner_id == worker.id and c.status != Status.CLOSED]
    area = db.session.scalar(select(Area).limit(1))
    point = ServicePoint(kind="health_facility", name="Trạm y tế thử", area_id=area.id)
    db.session.add(point)
    service = db.session.scalar(select(ServiceType).where(ServiceType.group_code == "child"))
    db.session.flush()
    for case, status in zip(
        mine, (ReferralStatus.SENT, ReferralStatus.SENT, ReferralStatus.ACCEPTED), strict=False
    ):
        db.session.add(
            Referral(
                case_id=case.id,
                person_id=case.person_id,
                partner_id=point.id,
                service_type_id=service.id,
                status=status,
                sent_on=today() - dt.timedelta(days=3),
                answer_due_on=today() - dt.timedelta(days=1),
                sent_by_id=worker.id,
            )
        )
    now = utcnow()
    for n, (actor, status) in enumerate(
        ((worker, AlertStatus.OPEN), (office.other_worker, AlertStatus.OPEN),
         (worker, AlertStatus.REVIEWED))
    ):  # fmt: skip
        db.session.add(
            AuditAlert(
                key=f"home-test-{n}",
                kind=AlertKind.OFF_HOURS,
                status=status,
                actor_id=actor.id,
                actor_name=actor.username,
                window_start=now,
                window_end=now,
                event_count=1,
                first_seq=1,
                last_seq=1,
            )
        )
    theirs = next(c for c in office.cases if c.unit_id == office.other_commune.id)
    db.session.add(
        CaseTransfer(
            case_id=theirs.id,
            person_id=theirs.person_id,
            from_unit_id=theirs.unit_id,
            to_unit_id=office.commune.id,
            from_owner_id=theirs.owner_id,
            requested_by_id=theirs.owner_id,
        )
    )
    # Two intake reports wait for the commune (one past its 12 hours), one for the other.
    for unit, hours in ((office.commune, 13), (office.commune, 1), (office.other_commune, 1)):
        receive_report(
            ReportData(situation="Trẻ bị bỏ rơi.", location="Thôn 2",
                       received_at=now - dt.timedelta(hours=hours)),
            unit=unit, source=IntakeSource.HOTLINE, received_by=office.lead,
        )  # fmt: skip
    office.other_worker.is_enabled = False  # still owns the other commune's open cases
    office.workers[2].must_change_password = True
    db.session.flush()
    db.session.commit()
    return returned


def test_worker_counts_are_the_full_pages_lengths(client, db, office, busy):
    worker = office.workers[0]
    english(client, worker)
    html = client.get("/dashboard").get_data(as_text=True)
    assert sections(html) == {"section-worker"}
    shown, links = counts(html), hrefs(html)
    assert set(shown) == {
        "worker-today", "worker-tasks", "worker-overdue", "worker-returned", "worker-referrals",
        "worker-recent", "worker-intake",
    }  # fmt: skip
    for testid, count in shown.items():
        assert count == listed(client, links[testid]), testid
    # Not vacuous: there is something behind each number.
    assert shown["worker-returned"] == 1 and shown["worker-referrals"] == 2
    assert shown["worker-tasks"] > 0 and shown["worker-recent"] > 0
    assert shown["worker-intake"] == 2
    # The same numbers from the queries themselves.
    home = queries.worker_home(db.session.get(type(worker), worker.id), utcnow())
    assert home.tasks.count == len(tasks.open_tasks(worker, mine=True))
    assert home.overdue.count == len(tasks.open_tasks(worker, overdue_only=True))
    assert len(home.today.rows) == min(home.today.count, queries.SHORT_LIST)


def test_worker_sees_the_return_comment_and_the_case(app, client, db, office, busy):
    english(client, office.workers[0])
    html = client.get("/dashboard").get_data(as_text=True)
    assert COMMENT in html and busy.number in html
    full = client.get("/dashboard/returned-plans").get_data(as_text=True)
    assert COMMENT in full and f'data-case="{busy.id}"' in full
    # Another worker of the unit sees neither.
    client = app.test_client()
    english(client, office.workers[1])
    assert COMMENT not in client.get("/dashboard").get_data(as_text=True)
    assert COMMENT not in client.get("/dashboard/returned-plans").get_data(as_text=True)


def test_a_resubmitted_plan_leaves_the_list(db, office, busy):
    worker = office.workers[0]
    case = db.session.get(Case, busy.id)
    assert queries.count_of(queries.returned_plans(worker)) == 1
    record_detailed_assessment(worker, case)
    access = case_access(worker, case, None, utcnow())
    case_services.take_transition(
        worker, case, access, "submit_plan", expected_version=case.version
    )
    assert queries.count_of(queries.returned_plans(worker)) == 0


def test_supervisor_counts_are_the_full_pages_lengths(client, db, office, busy):
    english(client, office.supervisor)
    html = client.get("/dashboard").get_data(as_text=True)
    assert sections(html) == {"section-supervisor"}
    shown, links = counts(html), hrefs(html)
    assert set(shown) == {
        "supervisor-approvals", "supervisor-overdue", "supervisor-alerts", "supervisor-transfers",
        "supervisor-intake",
    }  # fmt: skip
    for testid, count in shown.items():
        assert count == listed(client, links[testid]), testid
    assert shown["supervisor-alerts"] == 1  # the open one about their unit's worker
    assert shown["supervisor-transfers"] == 1
    assert shown["supervisor-intake"] == 2  # their commune's, not the other's
    # Overdue per worker and the late intake reports add up to the overdue page; the per-worker
    # counts match the dashboard's table.
    per_worker = supervision.overdue_by_worker(office.supervisor, utcnow())
    late = int(re.search(r'data-testid="late-reports"><a[^>]*>(\d+) ', html).group(1))
    assert sum(n for *_, n in per_worker) + late == shown["supervisor-overdue"] > late > 0
    board = {
        r.user_id: r.overdue_tasks
        for r in supervision.caseload_by_worker(office.supervisor, now=utcnow(), days=30)
        if r.overdue_tasks
    }
    assert board == {owner: n for owner, _name, n in per_worker}
    # Each worker's line opens that worker's overdue deadlines, as many as the line says.
    card = html.split('data-testid="overdue-by-worker"', 1)[1].split("</ul>", 1)[0]
    lines = re.findall(
        r'href="(/rules/overdue\?worker=(\d+))"[^<]*</a>: <span data-count="(\d+)"', card
    )
    assert {int(owner): int(n) for _href, owner, n in lines} == board
    for href, _owner, n in lines:
        assert listed(client, href) == int(n)


def test_auditor_counts_verification_and_verify_now(client, db, office, busy, make):
    auditor = make.user(Role.AUDITOR)
    db.session.commit()
    english(client, auditor)
    html = client.get("/dashboard").get_data(as_text=True)
    assert sections(html) == {"section-auditor"}
    shown, links = counts(html), hrefs(html)
    assert shown == {"auditor-alerts": listed(client, links["auditor-alerts"])}
    assert shown["auditor-alerts"] >= 2  # every open alert, both units
    response = client.post_form("/dashboard/verify")
    assert response.status_code == 302
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "audit.verify").order_by(
            AuditEvent.seq.desc()).limit(1)
    )  # fmt: skip
    assert event.actor_id == auditor.id and event.outcome == "allowed"
    html = client.get("/dashboard").get_data(as_text=True)
    assert "The audit trail verifies" in html and "Verified" in html
    assert 'data-testid="auditor-checkpoint"' not in html


def test_auditor_home_shows_the_automatic_checks(client, db, make):
    auditor = make.user(Role.AUDITOR)
    # What the app's automatic checkpoints append: a signed checkpoint, then a failed tail check.
    record(
        "audit.checkpoint", actor=None, object_type="audit_event", object_id=41, channel="system"
    )
    record(
        "audit.verify",
        actor=None,
        object_type="audit_event",
        object_id=57,
        outcome="error",
        reason="below_evidence",
        channel="system",
    )
    db.session.commit()
    english(client, auditor)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Failed" in html and "automatic, at a checkpoint" in html and "seq 57" in html
    assert "up to number 41" in html


def test_admin_counts_are_the_full_pages_lengths(client, db, office, busy, make):
    admin = make.user(Role.ADMINISTRATOR)
    db.session.commit()
    english(client, admin)
    html = client.get("/dashboard").get_data(as_text=True)
    assert sections(html) == {"section-admin"}
    shown, links = counts(html), hrefs(html)
    assert set(shown) == {"admin-setup", "admin-disabled-owners"}
    for testid, count in shown.items():
        assert count == listed(client, links[testid]), testid
    assert shown["admin-disabled-owners"] == 1
    setup_page = client.get(links["admin-setup"]).get_data(as_text=True)
    assert office.workers[2].username in setup_page
    assert office.workers[0].username not in setup_page  # a worker need not enrol (default)
    disabled = client.get(links["admin-disabled-owners"]).get_data(as_text=True)
    assert office.other_worker.username in disabled


def test_a_user_with_two_roles_sees_both_sections_and_no_other(client, db, office, make):
    user = make.user(Role.AUDITOR, office.province)
    assign_role(None, user, Role.SOCIAL_WORKER, office.commune)
    db.session.commit()
    client.login(user)
    html = client.get("/dashboard").get_data(as_text=True)
    assert sections(html) == {"section-worker", "section-auditor"}


def test_due_today_holds_what_is_due_by_tonight_and_nothing_else(client, db, office):
    """The worker's "Due today" item: due by the end of today, neither overdue nor later."""
    worker = office.workers[0]
    case = next(c for c in office.cases if c.owner_id == worker.id and c.status != Status.CLOSED)
    for days, action in ((-1, "hôm qua"), (0, "hôm nay"), (1, "ngày mai")):
        planned = PlanAction(
            case_id=case.id,
            person_id=case.person_id,
            plan_cycle=case.plan_cycle,
            author_id=worker.id,
            due_on=today() + dt.timedelta(days=days),
        )
        planned.goal, planned.action, planned.responsible = "goal", action, "worker"
        db.session.add(planned)
    db.session.commit()
    now = utcnow()
    due_today = tasks.open_tasks(worker, mine=True, now=now, due_today=True)
    plan_days = [t.due_at for t in due_today if t.kind == "case.plan_action"]
    assert len(plan_days) == 1
    overdue = [
        t
        for t in tasks.open_tasks(worker, overdue_only=True, now=now)
        if t.kind == "case.plan_action"
    ]
    assert len(overdue) == 1 and overdue[0].due_at < plan_days[0]
    english(client, worker)
    html = client.get("/dashboard").get_data(as_text=True)
    assert (
        counts(html)["worker-today"] == len(due_today) == listed(client, "/rules/tasks?due=today")
    )
    assert listed(client, "/rules/tasks") > len(due_today)


def test_a_declined_closure_is_sent_back_to_the_worker_until_the_case_moves(
    client, db, office, busy
):
    """A supervisor's declined closure reaches the worker's home page, with its comment, beside
    the returned plans; once the worker asks again it leaves the list."""
    worker = office.workers[0]
    case = next(
        c
        for c in office.cases
        if c.owner_id == worker.id and c.status != Status.CLOSED and c.id != busy.id
    )
    case.status, case.submitted_by_id = Status.CLOSURE_REQUESTED, worker.id
    access = case_access(office.supervisor, case, None, utcnow())
    declined = "Cần thêm một lần thăm gia đình trước khi đóng."
    case_services.take_transition(
        office.supervisor, case, access, "decline_closure", expected_version=case.version,
        reason=declined,
    )  # fmt: skip
    db.session.commit()
    assert queries.count_of(queries.returned_plans(worker)) == 2
    client.login(worker)
    html = client.get("/dashboard").get_data(as_text=True)
    assert declined in html and "Từ chối đóng hồ sơ" in html
    full = client.get("/dashboard/returned-plans").get_data(as_text=True)
    assert f'data-case="{case.id}"' in full and f'data-case="{busy.id}"' in full
    access = case_access(worker, case, None, utcnow())
    case_services.take_transition(
        worker, case, access, "request_closure", expected_version=case.version,
        reason="Đã thăm gia đình.", closure_reason="goals_met",
    )  # fmt: skip
    assert queries.count_of(queries.returned_plans(worker)) == 1
