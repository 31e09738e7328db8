"""A referral in a real browser, from sending to completion, with screenshots.

A social worker of the browser test's commune office has an identified trafficking victim
whose consent to referral is on record; she sends a referral to a shelter from the case page,
records the shelter's acceptance on its behalf, then the outcome that closes the loop. Each
step is checked on the page, and the page may show no console error or failed request.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from casemgr.auth.models import User
from casemgr.cases.policy import case_access
from casemgr.clock import utcnow
from casemgr.extensions import db
from casemgr.org.models import Area, AreaLevel, Unit
from casemgr.people.relations import ConsentGiver
from casemgr.rules.services import seed_rules
from casemgr.support import services
from casemgr.support.catalogue import load_service_catalogue
from casemgr.support.models import ServicePoint, ServicePointKind, VictimStatus
from tests.browser_fixtures import Account, menu_link
from tests.support.conftest import consent, open_case

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

SHELTER = "Nhà tạm lánh Hy Vọng (browser test)"
REASON = "Cần chỗ ở an toàn và khám sức khỏe sau khi trở về."
OUTCOME = "Đã được tiếp nhận 30 ngày, khám sức khỏe, gia đình đến đón."


class Vietnamese:
    """The app's own Vietnamese rendering of its UI strings (English until translated)."""

    def __init__(self, app) -> None:
        self.app = app

    def __call__(self, message: str, **values) -> str:
        with self.app.test_request_context(), force_locale("vi"):
            return gettext(message, **values)


def sign_in(page, account: Account, vi: Vietnamese) -> None:
    page.goto("/auth/login")
    page.get_by_label(vi("Username")).fill(account.username)
    page.get_by_label(vi("Password")).fill(account.password)
    page.get_by_role("button", name=vi("Sign in")).click()


@pytest.fixture(scope="module")
def trafficking_case(live_server) -> int:
    """An identified victim's case with referral consent, and an active shelter (committed)."""
    with live_server.app.app_context():
        load_service_catalogue()
        seed_rules()
        worker = db.session.scalar(select(User).where(User.username == live_server.worker.username))
        unit = db.session.scalar(select(Unit).where(Unit.code == "BROWSER-1"))
        case = open_case(worker, unit, sub_group_codes=("criminality",), given="Thu Trang")
        consent(worker, case, ConsentGiver.SUBJECT, on=dt.date(2025, 7, 1))
        services.record_trafficking_status(
            worker,
            case,
            case_access(worker, case, None, utcnow()),
            status=VictimStatus.IDENTIFIED,
            valid_from=dt.date(2025, 7, 1),
        )
        province = db.session.scalar(
            select(Area).where(Area.level == AreaLevel.PROVINCE).order_by(Area.code).limit(1)
        )
        shelter = ServicePoint(kind=ServicePointKind.SHELTER, name=SHELTER, area_id=province.id)
        db.session.add(shelter)
        db.session.commit()
        case_id = case.id
        db.session.remove()
    return case_id


def test_worker_sends_a_referral_and_closes_its_loop(
    page,
    live_server,
    artifacts,
    trafficking_case,
):
    vi = Vietnamese(live_server.app)
    steps = ("form", "sent", "accepted", "completed", "list")
    shots = {step: str(artifacts / f"referral-{step}.png") for step in steps}
    sign_in(page, live_server.worker, vi)
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    page.goto(f"/cases/{trafficking_case}")
    section = page.get_by_test_id("support-section")
    expect(section.get_by_test_id("current-status")).to_contain_text(vi("Identified victim"))
    expect(section).to_contain_text("Cưỡng bức phạm tội")  # forced criminality, from sub-groups
    expect(page.get_by_test_id("referral-consent-missing")).to_have_count(0)

    # -- send --------------------------------------------------------------------------------
    section.get_by_role("link", name=vi("Send a referral")).click()
    expect(page).to_have_url(re.compile(r"/referrals/new$"))
    expect(page.get_by_test_id("consent-missing")).to_have_count(0)
    partner = page.get_by_label(vi("Refer to"), exact=True)
    partner.select_option(label=partner.locator("option", has_text=SHELTER).inner_text())
    page.get_by_label(vi("For the service"), exact=True).select_option(
        label="Hỗ trợ nhu cầu thiết yếu"
    )
    page.get_by_label(vi("Reason for the referral"), exact=True).fill(REASON)
    page.screenshot(path=shots["form"], full_page=True)
    page.get_by_role("button", name=vi("Send referral")).click()
    expect(page).to_have_url(re.compile(rf"/cases/{trafficking_case}#support$"))
    expect(page.locator(".alert-success")).to_have_text(vi("Referral sent."))
    row = page.get_by_test_id("case-referrals").locator("tbody tr", has_text=SHELTER)
    expect(row).to_contain_text(vi("Waiting for an answer"))
    page.screenshot(path=shots["sent"], full_page=True)

    # -- the shelter accepts (recorded on its behalf) -----------------------------------------
    row.get_by_role("link").first.click()  # the date opens the referral (then its letter)
    expect(page.get_by_test_id("referral")).to_contain_text(REASON)
    page.get_by_label(vi("Answer"), exact=True).select_option(label=vi("Accepted"))
    page.get_by_role("button", name=vi("Record answer")).click()
    expect(page.locator(".alert-success")).to_have_text(vi("Answer recorded."))
    expect(page.get_by_test_id("referral-status")).to_have_text(vi("Accepted"))
    page.screenshot(path=shots["accepted"], full_page=True)

    # -- the outcome closes the loop -----------------------------------------------------------
    page.get_by_label(vi("Outcome"), exact=True).fill(OUTCOME)
    page.get_by_role("button", name=vi("Record outcome")).click()
    expect(page.locator(".alert-success")).to_have_text(
        vi("Outcome recorded: the referral is closed.")
    )
    expect(page.get_by_test_id("referral-status")).to_have_text(vi("Completed"))
    expect(page.get_by_test_id("referral")).to_contain_text(OUTCOME)
    page.screenshot(path=shots["completed"], full_page=True)

    # -- the referrals list: closed ones only under "All" ------------------------------------
    menu_link(page, vi("Referrals")).click()
    expect(page.get_by_test_id("referrals")).not_to_contain_text(SHELTER)
    page.get_by_label(vi("Show"), exact=True).select_option(value="all")
    page.get_by_role("button", name=vi("Filter")).click()
    expect(page.get_by_test_id("referrals").locator("tbody tr", has_text=SHELTER)).to_contain_text(
        vi("Completed")
    )
    page.screenshot(path=shots["list"], full_page=True)
    assert page.problems == []
