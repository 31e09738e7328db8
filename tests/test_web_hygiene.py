"""Headers, cookies, error pages, languages and dates (SECURITY.md A6, A9)."""

from __future__ import annotations

import datetime as dt

from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.i18n import show_date


def test_security_headers_on_every_page(client, make):
    client.login(make.user(Role.SOCIAL_WORKER))
    for url in ("/dashboard", "/auth/password", "/no-such-page"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert headers["Cache-Control"] == "no-store"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_hsts_over_plain_http(app):
    plain = app.test_client()
    response = plain.get("/auth/login", base_url="http://localhost")
    assert "Strict-Transport-Security" not in response.headers


def test_session_cookie_flags(client, make):
    response = client.login(make.user(Role.SOCIAL_WORKER))
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_pages_have_no_inline_script_or_style(client, make):
    client.login(make.user(Role.ADMINISTRATOR))
    for url in ("/dashboard", "/admin/users", "/admin/units", "/auth/password"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>" not in html and " style=" not in html and "<style" not in html
        assert "cdn" not in html.lower() and "https://" not in html


def test_healthz_is_public_and_says_nothing_else(app):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_interface_is_vietnamese_by_default(client):
    html = client.get("/auth/login").get_data(as_text=True)
    assert 'lang="vi"' in html
    assert "Đăng nhập" in html


def test_language_switch_is_remembered_per_user(app, client, make, db):
    user = make.user(Role.SOCIAL_WORKER)
    client.login(user)
    response = client.post_form("/auth/language", {"locale": "en", "next": "/dashboard"})
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert 'lang="en"' in client.get("/dashboard").get_data(as_text=True)
    assert db.session.get(User, user.id).locale == "en"
    # A new session on another device comes back in English.
    other = app.test_client()
    other.login(user)
    assert 'lang="en"' in other.get("/dashboard").get_data(as_text=True)


def test_language_switch_refuses_unknown_languages(client):
    assert client.post_form("/auth/language", {"locale": "xx"}).status_code == 400


def test_dates_are_day_month_year_in_vietnamese(app):
    with app.test_request_context():
        assert show_date(dt.date(2026, 3, 7)) == "07/03/2026"


def test_error_pages_use_the_layout(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "(404)" in response.get_data(as_text=True)
    assert 'lang="vi"' in response.get_data(as_text=True)


def test_an_id_too_large_for_the_database_is_a_plain_404(client, make):
    """A 20-digit id once reached PostgreSQL ("bigint out of range") and answered 500."""
    client.login(make.user(Role.SOCIAL_WORKER))
    for url in ("/cases/99999999999999999999", "/people/99999999999999999999", "/cases/0"):
        assert client.get(url).status_code == 404, url


def test_translations_kept_for_a_request_follow_its_locale(app):
    """The request's translations are found once (casemgr.i18n.RequestDomain), yet a forced or
    refreshed locale still translates in its own language, lazy labels too."""
    from flask import session
    from flask_babel import force_locale, gettext, lazy_gettext, refresh

    label = lazy_gettext("Cases")
    with app.test_request_context("/"):
        assert gettext("Cases") == str(label) == "Hồ sơ"
        with force_locale("en"):
            assert gettext("Cases") == str(label) == "Cases"
        assert gettext("Cases") == str(label) == "Hồ sơ"
        session["locale"] = "en"
        refresh()
        assert gettext("Cases") == str(label) == "Cases"
