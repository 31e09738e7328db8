"""Reassignment in the browser, in Vietnamese: a supervisor ticks cases on three pages of a
leaving worker's list (the pager's buttons post the ticks, whatever the fields below hold), the
count follows the boxes as they are ticked (static/js/ticks.js, no "Update the count" button
then), and one submission reassigns them all."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from casemgr.admin.services import create_user
from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.cases import services
from casemgr.cases.models import Case, ProtectionLevel, RiskLevel
from casemgr.extensions import db
from casemgr.org.models import Unit
from casemgr.people.services import register_person
from casemgr.rules.services import seed_rules
from tests.browser.test_case_journey import (
    Vietnamese,
    enrol_totp,
    navigate,
    real,
    sign_in,
    watch,
)
from tests.browser_fixtures import Account
from tests.factories import PASSWORD

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

SUPERVISOR = Account("browser.reassigner", PASSWORD, "Đỗ Thị Phân Công")
LEAVING = Account("browser.leaving", PASSWORD, "Lê Văn Nghỉ Việc")
CASES = 5  # three pages of two


@pytest.fixture
def leaving(live_server, monkeypatch) -> tuple[int, list[str]]:
    """A supervisor who never signed in, and a worker with five open cases, two to a page:
    the worker's id and case numbers."""
    monkeypatch.setitem(live_server.app.config, "PER_PAGE", 2)
    with live_server.app.app_context():
        seed_rules()
        unit = db.session.scalar(select(Unit).where(Unit.code == "BROWSER-1"))
        for account, role in ((SUPERVISOR, Role.SUPERVISOR), (LEAVING, Role.SOCIAL_WORKER)):
            create_user(None, username=account.username, display_name=account.display_name,
                        email=None, role=role, unit=unit, password=account.password)  # fmt: skip
        worker = db.session.scalar(select(User).where(User.username == LEAVING.username))
        numbers = []
        for given in ("An", "Bình", "Chi", "Dũng", "Giang")[:CASES]:
            person = register_person(
                worker, sex="female", birth_year=2014, surname="Hồ", given_name=given
            )
            case = services.open_case(
                worker, person=person, group_code="child", sub_groups=[],
                protection_level=ProtectionLevel.SUPPORT, risk_level=RiskLevel.MEDIUM,
                unit=unit, summary=None,
            )  # fmt: skip
            numbers.append(case.number)
        db.session.commit()
        worker_id = worker.id
        db.session.remove()
    return worker_id, numbers


def test_ticks_on_three_pages_counted_as_ticked_and_reassigned_at_once(
    page, live_server, leaving, artifacts
):
    vi = Vietnamese(live_server.app)
    worker_id, numbers = leaving
    problems = watch(page)
    sign_in(page, SUPERVISOR, vi)
    enrol_totp(page, vi)
    page.goto(f"/supervision/reassign?worker={worker_id}")
    count = page.locator("[data-ticks-count]").first
    expect(count).to_have_text("0")
    expect(page.get_by_role("button", name=vi("Update the count"))).to_be_hidden()
    expect(
        page.get_by_role("button", name=vi("Tick all %(num)d cases of this worker", num=CASES))
    ).to_be_visible()

    def tick(number: str) -> None:
        page.get_by_label(number, exact=True).check()

    def go(label: str) -> None:
        navigate(page, page.locator("button[name=goto]", has_text=vi(label)))

    tick(numbers[0])
    expect(count).to_have_text("1")  # at once, no page loaded
    go("Next")  # the required fields below still empty: neither the browser nor the app objects
    expect(page.locator("[data-testid=ticks]")).to_contain_text(
        vi("(%(num)d of them on other pages of the list)", num=1)
    )
    expect(page.locator(".invalid-feedback")).to_have_count(0)
    tick(numbers[2])
    page.locator("#reason").select_option("staff_change")
    go("Next")
    expect(page.locator("#reason")).to_have_value("staff_change")  # kept from page to page
    tick(numbers[4])
    expect(count).to_have_text("3")
    expect(page.locator("[data-ticks-count]").last).to_have_text("3")  # by the submit button
    go("Previous")
    expect(page.get_by_label(numbers[2], exact=True)).to_be_checked()
    expect(page.get_by_label(numbers[3], exact=True)).not_to_be_checked()
    page.screenshot(path=str(artifacts / "reassign-ticks-page-2.png"), full_page=True)

    new_owner = page.locator("#owner_id option", has_text="Trần Văn Công Tác")
    page.locator("#owner_id").select_option(new_owner.get_attribute("value"))
    navigate(page, page.get_by_role("button", name=vi("Reassign the chosen cases")))
    expect(page.locator(".alert-success")).to_have_text(vi("%(num)d case(s) reassigned.", num=3))
    with live_server.app.app_context():
        rows = db.session.execute(
            select(Case.number, Case.owner_id).where(Case.number.in_(numbers))
        )
        owners = {number: owner for number, owner in rows}
        db.session.remove()
    assert {n for n, owner in owners.items() if owner == worker_id} == {numbers[1], numbers[3]}
    assert not real(problems), real(problems)
