"""Reports in a real browser: the page, its table and its SVG charts in Vietnamese and English."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import select

from casemgr.admin.services import create_user
from casemgr.auth.roles import Role
from casemgr.cases.models import ProtectionLevel, RiskLevel
from casemgr.cases.services import open_case
from casemgr.extensions import db
from casemgr.org.models import Unit
from casemgr.people.services import register_person
from tests.browser_fixtures import Account
from tests.factories import PASSWORD

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

LEAD = Account("browser.reports", PASSWORD, "Lê Thị Báo Cáo")


@pytest.fixture(scope="module")
def lead(live_server) -> Account:
    """A supervisor (TOTP not enrolled yet) of the browser unit, with a few committed cases."""
    with live_server.app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == "BROWSER-1"))
        worker, _ = create_user(None, username="browser.reports.worker",
                                display_name="Phạm Văn Ghi", email=None, role=Role.SOCIAL_WORKER,
                                unit=unit, password=PASSWORD)  # fmt: skip
        create_user(None, username=LEAD.username, display_name=LEAD.display_name, email=None,
                    role=Role.SUPERVISOR, unit=unit, password=PASSWORD)  # fmt: skip
        for number in range(14):
            person = register_person(
                worker,
                sex="female" if number % 3 else "male",
                birth_year=2012 if number % 2 else 1990,
                surname="Đỗ",
                given_name=f"Hà{number}",
            )
            open_case(worker, person=person, group_code="child", sub_groups=[],
                      protection_level=ProtectionLevel.SUPPORT, risk_level=RiskLevel.LOW,
                      unit=unit, summary=None)  # fmt: skip
        db.session.commit()
        db.session.remove()
    return LEAD


def test_report_page_and_charts_in_both_languages(page, live_server, lead, artifacts):
    page.goto("/auth/login")
    page.locator("input[name=username]").fill(lead.username)
    page.locator("input[name=password]").fill(lead.password)
    page.locator("main form [type=submit]").click()
    expect(page).to_have_url(re.compile(r"/auth/mfa/enrol$"))
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    page.locator("input[name=code]").fill(pyotp.TOTP(secret).now())
    page.locator("main form [type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))

    for locale, unknown in (("vi", "Không rõ"), ("en", "Unknown")):
        if locale == "en":
            page.goto("/dashboard")
            page.locator("button[name=locale][value=en]").click()
            expect(page.locator("html")).to_have_attribute("lang", "en")
        page.goto("/reports/?report=registered&rows=age_band&cols=sex")
        expect(page.locator("html")).to_have_attribute("lang", locale)
        table = page.get_by_test_id("report-table")
        expect(table).to_contain_text(unknown)
        expect(table).to_contain_text("<5")  # 14 cases by 8 x 3: small cells are hidden
        for chart in ("bar-chart", "trend-chart"):
            image = page.get_by_test_id(chart)
            expect(image).to_be_visible()
            width = image.evaluate("img => img.complete ? img.naturalWidth : 0")
            assert width == 720, f"{chart} did not render ({locale})"
        page.screenshot(path=artifacts / f"reports-page-{locale}.png", full_page=True)
        page.goto("/reports/chart.svg?report=registered&rows=age_band&cols=sex")
        expect(page.locator("svg text").filter(has_text=unknown)).to_have_count(1)
        page.screenshot(path=artifacts / f"reports-chart-{locale}.png")
    assert page.problems == []
