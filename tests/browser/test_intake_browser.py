"""Intake in the browser, in Vietnamese: an over-long account is refused under its field, one
very long word at the limit wraps on the report page and in the queue (the page keeps its width),
a report is refused by a case of another group and linked to a child case, which names it;
opening a case for a child who has an open case asks for a tick first, and offers only the
children group; a refused field has the focus."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from casemgr.auth.models import User
from casemgr.cases import services
from casemgr.cases.models import ProtectionLevel, RiskLevel
from casemgr.extensions import db
from casemgr.intake.validation import MAX_LENGTHS
from casemgr.org.models import Unit
from casemgr.people.services import register_person
from casemgr.rules.services import seed_rules
from tests.browser.test_case_journey import Vietnamese, field, navigate, sign_in

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect


def _seed(app, username: str) -> tuple[str, str, int]:
    """A trafficking case of an adult and a child case in the browser commune (their numbers,
    and the child's person id)."""
    with app.app_context():
        seed_rules()
        unit = db.session.scalar(select(Unit).where(Unit.code == "BROWSER-1"))
        worker = db.session.scalar(select(User).where(User.username == username))
        numbers = []
        for group, year, given in (("trafficking", 1999, "Mai"), ("child", 2015, "Lan")):
            person = register_person(
                worker, sex="female", birth_year=year, surname="Phạm", given_name=given
            )
            case = services.open_case(
                worker, person=person, group_code=group, sub_groups=[],
                protection_level=ProtectionLevel.INTERVENTION, risk_level=RiskLevel.HIGH,
                unit=unit, summary=None,
            )  # fmt: skip
            numbers.append(case.number)
        child = person.id
        db.session.commit()
        db.session.remove()
    return numbers[0], numbers[1], child


def _width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_long_text_wraps_and_only_a_child_case_takes_the_report(page, live_server, artifacts):
    vi = Vietnamese(live_server.app)
    adult_case, child_case, child = _seed(live_server.app, live_server.worker.username)
    sign_in(page, live_server.worker, vi)
    page.goto("/intake/new")
    page.locator("#unit_id").select_option(index=1)
    page.locator("#source").select_option("hotline")
    word = "x" * MAX_LENGTHS["situation"]
    situation = field(page, vi("What happened: the harm or risk to the child"))
    situation.evaluate("(el, v) => { el.removeAttribute('maxlength'); el.value = v; }", word + "x")
    field(page, vi("Where the child is, or where it happened")).fill("Thôn 3")
    navigate(page, page.get_by_role("button", name=vi("Record the report")))
    expect(
        page.locator("#situation ~ .invalid-feedback, #situation + .invalid-feedback")
    ).to_contain_text(str(MAX_LENGTHS["situation"]))
    situation = field(page, vi("What happened: the harm or risk to the child"))
    situation.evaluate("(el, v) => { el.value = v; }", word)
    navigate(page, page.get_by_role("button", name=vi("Record the report")))
    expect(page).to_have_url(re.compile(r"/intake/\d+$"))
    report_path = re.search(r"/intake/\d+$", page.url).group(0)
    viewport = page.viewport_size["width"]
    assert _width(page) <= viewport
    page.screenshot(path=str(artifacts / "intake-long-word.png"), full_page=True)
    page.goto("/intake/")
    assert _width(page) <= viewport

    page.goto(report_path)
    field(page, vi("Number of the existing case")).fill(adult_case)
    navigate(page, page.get_by_role("button", name=vi("Link to this case")))
    expect(page.locator("#case_number ~ .invalid-feedback")).to_have_text(
        vi("A report about a child can only join a case of the children group.")
    )
    # The refused field has the focus (and is scrolled to): on a phone the page comes back at
    # its top, and the message may be far below it.
    expect(page.locator("#case_number")).to_be_focused()
    page.screenshot(path=str(artifacts / "intake-link-refused.png"), full_page=True)
    field(page, vi("Number of the existing case")).fill(child_case)
    navigate(page, page.get_by_role("button", name=vi("Link to this case")))
    expect(page).to_have_url(re.compile(r"/cases/\d+$"))
    navigate(page, page.get_by_test_id("case-reports").get_by_role("link"))
    expect(page).to_have_url(re.compile(report_path + "$"))

    # A second report, for the same child: a new case is opened only once the open one is known.
    page.goto("/intake/new")
    page.locator("#unit_id").select_option(index=1)
    page.locator("#source").select_option("hotline")
    field(page, vi("What happened: the harm or risk to the child")).fill("Trẻ lại bị đánh")
    field(page, vi("Where the child is, or where it happened")).fill("Thôn 3")
    navigate(page, page.get_by_role("button", name=vi("Record the report")))
    second = re.search(r"/intake/\d+$", page.url).group(0)
    page.goto(f"{second}/case/{child}")
    expect(page.get_by_test_id("open-cases-warning")).to_contain_text(child_case)
    expect(page.locator("#group_code option")).to_have_count(1)
    navigate(page, page.get_by_role("button", name=vi("Open case")))
    expect(page.locator("#confirm_another ~ .invalid-feedback")).to_have_text(
        vi("Tick this box to open another case for this person.")
    )
    expect(page.locator("#protection_level")).to_be_focused()  # the first refused, in order
    page.screenshot(path=str(artifacts / "intake-open-case-warning.png"), full_page=True)
    page.locator("#protection_level").select_option(index=1)
    page.locator("#risk_level").select_option(index=1)
    page.locator("#confirm_another").check()
    navigate(page, page.get_by_role("button", name=vi("Open case")))
    expect(page).to_have_url(re.compile(r"/cases/\d+$"))
    expect(page.get_by_test_id("case-reports")).to_contain_text("TN-")
