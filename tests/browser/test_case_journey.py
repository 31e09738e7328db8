"""A whole case in a real browser: a social worker and a supervisor of one commune office.

The worker registers a child, opens a case, moves it through verification and assessment,
records the initial assessment, drafts and submits a plan; the supervisor (TOTP at first
sign-in) approves it from the caseload; the worker implements, reviews, records a home visit
and requests closure; the supervisor approves the closure. Everything is done in Vietnamese
(the default language) by clicking visible texts, test ids and labelled fields; each step is
checked on the page, and neither browser may see a console error or a failed request.
"""

from __future__ import annotations

import re

import pyotp
import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from casemgr.admin.services import create_user
from casemgr.auth.roles import Role
from casemgr.clock import today
from casemgr.extensions import db
from casemgr.org.models import Unit
from casemgr.reference.data import TARGET_GROUPS
from tests.browser_fixtures import TIMEOUT_MS, Account, menu_link
from tests.factories import PASSWORD

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

SUPERVISOR = Account("browser.case.sup", PASSWORD, "Lê Thị Phê Duyệt")
CHILD = ("Hoàng", "Thị", "Ánh Nguyệt")  # surname, middle name, given name
CHILD_NAME = " ".join(CHILD)
CHILD_GROUP = next(vi for code, vi, _en in TARGET_GROUPS if code == "child")
INTAKE = "Hàng xóm báo tin: trẻ thường bị bỏ đói, nghỉ học từ tháng 9."
VISIT = "Thăm nhà lần 3: trẻ đi học đều, mẹ đã có việc làm ổn định."
CASE_NUMBER = re.compile(r"BROWSER-1-\d{4}-\d{4}")


@pytest.fixture(scope="module")
def supervisor(live_server) -> Account:
    """A supervisor of the same commune office who has never signed in (TOTP not enrolled).

    The session's own supervisor may already have been enrolled by the sign-in journey.
    """
    with live_server.app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == "BROWSER-1"))
        create_user(
            None,
            username=SUPERVISOR.username,
            display_name=SUPERVISOR.display_name,
            email=None,
            role=Role.SUPERVISOR,
            unit=unit,
            password=SUPERVISOR.password,
        )
        db.session.commit()
        db.session.remove()
    return SUPERVISOR


class Vietnamese:
    """The app's own Vietnamese rendering of its UI strings."""

    def __init__(self, app) -> None:
        self.app = app

    def __call__(self, message: str, **values) -> str:
        with self.app.test_request_context(), force_locale("vi"):
            return gettext(message, **values)


def watch(page) -> list[str]:
    """Collect console errors, page errors, failed requests and HTTP errors of a page."""
    problems: list[str] = []

    def console(message) -> None:
        url = message.location.get("url", "")
        if message.type == "error" and not url.endswith("/favicon.ico"):
            problems.append(f"console error: {message.text} ({url})")

    def response(response) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            problems.append(f"HTTP {response.status}: {response.url}")

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "requestfailed",
        lambda request: problems.append(f"request failed: {request.url} {request.failure}"),
    )
    page.on("response", response)
    return problems


def navigate(page, target) -> None:
    """Click a link or button and wait until the next page has loaded, scripts included.

    Acting on a page whose scripts are still loading aborts their requests (ERR_ABORTED),
    which would count as a failed request.
    """
    with page.expect_navigation(wait_until="load"):
        target.click()


def real(problems: list[str]) -> list[str]:
    """The problems, without a static file's fetch cut short by the next navigation.

    Chromium fetches the icon after the load event, and a page left at once (a goto right after
    a form's redirect) drops its stylesheets and scripts still in flight: ERR_ABORTED there is
    the test's pace, not the app. A missing or failing file still shows up as an HTTP error.
    """
    aborted = r"/(favicon\.\w+|(bootstrap/)?static/\S+) net::ERR_ABORTED$"
    return [p for p in problems if not re.search(aborted, p)]


def sign_in(page, account: Account, vi: Vietnamese) -> None:
    page.goto("/auth/login")
    page.get_by_label(vi("Username")).fill(account.username)
    page.get_by_label(vi("Password")).fill(account.password)
    navigate(page, page.get_by_role("button", name=vi("Sign in")))


def enrol_totp(page, vi: Vietnamese) -> None:
    expect(page).to_have_url(re.compile(r"/auth/mfa/enrol$"))
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    page.locator("input[name=code]").fill(pyotp.TOTP(secret).now())
    navigate(page, page.locator("main form [type=submit]"))
    # Enrolment ends on the one showing of the ten recovery codes.
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    page.get_by_test_id("recovery-codes-continue").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))


