"""A worker's day from the home page, in Vietnamese: the worker signs in and sees a plan returned
with the supervisor's comment, opens the case from there, fixes the plan and resubmits it
(confirming the move that cannot be taken back); the supervisor approves it with a comment; the
worker sees the approval in the notification centre (the header count, then the page)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from casemgr.admin.services import create_user
from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.cases import services
from casemgr.cases.models import AssessmentKind, ProtectionLevel, RiskLevel
from casemgr.cases.policy import case_access
from casemgr.clock import utcnow
from casemgr.extensions import db
from casemgr.org.models import Unit
from casemgr.people.services import register_person
from tests.browser.test_case_journey import Vietnamese, enrol_totp, field, navigate, real, watch
from tests.browser.test_case_journey import sign_in as sign_in_at
from tests.browser_fixtures import TIMEOUT_MS, Account
from tests.factories import PASSWORD

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

WORKER = Account("browser.home.worker", PASSWORD, "Lý Thị Ngày Làm")
SUPERVISOR = Account("browser.home.sup", PASSWORD, "Mai Văn Duyệt Lại")
RETURNED = "Thiếu mục tiêu về sức khỏe tâm lý của trẻ; bổ sung rồi gửi lại."
APPROVED = "Đồng ý. Báo cáo tiến độ sau một tháng."
GOAL = "Trẻ được tư vấn tâm lý hằng tuần"


def _seed(app) -> tuple[int, str]:
    """A worker and a supervisor of the browser commune, and a child case whose plan the
    supervisor returned with a comment (as it stands when the worker's day begins)."""
    with app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == "BROWSER-1"))
        for account, role in ((WORKER, Role.SOCIAL_WORKER), (SUPERVISOR, Role.SUPERVISOR)):
            create_user(
                None, username=account.username, display_name=account.display_name,
                email=None, role=role, unit=unit, password=account.password,
            )  # fmt: skip
        db.session.flush()
        worker, supervisor = (
            db.session.scalar(select(User).where(User.username == a.username))
            for a in (WORKER, SUPERVISOR)
        )
        person = register_person(
            worker, sex="female", birth_year=2013, surname="Đinh", given_name="Hà"
        )
        case = services.open_case(
            worker, person=person, group_code="child", sub_groups=[],
            protection_level=ProtectionLevel.INTERVENTION, risk_level=RiskLevel.HIGH,
            unit=unit, summary="Trẻ bị bạo lực ở nhà, cô giáo báo tin.",
        )  # fmt: skip
        access = case_access(worker, case, None, utcnow())
        services.take_move(
            worker, case, access, "verified_at_intake", expected_version=case.version
        )
        services.take_move(worker, case, access, "assess_in_detail", expected_version=case.version)
        services.record_assessment(
            worker, case, access, kind=AssessmentKind.DETAILED, risk_rating=RiskLevel.HIGH,
            answers={"harm": "Trẻ sợ hãi, ít nói."},
        )  # fmt: skip
        services.add_plan_action(
            worker, case, access, goal="Trẻ ở nơi an toàn", action="Tạm ở nhà bà ngoại",
            responsible="Cán bộ xã", due_on=None,
        )  # fmt: skip
        services.take_move(worker, case, access, "submit_plan", expected_version=case.version)
        services.take_move(
            supervisor, case, case_access(supervisor, case, None, utcnow()), "return_plan",
            expected_version=case.version, reason=RETURNED,
        )  # fmt: skip
        db.session.commit()
        ids = case.id, case.number
        db.session.remove()
    return ids


