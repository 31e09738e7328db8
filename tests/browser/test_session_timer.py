"""The session's expiry warning in the browser, on a fake clock: nothing for most of the idle
limit, then "continue working" a few minutes before it (which keeps the session), typing in a
form counted as activity, and a clear "ended" message once the limit has passed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from casemgr.auth.models import User, UserSession
from casemgr.clock import utcnow
from casemgr.extensions import db
from tests.browser.test_case_journey import Vietnamese, sign_in

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect


def test_the_warning_comes_before_the_idle_limit_and_typing_keeps_the_session(page, live_server):
    vi = Vietnamese(live_server.app)
    idle = live_server.app.config["SESSION_IDLE_MINUTES"]
    assert idle == 30  # the fake clock's steps below are for the shipped limit
    page.clock.install()
    sign_in(page, live_server.worker, vi)
    page.goto("/people/new")
    timer = page.get_by_test_id("session-timer")
    expect(timer).to_be_hidden()

    page.clock.fast_forward("25:00")
    expect(timer).to_be_hidden()
    page.clock.fast_forward("01:30")  # 3 minutes before the limit, less the server's minute
    expect(timer).to_be_visible()
    with page.expect_response("**/auth/keepalive") as answer:
        timer.get_by_role("button", name=vi("Continue working")).click()
    assert answer.value.status == 200
    expect(timer).to_be_hidden()

    page.clock.fast_forward("06:00")
    with page.expect_response("**/auth/keepalive") as answer:
        page.locator("main input[type=text]").first.press_sequentially("Ng")
    assert answer.value.status == 200
    page.clock.fast_forward("20:00")
    expect(timer).to_be_hidden()  # the typing moved the limit

    page.clock.fast_forward("10:00")
    ended = vi(
        "Your session has ended. Nothing you have not saved on this page was sent: copy what "
        "you need to keep, then sign in again."
    )
    expect(timer.get_by_text(ended)).to_be_visible()
    expect(timer.get_by_role("button", name=vi("Continue working"))).to_be_hidden()
    expect(timer.get_by_role("link", name=vi("Sign in again (new tab)"))).to_be_visible()
    assert page.locator("main input[type=text]").first.input_value() == "Ng"
    assert page.problems == []


def test_the_absolute_limit_is_announced_with_its_time(page, live_server):
    vi = Vietnamese(live_server.app)
    hours = live_server.app.config["SESSION_ABSOLUTE_HOURS"]
    page.clock.install()
    sign_in(page, live_server.worker, vi)
    with live_server.app.app_context():
        started = utcnow() - dt.timedelta(hours=hours, minutes=-8)  # 8 minutes left
        user = db.session.scalar(select(User).where(User.username == live_server.worker.username))
        db.session.execute(
            update(UserSession)
            .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
            .values(created_at=started)
        )
        db.session.commit()
        db.session.remove()
    page.goto("/people/new")
    timer = page.get_by_test_id("session-timer")
    expect(timer).to_be_visible()
    limit = vi(
        "Your session reaches its limit of %(hours)s hours at %(time)s. Save your work now, "
        "then sign in again.",
        hours=hours,
        time="@",
    )
    expect(timer.get_by_text(limit.split("@")[1].lstrip(". "))).to_be_visible()
    timer.get_by_role("button", name=vi("Hide this message")).click()
    expect(timer).to_be_hidden()
    page.clock.fast_forward("08:30")
    expect(timer.get_by_role("link", name=vi("Sign in again (new tab)"))).to_be_visible()
    timer.get_by_role("button", name=vi("Hide this message")).click()
    page.clock.fast_forward("00:05")
    expect(timer).to_be_hidden()  # hidden for good: what was typed stays uncovered
    assert page.problems == []