def field(page, label: str):
    """The form control labelled exactly `label`."""
    return page.get_by_label(label, exact=True)


CLOSURE_REASON = "Trẻ đã an toàn, đi học đều; gia đình chăm sóc tốt."
GOALS_MET = "Goals of the plan met: safe and no longer at risk"  # the coded reason's label


def move(page, name: str, vi: Vietnamese, status: str) -> None:
    """Press a workflow button (confirming first when the move cannot be taken back) and check
    the case's new status (badge and message)."""
    confirm = page.get_by_test_id(f"understood-{name}")
    if confirm.count():
        confirm.check()
    navigate(page, page.get_by_test_id(f"move-{name}"))
    status_text = vi(status)
    expect(page.locator("h1 .badge")).to_have_text(status_text)
    expect(page.locator(".alert-success")).to_contain_text(status_text)


def test_worker_and_supervisor_take_a_child_case_from_registration_to_closure(
    page, browser, live_server, supervisor, artifacts
):
    vi = Vietnamese(live_server.app)
    shot = {
        step: str(artifacts / f"case-journey-{step}.png")
        for step in (
            "registration",
            "opened",
            "plan-submitted",
            "supervisor-caseload",
            "approval",
            "closed",
        )
    }
    worker_page, problems = page, page.problems

    # -- the social worker registers the child -------------------------------------------
    sign_in(worker_page, live_server.worker, vi)
    expect(worker_page).to_have_url(re.compile(r"/dashboard$"))
    navigate(worker_page, menu_link(worker_page, vi("Cases")))
    expect(worker_page.locator("main h1")).to_have_text(vi("My caseload"))
    # Other browser tests share this worker and server: the caseload need not be empty here.
    expect(worker_page.get_by_test_id("caseload")).to_be_visible()
    navigate(worker_page, worker_page.get_by_role("link", name=vi("Register a person")))
    expect(worker_page.locator("main h1")).to_have_text(vi("Register a person"))
    surname, middle, given = CHILD
    field(worker_page, vi("Surname")).fill(surname)
    field(worker_page, vi("Middle name")).fill(middle)
    field(worker_page, vi("Given name")).fill(given)
    field(worker_page, vi("Sex")).select_option(label=vi("Female"))
    field(worker_page, vi("Or the estimated year of birth")).fill("2016")
    unit_select = field(worker_page, vi("Registering unit"))
    unit_name = unit_select.locator("option:checked").inner_text().strip()
    assert unit_name.startswith("Phòng Lao động"), unit_name
    worker_page.screenshot(path=shot["registration"], full_page=True)
    navigate(worker_page, worker_page.get_by_role("button", name=vi("Register"), exact=True))

    # -- the person page, and opening a case ----------------------------------------------
    expect(worker_page).to_have_url(re.compile(r"/people/\d+$"))
    expect(worker_page.locator("main h1")).to_have_text(CHILD_NAME)
    expect(worker_page.locator(".alert-success")).to_have_text(
        vi("Registered. Record consent and relatives, then open a case.")
    )
    expect(worker_page.locator("main")).to_contain_text(vi("born about %(year)d", year=2016))
    expect(worker_page.locator("main")).to_contain_text(vi("No case yet."))
    navigate(worker_page, worker_page.get_by_role("link", name=vi("Open a case")))
    expect(worker_page).to_have_url(re.compile(r"/cases/new/\d+$"))
    expect(worker_page.locator("main")).to_contain_text(CHILD_NAME)
    field(worker_page, vi("Target group")).select_option(label=CHILD_GROUP)
    field(worker_page, vi("Protection level")).select_option(label=vi("Intervention"))
    field(worker_page, vi("Risk level")).select_option(label=vi("High"))
    field(worker_page, vi("Unit")).select_option(label=unit_name)
    field(worker_page, vi("How the case came in and what happened")).fill(INTAKE)
    navigate(worker_page, worker_page.get_by_role("button", name=vi("Open case")))

    expect(worker_page).to_have_url(re.compile(r"/cases/\d+$"))
    heading = worker_page.locator("main h1")
    expect(heading).to_contain_text(CASE_NUMBER)
    number = CASE_NUMBER.search(heading.inner_text()).group(0)
    case_path = re.search(r"/cases/\d+$", worker_page.url).group(0)
    expect(worker_page.locator(".alert-success")).to_have_text(
        vi("Case %(number)s opened.", number=number)
    )
    expect(heading.locator(".badge")).to_have_text(vi("Intake"))
    main = worker_page.locator("main")
    expect(main).to_contain_text(CHILD_NAME)
    expect(main).to_contain_text(CHILD_GROUP)
    expect(main).to_contain_text(INTAKE)
    expect(main).to_contain_text(live_server.worker.display_name)
    expect(worker_page.get_by_test_id("move-heading-verify")).to_have_text(vi("Start verification"))
    expect(worker_page.get_by_test_id("move-verify")).to_have_accessible_name(
        f"{vi('Confirm')} {vi('Start verification')}"
    )
    worker_page.screenshot(path=shot["opened"], full_page=True)

    # -- verification, initial assessment --------------------------------------------------
    move(worker_page, "verify", vi, "Verification")
    move(worker_page, "assess", vi, "Initial assessment")
    navigate(worker_page, worker_page.get_by_role("link", name=vi("Record an assessment")))
    expect(worker_page).to_have_url(re.compile(r"/assessments/new$"))
    field(worker_page, vi("Assessment")).select_option(label=vi("Initial risk assessment"))
    field(worker_page, vi("Immediate safety: where is the person now, and are they safe?")).fill(
        "Trẻ đang ở với bà ngoại, tạm thời an toàn."
    )
    field(worker_page, vi("Needs: health, schooling, income, shelter, legal help")).fill(
        "Cần hỗ trợ học phí và bữa trưa."
    )
    field(worker_page, vi("Risk rating")).select_option(label=vi("High"))
    navigate(worker_page, worker_page.get_by_role("button", name=vi("Save assessment")))
    expect(worker_page).to_have_url(re.compile(case_path + "$"))
    expect(worker_page.locator(".alert-success")).to_have_text(vi("Assessment saved."))
    timeline = worker_page.get_by_test_id("timeline")
    expect(timeline).to_contain_text(vi("Initial risk assessment"))
    expect(timeline).to_contain_text("Trẻ đang ở với bà ngoại, tạm thời an toàn.")

    # -- detailed assessment, the plan -----------------------------------------------------
    move(worker_page, "assess_in_detail", vi, "Detailed assessment")
    # The plan waits for its detailed assessment: the page says so and links to the form.
    expect(worker_page.get_by_test_id("move-submit_plan")).to_have_count(0)
    navigate(worker_page, worker_page.get_by_test_id("gate-link-submit_plan"))
    expect(field(worker_page, vi("Assessment")).locator("option:checked")).to_have_text(
        vi("Detailed assessment")
    )
    field(worker_page, vi("Carers: who looks after the person, and can they protect them?")).fill(
        "Bà ngoại chăm sóc, mẹ đi làm xa."
    )
    navigate(worker_page, worker_page.get_by_role("button", name=vi("Save assessment")))
    expect(worker_page.locator(".alert-success")).to_have_text(vi("Assessment saved."))
    worker_page.get_by_text(vi("Add a goal and action"), exact=True).click()
    field(worker_page, vi("Goal")).fill("Trẻ được ăn đủ và đi học đều")
    field(worker_page, vi("Action")).fill("Đăng ký bữa trưa bán trú; thăm nhà hai tuần một lần")
    field(worker_page, vi("Responsible")).fill("Cán bộ xã và nhà trường")
    field(worker_page, vi("Due date")).fill("2026-12-31")
    navigate(worker_page, worker_page.get_by_role("button", name=vi("Add to plan")))
    expect(worker_page.locator(".alert-success")).to_have_text(vi("Added to the plan."))
    plan_row = worker_page.locator("table tbody tr", has_text="Trẻ được ăn đủ và đi học đều")
    expect(plan_row).to_contain_text("Cán bộ xã và nhà trường")
    expect(plan_row).to_contain_text("31/12/2026")
    move(worker_page, "submit_plan", vi, "Plan submitted")
    expect(worker_page.locator("main")).to_contain_text(
        vi("Waiting for a supervisor to decide on what you submitted.")
    )
    expect(worker_page.get_by_test_id("move-approve_plan")).to_have_count(0)
    worker_page.screenshot(path=shot["plan-submitted"], full_page=True)

    # -- the supervisor approves the plan from the caseload ----------------------------------
    context = browser.new_context(
        base_url=live_server.base_url, locale="vi-VN", viewport={"width": 1280, "height": 800}
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        supervisor_page = context.new_page()
        supervisor_problems = watch(supervisor_page)
        sign_in(supervisor_page, supervisor, vi)
        enrol_totp(supervisor_page, vi)
        expect(supervisor_page.get_by_test_id("signed-in-as")).to_have_text(supervisor.display_name)
        navigate(supervisor_page, menu_link(supervisor_page, vi("Cases")))
        row = supervisor_page.get_by_test_id("caseload").locator("tr", has_text=number)
        expect(row).to_contain_text(CHILD_NAME)
        expect(row).to_contain_text(vi("Plan submitted"))
        expect(row).to_contain_text(live_server.worker.display_name)
        supervisor_page.screenshot(path=shot["supervisor-caseload"], full_page=True)
        navigate(supervisor_page, row.get_by_role("link", name=number))
        expect(supervisor_page).to_have_url(re.compile(case_path + "$"))
        expect(supervisor_page.get_by_test_id("move-heading-approve_plan")).to_have_text(
            vi("Approve the plan")
        )
        expect(supervisor_page.get_by_test_id("move-return_plan")).to_be_visible()
        expect(supervisor_page.locator("main")).to_contain_text("Trẻ được ăn đủ và đi học đều")
        supervisor_page.screenshot(path=shot["approval"], full_page=True)
        move(supervisor_page, "approve_plan", vi, "Plan approved")

        # -- the worker implements, reviews, visits and asks to close --------------------
        worker_page.reload()
        expect(worker_page.locator("h1 .badge")).to_have_text(vi("Plan approved"))
        move(worker_page, "implement", vi, "Implementation")
        move(worker_page, "review", vi, "Review")
        worker_page.get_by_text(vi("Record a contact or visit"), exact=True).click()  # unfold
        field(worker_page, vi("Kind of contact")).select_option(label=vi("Home visit"))
        field(worker_page, vi("Date")).fill(today().isoformat())  # not before the case
        field(worker_page, vi("Note")).fill(VISIT)
        navigate(worker_page, worker_page.get_by_role("button", name=vi("Save note")))
        expect(worker_page.locator(".alert-success")).to_have_text(vi("Note saved."))
        expect(worker_page.get_by_test_id("timeline")).to_contain_text(VISIT)
        # The law closes a case only when the child is safe: the request says why.
        worker_page.get_by_test_id("comment-request_closure").fill(CLOSURE_REASON)
        worker_page.get_by_test_id("understood-request_closure").check()
        navigate(worker_page, worker_page.get_by_test_id("move-request_closure"))
        # Without its coded reason the request is refused under the field, the comment kept.
        expect(worker_page.locator("#closure-reason-request_closure-error")).to_have_text(
            vi("Choose why the case can close.")
        )
        expect(worker_page.get_by_test_id("comment-request_closure")).to_have_value(CLOSURE_REASON)
        expect(worker_page.locator("h1 .badge")).to_have_text(vi("Review"))
        worker_page.get_by_test_id("closure-reason-request_closure").select_option(
            label=vi(GOALS_MET)
        )
        move(worker_page, "request_closure", vi, "Closure requested")
        expect(worker_page.get_by_test_id("move-approve_closure")).to_have_count(0)
        expect(worker_page.get_by_test_id("closure-reason")).to_have_text(vi(GOALS_MET))

        # -- the supervisor approves the closure ----------------------------------------
        supervisor_page.reload()
        expect(supervisor_page.locator("h1 .badge")).to_have_text(vi("Closure requested"))
        expect(supervisor_page.get_by_test_id("timeline")).to_contain_text(CLOSURE_REASON)
        expect(supervisor_page.get_by_test_id("closure-reason-asked")).to_contain_text(
            vi(GOALS_MET)
        )
        move(supervisor_page, "approve_closure", vi, "Closed")
        expect(supervisor_page.get_by_test_id("closure-reason")).to_have_text(vi(GOALS_MET))
        timeline = supervisor_page.get_by_test_id("timeline")
        expect(timeline).to_contain_text(VISIT)
        expect(timeline).to_contain_text(vi("Home visit"))
        expect(supervisor_page.get_by_test_id("move-reopen")).to_be_visible()
        supervisor_page.screenshot(path=shot["closed"], full_page=True)
        assert real(supervisor_problems) == []
    finally:
        context.close()

    worker_page.reload()
    expect(worker_page.locator("h1 .badge")).to_have_text(vi("Closed"))
    expect(worker_page.get_by_test_id("timeline")).to_contain_text(VISIT)
    assert real(problems) == []
