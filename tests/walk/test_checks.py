"""The walk's checks fail when they should: each one is shown a page with the defect."""

from __future__ import annotations

import pytest

from tests.walk.catalogue import EnglishText
from tests.walk.crawler import SCRIPT, Form, Identity, Response, Walker
from tests.walk.dom import parse

CANARY = "ZqC02Canary"


@pytest.fixture(scope="module")
def english() -> EnglishText:
    return EnglishText()


@pytest.fixture
def walker(app, english) -> Walker:
    who = Identity("worker_c01", "w", "p", 1, {CANARY: "case content of DEMO-C02"}, {"case": 9})
    return Walker(app, app.test_client(), None, who, english)


def page(body: str, lang: str = "vi") -> Response:
    html = f'<!doctype html><html lang="{lang}"><body>{body}</body></html>'
    return Response(200, "/dashboard", "", "text/html", html.encode(), {}, parse(html))


def whats(walker: Walker) -> list[str]:
    return [failure.what for failure in walker.failures]


def test_untranslated_interface_text_and_validator_defaults_are_found(walker):
    walker.check_content(
        "GET", "/dashboard", "GET", page("<h1>Dashboard</h1><p>Bảng điều khiển</p>")
    )
    walker.check_content(
        "GET", "/x", "empty", page('<div class="invalid-feedback">This field is required.</div>')
    )
    walker.check_content(
        "GET", "/y", "hostile", page("<p>Field cannot be longer than 200 characters.</p>")
    )
    walker.check_content("GET", "/z", "GET", page("<title>Users · casemgr</title>"))
    found = whats(walker)
    assert any("'Dashboard'" in what for what in found)
    assert any("'This field is required.'" in what and "WTForms" in what for what in found)
    assert any("Field cannot be longer than" in what for what in found)
    assert any("'Users'" in what for what in found)
    assert len(found) == 4


def test_english_on_purpose_and_english_pages_pass(walker):
    walker.check_content("GET", "/a", "GET", page('<button lang="en">Dashboard</button>'))
    walker.check_content("GET", "/b", "GET", page("<h1>Dashboard</h1>", lang="en"))
    walker.check_content("GET", "/c", "GET", page("<textarea>Dashboard</textarea>"))
    assert walker.failures == []


def test_a_canary_and_unescaped_markup_are_found(walker):
    walker.check_content("GET", "/cases/9", "GET", page(f"<td>Nguyễn {CANARY}</td>"))
    walker.check_content("POST", "/cases/1/notes", "hostile", page(f"<p>{SCRIPT}</p>"))
    walker.check_content(
        "GET", "/ok", "GET", page("<p>&lt;script&gt;walkPwned()&lt;/script&gt;</p>")
    )
    found = whats(walker)
    assert found == [
        "shows case content of DEMO-C02 (canary ZqC02Canary)",
        "hostile markup rendered unescaped",
    ]


def test_a_banner_pointing_at_fields_needs_a_field_message(walker):
    form = Form("POST", "/people/3/edit", [], None, "people.edit")
    banner = '<div class="alert alert-danger">Vui lòng kiểm tra các trường được đánh dấu.</div>'
    walker.check_banners(form, "hostile", page(banner + '<input name="phone" id="phone">'))
    assert len(walker.failures) == 1 and "no field is marked" in walker.failures[0].what
    marked = (
        '<div><input name="phone" id="phone" class="is-invalid">'
        '<div class="invalid-feedback">Số điện thoại không hợp lệ.</div></div>'
    )
    walker.failures.clear()
    walker.check_banners(form, "hostile", page(banner + marked))
    assert walker.failures == []


def test_a_banner_naming_a_field_needs_a_message_under_that_field(walker):
    form = Form("POST", "/people/3/edit", [], None, "people.edit")
    body = (
        '<div class="alert alert-danger">Số điện thoại: sai định dạng.</div>'
        '<div><label for="phone">Số điện thoại</label><input id="phone" name="phone"></div>'
        '<div><label for="note">Ghi chú</label><input id="note" name="note">'
        '<div class="invalid-feedback">Quá dài.</div></div>'
    )
    walker.check_banners(form, "hostile", page(body))
    assert [f.what for f in walker.failures] == [
        "error banner names the field 'Số điện thoại' but it has no message"
    ]


def test_a_logged_error_is_a_failure(walker):
    import logging

    root = logging.getLogger()
    root.addHandler(walker.log)
    try:
        logging.getLogger("casemgr.reports.exports").error("person-list export failed")
    finally:
        root.removeHandler(walker.log)
    walker._drain_log("GET", "/reports/exports/status", "job")
    assert [f.what for f in walker.failures] == [
        "logged ERROR from casemgr.reports.exports: person-list export failed"
    ]
