"""The commune picker in a real browser: province, its communes, the filter box, save."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import select

from casemgr.admin.services import create_user
from casemgr.auth import mfa
from casemgr.auth.roles import Role
from casemgr.clock import utcnow
from casemgr.extensions import db
from casemgr.org.models import Unit
from tests.browser.test_sign_in_journey import sign_in
from tests.factories import PASSWORD

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect


@pytest.fixture
def administrator(live_server) -> tuple[str, str]:
    """An administrator with TOTP, committed in the browser server's database."""
    with live_server.app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == "BROWSER-1"))
        admin, _ = create_user(
            None,
            username="browser.admin.units",
            display_name="Phan Văn Quản Trị",
            email=None,
            role=Role.ADMINISTRATOR,
            unit=unit,
            password=PASSWORD,
        )
        secret = pyotp.random_base32()
        mfa.store_secret(admin, secret)
        admin.mfa_enrolled_at = utcnow()
        username = admin.username
        db.session.commit()
        db.session.remove()
    return username, secret


def test_admin_picks_communes_by_name_with_the_filter(page, live_server, administrator, artifacts):
    username, secret = administrator
    sign_in(page, username, PASSWORD)
    page.locator("input[name=code]").fill(pyotp.TOTP(secret).now())
    page.locator("main form [type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))

    page.goto("/admin/units/new")
    page.locator("#code").fill("BROWSER-PICK")
    page.locator("#name").fill("Văn phòng Phường Đồng Hới (thử)")
    page.locator("#kind").select_option("commune_office")
    page.locator("#valid_from").fill("2025-07-01")
    page.locator("#province_id").select_option(label="Quảng Trị")
    page.locator("[data-show-communes]").click()
    # The redraw keeps what was typed and lists the province's communes.
    expect(page.locator("#code")).to_have_value("BROWSER-PICK")
    boxes = page.locator("[data-commune]")
    total = boxes.count()
    assert total > 50

    # The filter box: shown by the script, matches without diacritics or by code.
    search = page.locator("#area_ids-filter")
    expect(search).to_be_visible()
    search.fill("dong hoi")
    expect(page.locator("[data-commune]:visible")).to_have_count(1)
    expect(page.locator("[data-commune]:visible")).to_contain_text("Phường Đồng Hới")
    page.locator("[data-commune]:visible input").check()
    search.fill("19333")  # Phường Đông Hà, by its code
    expect(page.locator("[data-commune]:visible")).to_contain_text("Phường Đông Hà")
    page.locator("[data-commune]:visible input").check()
    expect(page.locator("[data-commune-count]")).to_have_text("Đã chọn: 2.")
    search.fill("không có xã này")
    expect(page.locator("[data-commune-none]")).to_be_visible()
    search.press("Enter")  # filters only: the form is not sent
    expect(page).to_have_url(re.compile(r"/admin/units/new$"))
    search.fill("")
    expect(boxes.locator("visible=true")).to_have_count(total)
    page.screenshot(path=str(artifacts / "unit-communes-vi.png"), full_page=True)

    page.locator("input[type=submit][name=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/units/\d+$"))
    expect(page.locator("main dl")).to_contain_text("Phường Đồng Hới (18880)")
    expect(page.locator("main dl")).to_contain_text("Phường Đông Hà (19333)")
    assert page.problems == []
