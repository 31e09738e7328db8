"""Correcting and voiding a note in a real browser, in Vietnamese: the links on the case page,
the pre-filled form, a refused blank reason, the history with the reason, the voided mark."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from casemgr.auth.models import User
from casemgr.cases import services as case_services
from casemgr.cases.models import ProtectionLevel, RiskLevel
from casemgr.cases.policy import case_access
from casemgr.clock import today, utcnow
from casemgr.extensions import db
from casemgr.org.models import Unit
from casemgr.people.registration import add_relative
from casemgr.people.services import register_person
from tests.browser_fixtures import ARTIFACTS

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

NOTE = "Thăm nhà: trẻ đi học đều."
FIXED = "Thăm nhà: trẻ đi học đều, mẹ đã có việc làm."
REASON = "Ghi nhầm nội dung buổi thăm."
RELATIVE = "Phạm Văn Nhầm"


def _vi(app, message: str, **values) -> str:
    with app.test_request_context(), force_locale("vi"):
        return gettext(message, **values)


@pytest.fixture
def case_with_note(live_server) -> int:
    """A case of the browser worker with one note (committed in the live server's database)."""
    with live_server.app.app_context():
        worker = db.session.scalar(select(User).where(User.username == live_server.worker.username))
        unit = db.session.scalar(select(Unit).where(Unit.code == "BROWSER-1"))
        person = register_person(worker, sex="female", birth_year=2014, surname="Phạm",
                                 middle_name="Thị", given_name="Thu")  # fmt: skip
        case = case_services.open_case(
            worker, person=person, group_code="child", sub_groups=[],
            protection_level=ProtectionLevel.SUPPORT, risk_level=RiskLevel.LOW, unit=unit,
            summary="Báo cáo ban đầu.",
        )  # fmt: skip
        access = case_access(worker, case, None, utcnow())
        case_services.add_note(worker, case, access, kind="visit", occurred_on=today(), body=NOTE)
        add_relative(worker, person, relationship_kind="sibling", is_guardian=False,
                     name=RELATIVE, phone=None)  # fmt: skip
        db.session.commit()
        case_id = case.id
        db.session.remove()
    return case_id


def test_correct_and_void_a_note(page, live_server, case_with_note):
    app = live_server.app
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto("/auth/login")
    page.locator("input[name=username]").fill(live_server.worker.username)
    page.locator("input[name=password]").fill(live_server.worker.password)
    page.locator("main form [type=submit]").click()
    page.goto(f"/cases/{case_with_note}")
    links = page.get_by_test_id("timeline").get_by_test_id("correction-links")
    links.get_by_role("link", name=_vi(app, "Correct")).click()
    expect(page.locator("textarea[name=body]")).to_have_value(NOTE)  # pre-filled
    page.screenshot(path=str(ARTIFACTS / "corrections-correct.png"), full_page=True)
    page.locator("textarea[name=body]").fill(FIXED)
    page.locator("textarea[name=reason]").fill("   ")  # blank: the server refuses it
    page.locator("main form [type=submit]").click()
    expect(page.locator(".invalid-feedback")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "corrections-refused.png"), full_page=True)
    page.locator("textarea[name=reason]").fill(REASON)
    page.locator("main form [type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/cases/{case_with_note}$"))
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text(FIXED)
    expect(timeline.get_by_test_id("corrected").first).to_be_visible()
    timeline.get_by_role("link", name=_vi(app, "History")).first.click()
    expect(page.get_by_test_id("version")).to_have_count(2)
    expect(page.get_by_test_id("reason")).to_contain_text(REASON)
    expect(page.get_by_test_id("versions")).to_contain_text(NOTE)  # the earlier version
    page.screenshot(path=str(ARTIFACTS / "corrections-history.png"), full_page=True)
    page.goto(f"/cases/{case_with_note}")
    links = page.get_by_test_id("timeline").get_by_test_id("correction-links")
    links.get_by_role("link", name=_vi(app, "Void")).click()
    page.screenshot(path=str(ARTIFACTS / "corrections-void.png"), full_page=True)
    page.locator("textarea[name=reason]").fill(REASON)
    page.locator("main form [type=submit]").click()
    expect(page.get_by_test_id("timeline").get_by_test_id("voided").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "corrections-voided.png"), full_page=True)
    # A relative voided on the person page: struck through, marked, no longer offered.
    page.get_by_role("link", name=re.compile("Phạm Thị Thu")).first.click()
    relatives = page.get_by_test_id("relatives")
    relatives.get_by_role("link", name=_vi(app, "Void")).click()
    expect(page.get_by_test_id("record")).to_contain_text(RELATIVE)
    page.locator("textarea[name=reason]").fill("Không phải người thân.")
    page.locator("main form [type=submit]").click()
    expect(page.get_by_test_id("relatives").get_by_test_id("voided")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "corrections-person.png"), full_page=True)
    # The only failed request is the refused blank reason (400), shown with its message.
    assert [p for p in page.problems if "400" not in p] == []
