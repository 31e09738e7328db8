"""A look at the home pages in a real browser, in Vietnamese (screenshots for a human)."""

from __future__ import annotations

import pyotp
from sqlalchemy import select

from casemgr.auth import mfa
from casemgr.auth.models import User
from casemgr.clock import utcnow
from casemgr.demo import DEMO_PASSWORD, load_demo_data
from casemgr.extensions import db


def _sign_in(page, live_server, username, secret=None):
    page.goto(live_server.url("/auth/login"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():  # a read before the next page loads sees the old one
        page.press("input[name=password]", "Enter")
    if secret:
        page.fill("input[name=code]", pyotp.TOTP(secret).now())
        with page.expect_navigation():
            page.press("input[name=code]", "Enter")


def test_home_pages_in_vietnamese(browser, live_server, tmp_path):
    secrets = {}
    with live_server.app.app_context():
        load_demo_data()
        for name in ("demo.sup1", "demo.auditor", "demo.admin"):
            user = db.session.scalar(select(User).where(User.username == name))
            secrets[name] = pyotp.random_base32()
            mfa.store_secret(user, secrets[name])
            user.mfa_enrolled_at = utcnow()
        db.session.commit()
    for name in ("demo.worker1", "demo.sup1", "demo.auditor", "demo.admin"):
        context = browser.new_context(
            base_url=live_server.base_url, locale="vi-VN", viewport={"width": 1366, "height": 900}
        )
        page = context.new_page()
        _sign_in(page, live_server, name, secrets.get(name))
        page.goto(live_server.url("/dashboard"))
        assert page.locator("section[data-testid^=section-]").count() == 1
        page.screenshot(path=tmp_path / f"{name}.png", full_page=True)
        if name == "demo.auditor":
            page.click("form[action$='/dashboard/verify'] button")
            page.screenshot(path=tmp_path / f"{name}-verified.png", full_page=True)
            assert page.locator("[data-testid=auditor-verification] .text-bg-success").count() == 1
        if name == "demo.admin":
            page.goto(live_server.url("/admin/users?show=setup"))
            page.screenshot(path=tmp_path / f"{name}-setup.png", full_page=True)
            worker = None
            with live_server.app.app_context():
                worker = db.session.scalar(select(User.id).where(User.username == "demo.worker1"))
            page.goto(live_server.url(f"/admin/users/{worker}"))
            page.click("[data-testid=open-cases-warning] button")  # no tick: refused
            page.screenshot(path=tmp_path / f"{name}-disable-refused.png", full_page=True)
            with live_server.app.app_context():
                assert db.session.get(User, worker).is_enabled
        context.close()
