"""In a real browser, the sub-groups follow the chosen target group without a reload (a static
script under the CSP), and a person's sex and a case's facts start empty."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from casemgr.admin.services import create_user
from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.extensions import db
from casemgr.org.models import Unit
from casemgr.people.services import register_person
from casemgr.reference.data import SUB_GROUPS, TARGET_GROUPS
from tests.factories import PASSWORD

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect


def _vi(app, message: str) -> str:
    with app.test_request_context(), force_locale("vi"):
        return gettext(message)


def _group(code: str) -> str:
    return next(vi for group, vi, _en in TARGET_GROUPS if group == code)


def _sub(group: str, code: str) -> str:
    return next(vi for g, c, vi, _en in SUB_GROUPS if (g, c) == (group, code))


WORKER = "browser.subgroups"


def _person(live_server) -> int:
    """A person registered by a worker of this test's own (so no other test's caseload grows)."""
    with live_server.app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == "BROWSER-1"))
        worker = db.session.scalar(select(User).where(User.username == WORKER))
        if worker is None:
            worker, _temp = create_user(
                None,
                username=WORKER,
                display_name="Phạm Thị Phân Nhóm",
                email=None,
                role=Role.SOCIAL_WORKER,
                unit=unit,
                password=PASSWORD,
            )
        person = register_person(
            worker,
            sex="female",
            birth_year=1998,
            surname="Đặng",
            given_name="Thu",
            registered_unit_id=unit.id,
            registered_by_id=worker.id,
        )
        db.session.commit()
        person_id = person.id
        db.session.remove()
    return person_id


def test_sub_groups_follow_the_group_in_the_browser(page, live_server, artifacts):
    app = live_server.app
    person_id = _person(live_server)
    page.goto("/auth/login")
    page.get_by_label(_vi(app, "Username")).fill(WORKER)
    page.get_by_label(_vi(app, "Password")).fill(PASSWORD)
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name=_vi(app, "Sign in")).click()
    page.goto(f"/cases/new/{person_id}", wait_until="load")

    group = page.get_by_label(_vi(app, "Target group"), exact=True)
    for name in ("Target group", "Protection level", "Risk level"):
        expect(page.get_by_label(_vi(app, name), exact=True)).to_have_value("")
    child_box = page.get_by_label(f"a) {_sub('child', 'a')}", exact=True)
    sexual_box = page.get_by_label(_sub("trafficking", "sexual"), exact=True)
    expect(child_box).to_be_hidden()
    expect(sexual_box).to_be_hidden()
    # With the script, the no-script button is not offered.
    expect(page.get_by_role("button", name=_vi(app, "Update sub-groups"))).to_be_hidden()

    group.select_option(label=_group("child"))
    expect(child_box).to_be_visible()
    expect(sexual_box).to_be_hidden()
    child_box.check()

    group.select_option(label=_group("trafficking"))
    expect(sexual_box).to_be_visible()
    expect(child_box).to_be_hidden()
    expect(child_box).not_to_be_checked()  # a hidden choice is never sent
    page.screenshot(path=str(artifacts / "sub-groups-trafficking.png"), full_page=True)

    sexual_box.check()
    page.get_by_label(_vi(app, "Protection level"), exact=True).select_option(index=2)
    page.get_by_label(_vi(app, "Risk level"), exact=True).select_option(index=3)
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name=_vi(app, "Open case")).click()
    expect(page).to_have_url(re.compile(r"/cases/\d+$"))
    expect(page.locator("main")).to_contain_text(_sub("trafficking", "sexual"))
    expect(page.locator("main")).not_to_contain_text("sexual)")
    assert not page.problems, page.problems
