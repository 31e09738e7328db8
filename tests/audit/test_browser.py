"""In a real browser: an auditor signs in and finds who opened a given case."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import select

from casemgr.admin.services import create_user
from casemgr.auth import mfa
from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.cases.queries import load_case
from casemgr.clock import utcnow
from casemgr.extensions import db
from casemgr.org.models import Unit
from casemgr.reference.services import load_reference_data
from tests.browser.test_sign_in_journey import sign_in
from tests.browser_fixtures import menu_entry
from tests.cases.conftest import open_child_case
from tests.factories import PASSWORD

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect


@pytest.fixture
def opened_case(live_server) -> tuple[str, str, str]:
    """A case opened and viewed by the seeded worker, and an auditor with TOTP; committed."""
    with live_server.app.app_context():
        worker = db.session.scalar(select(User).where(User.username == live_server.worker.username))
        unit = db.session.scalar(select(Unit).where(Unit.code == "BROWSER-1"))
        load_reference_data()  # idempotent; the browser server's seed does not load it
        case = open_child_case(worker, unit)
        load_case(worker, case.id)  # the worker opens the file: audited as case.view
        auditor, _ = create_user(
            None,
            username=f"browser.auditor{case.id}",
            display_name="Lê Văn Kiểm Toán",
            email=None,
            role=Role.AUDITOR,
            unit=unit,
            password=PASSWORD,
        )
        secret = pyotp.random_base32()
        mfa.store_secret(auditor, secret)
        auditor.mfa_enrolled_at = utcnow()
        number, username = case.number, auditor.username
        db.session.commit()
        db.session.remove()
    return number, username, secret


def test_auditor_finds_who_opened_a_case(page, live_server, opened_case, artifacts):
    number, username, secret = opened_case
    sign_in(page, username, PASSWORD)
    expect(page).to_have_url(re.compile(r"/auth/mfa$"))
    page.locator("input[name=code]").fill(pyotp.TOTP(secret).now())
    page.locator("main form [type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))

    # The audit log, from the menu (on the bar for an auditor, whose menu is short).
    menu_entry(page, "/audit/events").click()
    page.locator("a.nav-link[href='/audit/cases']").click()
    page.locator("main input[name=case]").fill(number)
    page.locator("main form [type=submit]").click()

    expect(page).to_have_url(re.compile(r"/audit/cases\?case="))
    accessors = page.get_by_test_id("case-accessors")
    expect(accessors).to_contain_text(live_server.worker.username)
    expect(page.locator("main h2").first).to_contain_text(number)
    expect(page.get_by_test_id("audit-events")).to_contain_text("case.view")
    page.screenshot(path=str(artifacts / "audit-who-accessed.png"), full_page=True)
    # A favicon fetch cut short by the next navigation is not a problem of these pages.
    assert [p for p in page.problems if "favicon" not in p] == []
