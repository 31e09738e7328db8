"""Reports in a real browser: the page, its table and its SVG charts in Vietnamese and English;
the provincial supervisor's full export and the protected person list, run to a downloaded file
that opens (the person list in the app's real background thread)."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pyotp
import pytest
from sqlalchemy import select

from casemgr.admin.services import create_user
from casemgr.auth.roles import Role
from casemgr.cases.models import ProtectionLevel, RiskLevel
from casemgr.cases.services import open_case
from casemgr.extensions import db
from casemgr.org.models import Unit, UnitKind
from casemgr.org.services import open_unit
from casemgr.people.services import register_person
from casemgr.reports import exports
from tests.browser_fixtures import Account
from tests.factories import PASSWORD, open_without_area

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

LEAD = Account("browser.reports", PASSWORD, "Lê Thị Báo Cáo")
PROVINCIAL = Account("browser.reports.province", PASSWORD, "Hoàng Văn Tỉnh")


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


def sign_in_and_enrol(page, account: Account) -> None:
    """First sign-in of a supervisor: password, then TOTP enrolment."""
    page.goto("/auth/login")
    page.locator("input[name=username]").fill(account.username)
    page.locator("input[name=password]").fill(account.password)
    page.locator("main form [type=submit]").click()
    expect(page).to_have_url(re.compile(r"/auth/mfa/enrol$"))
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    page.locator("input[name=code]").fill(pyotp.TOTP(secret).now())
    page.locator("main form [type=submit]").click()
    # Enrolment ends on the one showing of the ten recovery codes.
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    page.get_by_test_id("recovery-codes-continue").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))


def test_report_page_and_charts_in_both_languages(page, live_server, lead, artifacts):
    sign_in_and_enrol(page, lead)

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


@pytest.fixture(scope="module")
def provincial(live_server) -> Account:
    """A provincial department with two communes and committed cases (none with an ethnicity
    recorded: the breakdown that made the full export fail), and its supervisor."""
    app = live_server.app
    with app.app_context():
        start = dt.date(2025, 7, 1)
        province = open_unit(None, code="BROWSER-PROV", name="Sở Y tế (browser test)",
                             kind=UnitKind.PROVINCIAL_DEPARTMENT, parent=None,
                             valid_from=start)  # fmt: skip
        for number in (1, 2):
            commune = open_without_area(code=f"BROWSER-PROV-{number}",
                                        name=f"Xã {number} (browser)",
                                        kind=UnitKind.COMMUNE_OFFICE, parent=province,
                                        valid_from=start)  # fmt: skip
            worker, _ = create_user(None, username=f"browser.reports.w{number}",
                                    display_name=f"Đinh Văn Xã {number}", email=None,
                                    role=Role.SOCIAL_WORKER, unit=commune,
                                    password=PASSWORD)  # fmt: skip
            for index in range(6):
                person = register_person(worker, sex="male" if index % 2 else "female",
                                         birth_year=2010 + index, surname="Lý",
                                         given_name=f"Thu{number}{index}")  # fmt: skip
                open_case(worker, person=person, group_code="child", sub_groups=[],
                          protection_level=ProtectionLevel.SUPPORT, risk_level=RiskLevel.LOW,
                          unit=commune, summary=None)  # fmt: skip
        create_user(None, username=PROVINCIAL.username, display_name=PROVINCIAL.display_name,
                    email=None, role=Role.SUPERVISOR, unit=province,
                    password=PASSWORD)  # fmt: skip
        db.session.commit()
        db.session.remove()
    yield PROVINCIAL


def test_provincial_full_export_and_protected_list_download_and_open(
    page, live_server, provincial, artifacts
):
    sign_in_and_enrol(page, provincial)
    page.goto("/reports/?report=registered&rows=age_band&cols=sex")
    expect(page.get_by_test_id("report-table")).to_be_visible()

    # The full provincial workbook (24 tables): a job, whose page offers the file.
    page.get_by_test_id("full-export").click()
    expect(page.get_by_test_id("export-status")).to_have_attribute("data-status", "done")
    with page.expect_download() as download:
        page.get_by_test_id("export-download").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
    assert len(workbook.sheetnames) == 24
    cells = [c for s in workbook.worksheets for r in s.iter_rows(values_only=True) for c in r]
    assert 12 in cells  # the province's 12 cases, published in a total

    # The protected list: confirm, note the password, follow the job to its end.
    page.goto("/reports/?report=registered&rows=age_band&cols=sex")
    page.locator("#confirm").check()
    page.locator("form[action$='/reports/person-list'] [type=submit]").click()
    password = page.get_by_test_id("export-password").inner_text().strip()
    assert re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", password)
    page.get_by_test_id("export-follow").click()
    status = page.get_by_test_id("export-status")
    # The page reloads itself (HTTP Refresh) while the job runs; it must end, and be done.
    expect(status).not_to_have_attribute("data-status", "running", timeout=30_000)
    expect(status).to_have_attribute("data-status", "done")
    page.screenshot(path=artifacts / "reports-person-list-done.png")
    with page.expect_download() as download:
        page.get_by_test_id("export-download").click()
    assert download.value.suggested_filename == "person-list.xlsx"
    data = download.value.path().read_bytes()
    sheet = openpyxl.load_workbook(io.BytesIO(exports.decrypt_xlsx(data, password))).active
    rows = list(sheet.iter_rows(values_only=True))[1:]
    assert len(rows) == 12 and all(str(row[1]).startswith("Lý Thu") for row in rows)
    assert page.problems == []
