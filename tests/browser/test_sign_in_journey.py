"""Sign-in in a real browser: TOTP enrolment, dashboard, language switch, sign-out."""

from __future__ import annotations

import re

import pyotp
import pytest
from flask_babel import force_locale, gettext

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

# Bootstrap 5's --bs-primary: defined only if Bootstrap's CSS was loaded.
BOOTSTRAP_PRIMARY = "#0d6efd"


def translated(app, locale: str, message: str) -> str:
    """The app's own rendering of a UI string in a language (the catalogue may still be empty)."""
    with app.test_request_context(), force_locale(locale):
        return gettext(message)


def sign_in(page, username: str, password: str) -> None:
    page.goto("/auth/login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("main form [type=submit]").click()


def assert_bootstrap_loaded(page) -> None:
    # After a redirect the new document may still be fetching its stylesheets (304s):
    # wait for the load event so the check sees the page as the user does.
    page.wait_for_load_state("load")
    primary = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--bs-primary').trim()"
    )
    assert primary == BOOTSTRAP_PRIMARY, "Bootstrap CSS did not load"
    assert page.evaluate("typeof window.bootstrap") == "object", "Bootstrap JS did not load"


def test_supervisor_enrols_totp_switches_language_and_signs_out(page, live_server, artifacts):
    account = live_server.supervisor
    sign_in(page, account.username, account.password)

    # Supervisors must use a second factor: the first sign-in goes to enrolment.
    expect(page).to_have_url(re.compile(r"/auth/mfa/enrol$"))
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    expect(page.locator("img.qr-code")).to_be_visible()
    page.locator("input[name=code]").fill(pyotp.TOTP(secret).now())
    page.locator("main form [type=submit]").click()
    # Enrolment ends on the one showing of the ten recovery codes.
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    page.get_by_test_id("recovery-codes-continue").click()

    # Signed in: the dashboard, in Vietnamese by default.
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.get_by_test_id("signed-in-as")).to_have_text(account.display_name)
    sign_out = page.locator("form[action='/auth/logout'] [type=submit]")
    vi_sign_out = translated(live_server.app, "vi", "Sign out")
    assert vi_sign_out != "Sign out", "no Vietnamese catalogue: run `make translations`"
    expect(sign_out).to_have_text(vi_sign_out)
    expect(page.locator("button[name=locale][value=vi]")).to_have_class(
        re.compile(r"\bbtn-light\b")
    )
    assert_bootstrap_loaded(page)
    page.screenshot(path=str(artifacts / "dashboard-vi.png"), full_page=True)

    # The header's EN button switches the language and returns to the same page.
    page.locator("button[name=locale][value=en]").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("main h1")).to_have_text(f"Welcome, {account.display_name}")
    expect(sign_out).to_have_text("Sign out")
    expect(page.locator("nav")).to_contain_text("Dashboard")
    expect(page.locator("button[name=locale][value=en]")).to_have_class(
        re.compile(r"\bbtn-light\b")
    )
    assert_bootstrap_loaded(page)
    page.screenshot(path=str(artifacts / "dashboard-en.png"), full_page=True)

    # Sign out from the header's account menu: back on the sign-in page, the session gone.
    page.get_by_test_id("account-menu").click()
    sign_out.click()
    expect(page).to_have_url(re.compile(r"/auth/login$"))
    expect(page.locator("input[name=username]")).to_be_visible()
    expect(page.locator(".alert-info")).to_be_visible()
    page.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/auth/login(\?.*)?$"))
    expect(page.locator("input[name=password]")).to_be_visible()

    assert page.problems == []


def test_wrong_password_and_unknown_user_get_the_same_message(page, live_server):
    def failed_sign_in_message(username: str, password: str) -> str:
        sign_in(page, username, password)
        # The form posts to the page's own path (with its query string when it has one).
        expect(page).to_have_url(re.compile(r"/auth/login\??$"))
        alert = page.locator(".alert-danger")
        expect(alert).to_be_visible()
        return alert.inner_text().strip()

    worker = live_server.worker
    wrong_password = failed_sign_in_message(worker.username, worker.password + "-wrong")
    unknown_user = failed_sign_in_message("no.such.user", worker.password + "-wrong")

    assert wrong_password
    assert wrong_password == unknown_user
    assert wrong_password == translated(live_server.app, "vi", "Wrong username or password.")
    # The typed username is kept; the password never is.
    expect(page.locator("input[name=username]")).to_have_value("no.such.user")
    expect(page.locator("input[name=password]")).to_have_value("")
    assert page.problems == []


def test_social_worker_signs_in_with_password_only(page, live_server):
    worker = live_server.worker
    sign_in(page, worker.username, worker.password)
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.get_by_test_id("signed-in-as")).to_have_text(worker.display_name)
    assert page.problems == []
