"""The person screens in a real browser, in Vietnamese: the list, the search (good, empty and
wrong input), and registration blocked by an exact ID match until the user states that the
two are different people."""

from __future__ import annotations

import re

import pytest

from casemgr.extensions import db
from casemgr.people.relations import PersonDistinction
from tests.browser_fixtures import menu_entry

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

NATIONAL_ID = "079301004321"


def sign_in(page, username: str, password: str) -> None:
    page.goto("/auth/login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("main form [type=submit]").click()


def register(page, given: str, national_id: str, *, different: bool = False) -> None:
    page.goto("/people/new")
    page.locator("#surname").fill("Trần")
    page.locator("#middle_name").fill("Thị")
    page.locator("#given_name").fill(given)
    page.locator("#sex").select_option("female")
    page.locator("#birth_year").fill("2001")
    page.locator("#national_id").fill(national_id)
    if different:
        page.locator("#different_person").check()
    page.locator("main form [type=submit]").last.click()


def test_worker_finds_people_and_is_stopped_by_an_exact_id(page, live_server, artifacts):
    account = live_server.worker
    sign_in(page, account.username, account.password)
    page.set_viewport_size({"width": 1366, "height": 900})

    register(page, "Mỹ", NATIONAL_ID)
    expect(page).to_have_url(re.compile(r"/people/\d+$"))
    first = int(page.url.rsplit("/", 1)[1])

    # The same ID under another name: blocked, the message under the ID field.
    register(page, "Hoa", NATIONAL_ID)
    expect(page.get_by_test_id("exact-duplicates")).to_be_visible()
    expect(page.locator("#national_id")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator("#national_id ~ .invalid-feedback")).to_be_visible()
    expect(page.get_by_test_id("exact-duplicates").locator(f"a[href='/people/{first}']"))
    page.screenshot(path=str(artifacts / "people-register-blocked-vi.png"), full_page=True)
    page.locator("#different_person").check()
    page.locator("main form [type=submit]").last.click()
    expect(page).to_have_url(re.compile(r"/people/\d+$"))
    second = int(page.url.rsplit("/", 1)[1])
    with live_server.app.app_context():
        pair = db.session.query(PersonDistinction).filter_by(person_id=first).one()
        assert pair.other_id == second and pair.basis == "national_id"

    # The list, from the menu.
    page.goto("/dashboard")
    menu_entry(page, "/people/").click()
    expect(page).to_have_url(re.compile(r"/people/$"))
    expect(page.get_by_test_id("persons").locator(f"a[href='/people/{first}']")).to_be_visible()
    page.screenshot(path=str(artifacts / "people-list-vi.png"), full_page=True)

    # Search: good (no diacritics), empty, wrong, an ID.
    page.locator("#q").fill("tran thi my")
    page.locator("form[role=search] [type=submit]").click()
    expect(page.get_by_test_id("persons").locator(f"a[href='/people/{first}']")).to_be_visible()
    assert "tran" not in page.url.lower()
    page.screenshot(path=str(artifacts / "people-search-vi.png"), full_page=True)
    page.locator("#q").fill("")
    page.locator("form[role=search] [type=submit]").click()  # the browser keeps it (required)
    assert page.locator("#q").evaluate("element => element.validity.valueMissing")
    page.screenshot(path=str(artifacts / "people-search-empty-vi.png"), full_page=True)
    page.locator("#q").fill("Không Có Ai Tên Này")
    page.locator("form[role=search] [type=submit]").click()
    expect(page.get_by_test_id("persons").locator("a")).to_have_count(0)
    page.locator("#q").fill(NATIONAL_ID)
    page.locator("form[role=search] [type=submit]").click()
    expect(page.get_by_test_id("persons").locator("a")).to_have_count(2)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(artifacts / "people-search-id-390-vi.png"), full_page=True)


@pytest.mark.parametrize("width", [1366, 390])
def test_a_long_name_without_spaces_does_not_widen_the_page(page, live_server, width):
    """A name of 100 letters without a space (the field allows it) wraps on the person page
    instead of pushing it past the screen."""
    account = live_server.worker
    sign_in(page, account.username, account.password)
    page.set_viewport_size({"width": width, "height": 900})
    register(page, ("Đ" if width > 500 else "Ư") * 100, f"0793010{width:05d}")
    expect(page).to_have_url(re.compile(r"/people/\d+$"))
    page.wait_for_load_state("load")  # measured with the stylesheet applied (a busy CI was not)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
