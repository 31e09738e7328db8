"""A worker's day in a real browser, in Vietnamese: the supervisor returns a plan (a comment is
required: the empty try shows the message under the field), the worker sees the notification in
the header, opens the case through it, reads the comment in the timeline, fixes the plan and
resubmits; the supervisor approves; the worker gets the approval notification."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from casemgr.admin.services import create_user
from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.cases import services
from casemgr.cases.models import ProtectionLevel, RiskLevel
from casemgr.cases.policy import case_access
from casemgr.clock import utcnow
from casemgr.extensions import db
from casemgr.org.models import Unit
from casemgr.people.services import register_person
from tests.browser.test_case_journey import Vietnamese, enrol_totp, field, navigate, sign_in
from tests.browser_fixtures import Account
from tests.factories import PASSWORD

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

WORKER = Account("browser.day.worker", PASSWORD, "Phạm Văn Cả Ngày")
SUPERVISOR = Account("browser.day.sup", PASSWORD, "Đỗ Thị Trả Lại")
COMMENT = "Kế hoạch chưa có mục tiêu về học tập của trẻ; bổ sung rồi gửi lại."
GOAL = "Trẻ đi học lại đầy đủ từ học kỳ hai"


def _seed(app) -> tuple[int, str]:
    """Two users of the browser commune and a child case whose plan waits for approval."""
    with app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == "BROWSER-1"))
        for account, role in ((WORKER, Role.SOCIAL_WORKER), (SUPERVISOR, Role.SUPERVISOR)):
            create_user(
                None, username=account.username, display_name=account.display_name,
                email=None, role=role, unit=unit, password=account.password,
            )  # fmt: skip
        db.session.flush()
        worker = db.session.scalar(select(User).where(User.username == WORKER.username))
        person = register_person(
            worker, sex="male", birth_year=2014, surname="Vũ", given_name="Minh"
        )
        case = services.open_case(
            worker, person=person, group_code="child", sub_groups=[],
            protection_level=ProtectionLevel.INTERVENTION, risk_level=RiskLevel.HIGH,
            unit=unit, summary="Trẻ nghỉ học nhiều tuần.",
        )  # fmt: skip
        access = case_access(worker, case, None, utcnow())
        for name in ("verify", "assess", "assess_in_detail"):
            services.take_transition(worker, case, access, name, expected_version=case.version)
        services.add_plan_action(
            worker, case, access, goal="Trẻ được ăn đủ", action="Đăng ký bữa trưa bán trú",
            responsible="Cán bộ xã", due_on=None,
        )  # fmt: skip
        services.take_transition(worker, case, access, "submit_plan", expected_version=case.version)
        db.session.commit()
        ids = case.id, case.number
        db.session.remove()
    return ids


def test_a_workers_day_returned_plan_fixed_and_approved(browser, live_server, artifacts):
    vi = Vietnamese(live_server.app)
    case_id, number = _seed(live_server.app)
    case_path = f"/cases/{case_id}"
    shots = {s: str(artifacts / f"worker-day-{s}.png") for s in (
        "comment-required", "notification", "approved")}  # fmt: skip
    contexts = []

    def new_page():
        context = browser.new_context(
            base_url=live_server.base_url, locale="vi-VN", viewport={"width": 1366, "height": 900}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    try:
        # -- the supervisor returns the plan: first without a comment, then with one --------
        sup = new_page()
        sign_in(sup, SUPERVISOR, vi)
        enrol_totp(sup, vi)
        sup.goto(case_path)
        expect(sup.get_by_label(vi("Comment (required)"))).to_be_visible()
        navigate(sup, sup.get_by_test_id("move-return_plan"))
        message = vi("Say why: a comment is required when you return or decline.")
        expect(sup.locator("#reason-return_plan-error")).to_have_text(message)
        expect(sup.get_by_test_id("comment-return_plan")).to_have_attribute("aria-invalid", "true")
        sup.screenshot(path=shots["comment-required"], full_page=True)
        sup.get_by_test_id("comment-return_plan").fill(COMMENT)
        navigate(sup, sup.get_by_test_id("move-return_plan"))
        expect(sup.locator("h1 .badge")).to_have_text(vi("Detailed assessment"))

        # -- the worker sees the notification in the header and opens the case from it ------
        work = new_page()
        sign_in(work, WORKER, vi)
        expect(work).to_have_url(re.compile(r"/dashboard$"))
        badge = work.get_by_test_id("notifications-badge")
        expect(badge.locator(".badge")).to_contain_text("1")
        navigate(work, badge)
        item = work.get_by_test_id("notifications").locator("li", has_text=number)
        expect(item).to_contain_text(vi("Plan returned for changes"))
        expect(item).not_to_contain_text(COMMENT)  # the comment stays on the case page
        work.screenshot(path=shots["notification"], full_page=True)
        navigate(work, item.get_by_role("link", name=number))
        expect(work).to_have_url(re.compile(case_path + "$"))
        expect(work.get_by_test_id("timeline")).to_contain_text(COMMENT)

        # -- fixes the plan and resubmits; marks the notification read ----------------------
        work.get_by_text(vi("Add a goal and action"), exact=True).click()
        field(work, vi("Goal")).fill(GOAL)
        field(work, vi("Action")).fill("Gặp nhà trường, hỗ trợ học phí và sách vở")
        field(work, vi("Responsible")).fill("Cán bộ xã và giáo viên chủ nhiệm")
        navigate(work, work.get_by_role("button", name=vi("Add to plan")))
        expect(work.locator("table tbody tr", has_text=GOAL)).to_be_visible()
        navigate(work, work.get_by_test_id("move-submit_plan"))
        expect(work.locator("h1 .badge")).to_have_text(vi("Plan submitted"))
        navigate(work, work.get_by_test_id("notifications-badge"))
        navigate(work, work.get_by_role("button", name=vi("Mark all read")))
        expect(work.get_by_test_id("notifications-badge").locator(".badge")).to_have_count(0)

        # -- the supervisor approves; the worker is told --------------------------------------
        sup.goto(case_path)
        expect(sup.get_by_label(vi("Comment (optional)")).first).to_be_visible()
        expect(sup.locator("main")).to_contain_text(GOAL)
        navigate(sup, sup.get_by_test_id("move-approve_plan"))
        expect(sup.locator("h1 .badge")).to_have_text(vi("Plan approved"))
        work.goto("/dashboard")
        expect(work.get_by_test_id("notifications-badge").locator(".badge")).to_contain_text("1")
        navigate(work, work.get_by_test_id("notifications-badge"))
        unread = work.get_by_test_id("notifications").locator("li[data-read=no]")
        expect(unread).to_have_count(1)
        expect(unread).to_contain_text(vi("Plan approved"))
        expect(unread).to_contain_text(number)
        work.screenshot(path=shots["approved"], full_page=True)
    finally:
        for context in contexts:
            context.close()