def test_a_workers_day_from_the_home_page(page, browser, live_server, artifacts):
    vi = Vietnamese(live_server.app)
    case_id, number = _seed(live_server.app)
    case_path = f"/cases/{case_id}"
    work, problems = page, page.problems

    # -- the home page: the returned plan, with the supervisor's comment -----------------------
    sign_in_at(work, WORKER, vi)
    expect(work).to_have_url(re.compile(r"/dashboard$"))
    returned = work.get_by_test_id("section-worker")
    expect(returned.get_by_test_id("worker-returned").locator(".badge")).to_have_text("1")
    item = returned.locator("li", has_text=RETURNED)
    expect(item.get_by_test_id("return-comment")).to_have_text(RETURNED)
    expect(item).to_contain_text(number)
    expect(item).to_contain_text(SUPERVISOR.display_name)
    expect(work.get_by_test_id("notifications-badge").locator(".badge")).to_contain_text("1")
    work.screenshot(path=str(artifacts / "worker-day-home.png"), full_page=True)
    navigate(work, item.get_by_role("link", name=number))
    expect(work).to_have_url(re.compile(case_path + "$"))
    expect(work.locator("h1 .badge")).to_have_text(vi("Detailed assessment"))
    expect(work.get_by_test_id("timeline")).to_contain_text(RETURNED)

    # -- fixes the plan and resubmits, confirming what cannot be taken back -----------------
    work.get_by_text(vi("Add a goal and action"), exact=True).click()
    field(work, vi("Goal")).fill(GOAL)
    field(work, vi("Action")).fill("Gặp chuyên viên tư vấn tại trường mỗi thứ Tư")
    field(work, vi("Responsible")).fill("Cán bộ xã và nhà trường")
    navigate(work, work.get_by_role("button", name=vi("Add to plan")))
    expect(work.locator("table tbody tr", has_text=GOAL)).to_be_visible()
    expect(work.get_by_test_id("consequence-submit_plan")).to_be_visible()
    navigate(work, work.get_by_test_id("move-submit_plan"))  # not confirmed: refused, explained
    expect(work.locator("#understood-submit_plan-error")).to_have_text(
        vi("Tick the box to confirm: this step cannot be taken back.")
    )
    expect(work.locator("h1 .badge")).to_have_text(vi("Detailed assessment"))
    work.get_by_test_id("understood-submit_plan").check()
    navigate(work, work.get_by_test_id("move-submit_plan"))
    expect(work.locator("h1 .badge")).to_have_text(vi("Plan submitted"))

    # -- the supervisor approves with a comment ----------------------------------------------
    context = browser.new_context(
        base_url=live_server.base_url, locale="vi-VN", viewport={"width": 1280, "height": 800}
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        sup = context.new_page()
        sup_problems = watch(sup)
        sign_in_at(sup, SUPERVISOR, vi)
        enrol_totp(sup, vi)
        sup.goto(case_path)
        expect(sup.locator("main")).to_contain_text(GOAL)
        sup.get_by_test_id("comment-approve_plan").fill(APPROVED)
        sup.get_by_test_id("understood-approve_plan").check()
        navigate(sup, sup.get_by_test_id("move-approve_plan"))
        expect(sup.locator("h1 .badge")).to_have_text(vi("Plan approved"))
        expect(sup.get_by_test_id("timeline")).to_contain_text(APPROVED)
        assert real(sup_problems) == []
    finally:
        context.close()

    # -- the worker is told: the header count, then the notification centre ------------------
    work.goto("/dashboard")
    badge = work.get_by_test_id("notifications-badge")
    expect(badge.locator(".badge")).to_contain_text("2")  # the return, and now the approval
    expect(work.get_by_test_id("worker-returned").locator(".badge")).to_have_text("0")
    navigate(work, badge)
    unread = work.get_by_test_id("notifications").locator("li[data-read=no]", has_text=number)
    approved = unread.filter(has_text=vi("Plan approved"))
    expect(approved).to_have_count(1)
    work.screenshot(path=str(artifacts / "worker-day-approved.png"), full_page=True)
    navigate(work, approved.get_by_role("link", name=number))
    expect(work.locator("h1 .badge")).to_have_text(vi("Plan approved"))
    expect(work.get_by_test_id("timeline")).to_contain_text(APPROVED)
    assert real(problems) == []
