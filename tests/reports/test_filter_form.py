"""The report filters are a form (reports.forms): a breakdown the chosen report does not offer,
or a year outside the form's range, is refused with a message under its field, the user's other
choices kept, and no table, chart or file is built from a guess (they fell back to the defaults
silently). Charts, exports, the full report and the person list take the same filters and
refuse them alike. Parameters left out still take the defaults (the first visit)."""

from __future__ import annotations

import html as markup
import json
import re

import pytest
from sqlalchemy import func, select

from casemgr.audit.models import AuditEvent
from casemgr.clock import today
from casemgr.jobs.models import Job
from tests.reports.test_one_result import Place

NOT_OFFERED = "không phân tổ được theo"


@pytest.fixture
def place(make, client) -> Place:
    return Place(make, client)


def filters_of(page: str) -> dict[str, str]:
    """What the filters form shows: each select's selected option, and the year as typed."""
    form = page.split('data-testid="report-filters"', 1)[1].split("</form>", 1)[0]
    shown = {}
    for name, options in re.findall(r'<select[^>]*name="(\w+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.findall(r'<option value="([^"]*)" selected>', options)
        shown[name] = chosen[0] if chosen else None
    shown["year"] = markup.unescape(re.search(r'name="year"[^>]*value="([^"]*)"', form).group(1))
    return shown


def message_under(page: str, field: str) -> list[str]:
    """The messages under one field of the filters (its invalid-feedback blocks)."""
    found = re.findall(rf'<div class="invalid-feedback d-block" id="{field}-error">([^<]*)<', page)
    return [markup.unescape(text) for text in found]


def no_result(page: str) -> bool:
    """Neither table nor chart, export, full report or person list: nothing built from a guess."""
    return not any(
        mark in page
        for mark in (
            'data-testid="report-table"',
            "/reports/chart.svg",
            "/reports/trend.svg",
            "/reports/export",
            'data-testid="full-export"',
            "/reports/person-list",
        )
    )


ASKED = {"report": "registered", "rows": "sex", "cols": "age_band", "year": "2025",
         "quarter": "2", "month": "", "group": "child"}  # fmt: skip
REFUSED = [
    # (report, field, value, its label, labels the message must not offer)
    ("registered", "rows", "closure_reason", "Lý do đóng hồ sơ", ["Lý do đóng hồ sơ"]),
    ("registered", "cols", "closure_reason", "Lý do đóng hồ sơ", ["Lý do đóng hồ sơ"]),
    ("assisted", "rows", "closure_reason", "Lý do đóng hồ sơ", ["Lý do đóng hồ sơ"]),
    ("active", "rows", "month", "Tháng", ["Tháng", "Quý", "Lý do đóng hồ sơ"]),
    ("active", "cols", "quarter", "Quý", ["Tháng", "Quý", "Lý do đóng hồ sơ"]),
    ("services", "cols", "closure_reason", "Lý do đóng hồ sơ", ["Lý do đóng hồ sơ"]),
]


@pytest.mark.parametrize(("report", "field", "value", "label", "absent"), REFUSED)
def test_a_breakdown_the_report_does_not_offer_is_refused_under_its_field(
    place, report, field, value, label, absent
):
    asked = {**ASKED, "report": report, field: value}
    response = place.client.get("/reports/", query_string=asked)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    (message,) = message_under(page, field)
    assert NOT_OFFERED in message and f"“{label}”" in message.split(".")[0]
    offered = message.split(":", 1)[1]  # what the report can be broken down by
    assert "“Giới tính”" in offered and "“Nhóm tuổi”" in offered
    assert not any(f"“{a}”" in offered for a in absent), offered
    assert message_under(page, "cols" if field == "rows" else "rows") == []
    assert filters_of(page) == asked  # every choice kept, the refused one too
    assert no_result(page)


def test_the_same_breakdown_for_rows_and_columns_is_refused_under_the_columns(place):
    asked = {**ASKED, "rows": "sex", "cols": "sex"}
    page = place.client.get("/reports/", query_string=asked)
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert message_under(text, "cols") == [
        "Hàng đã được phân tổ theo “Giới tính”: hãy chọn cách phân tổ khác cho cột, hoặc “(không)”."
    ]
    assert filters_of(text) == asked and no_result(text)


@pytest.mark.parametrize("field", ["report", "rows", "cols", "quarter", "month", "group"])
def test_an_unknown_choice_is_refused_under_its_field(place, field):
    asked = {**ASKED, field: "walk-unknown-choice"}
    page = place.client.get("/reports/", query_string=asked)
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert message_under(text, field) == ["Vui lòng chọn một trong các lựa chọn có sẵn."]
    assert no_result(text)


YEARS = [
    ("abc", "Nhập một số nguyên."),
    ("2025.5", "Nhập một số nguyên."),
    ("1999", "Nhập năm từ 2000 đến 2100."),
    ("-5", "Nhập năm từ 2000 đến 2100."),
    ("2101", "Nhập năm từ 2000 đến 2100."),
    ("2999", "Nhập năm từ 2000 đến 2100."),
    ("", "Trường này là bắt buộc."),
]


@pytest.mark.parametrize(("year", "message"), YEARS)
def test_an_invalid_year_is_refused_under_the_year_field(place, year, message):
    asked = {**ASKED, "report": "closed", "rows": "closure_reason", "cols": "group",
             "quarter": "", "month": "3", "year": year}  # fmt: skip
    response = place.client.get("/reports/", query_string=asked)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message_under(page, "year") == [message]  # one message, never two
    assert filters_of(page) == asked  # the year as typed, the other choices kept
    assert no_result(page)


@pytest.mark.parametrize("year", ["2000", "2100", str(today().year)])
def test_the_years_of_the_forms_range_are_accepted(place, year):
    page = place.client.get("/reports/", query_string={**ASKED, "year": year})
    assert page.status_code == 200
    assert filters_of(page.get_data(as_text=True))["year"] == year


def test_filters_left_out_take_the_defaults(place):
    page = place.client.get("/reports/").get_data(as_text=True)
    assert filters_of(page) == {"report": "registered", "rows": "age_band", "cols": "sex",
                                "year": str(today().year), "quarter": "", "month": "",
                                "group": ""}  # fmt: skip
    assert 'data-testid="report-table"' in page


def test_rows_fixed_by_the_report_are_said_under_the_rows(place):
    """Services by type: its rows are the services whatever the rows asked; the form says so
    (a note, not a refusal) instead of showing a choice that is not used."""
    response = place.client.get("/reports/", query_string={**ASKED, "report": "services"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Hàng của báo cáo này cố định: “Dịch vụ”." in page
    assert 'data-testid="report-table"' in page and message_under(page, "rows") == []
    deadlines = place.client.get("/reports/", query_string={**ASKED, "report": "deadlines"})
    text = deadlines.get_data(as_text=True)
    assert "Cột của báo cáo này cố định: “Trạng thái”." in text


WRONG = {**ASKED, "rows": "closure_reason", "year": "2999"}


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/reports/export", {"format": "csv"}),
        ("/reports/export", {"format": "xlsx"}),
        ("/reports/chart.svg", {}),
        ("/reports/trend.svg", {}),
        ("/reports/monitoring", {}),
    ],
)
def test_charts_exports_and_monitoring_refuse_what_the_page_refuses(place, db, path, extra):
    response = place.client.get(path, query_string={**WRONG, **extra})
    assert response.status_code == 400
    assert response.mimetype == "text/html"  # the filters page with its messages, no file
    page = response.get_data(as_text=True)
    assert message_under(page, "rows") and message_under(page, "year")
    assert 'data-testid="report-table"' not in page
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.actor_id == place.supervisor.id)
    ).all()
    assert "report.export" not in actions and "report.monitoring" not in actions


@pytest.mark.parametrize("path", ["/reports/full-report", "/reports/person-list"])
def test_the_full_report_and_the_person_list_refuse_wrong_filters(place, db, path):
    before = db.session.scalar(select(func.count()).select_from(Job))
    response = place.client.post_form(path, {**WRONG, "confirm": "1"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message_under(page, "rows") and message_under(page, "year")
    assert db.session.scalar(select(func.count()).select_from(Job)) == before  # no job


def test_the_messages_follow_the_language(place):
    place.client.post_form("/auth/language", {"locale": "en"})
    page = place.client.get("/reports/", query_string=WRONG).get_data(as_text=True)
    assert message_under(page, "rows") == [
        "The report “People newly taken on” cannot be broken down by “Reason for "
        "closing”. It can be broken down by: “Sex”, “Age band”, “Ethnicity”, “Commune”, "
        "“Target group”, “Sub-group”, “Unit”, “Month”, “Quarter”."
    ]
    assert message_under(page, "year") == ["Enter a year between 2000 and 2100."]


def test_a_job_whose_filters_no_longer_validate_fails_instead_of_guessing(place):
    from casemgr.jobs import kinds
    from casemgr.jobs.services import JobFailure
    from casemgr.reports import forms, services

    groups = services.target_groups()
    assert forms.parse(ASKED, groups)[1].rows.value == "sex"
    with pytest.raises(forms.InvalidFilters):
        forms.parse(WRONG, groups)
    job = Job(kind=kinds.REPORT_WORKBOOK, params=json.dumps({"filters": WRONG}))
    with pytest.raises(JobFailure):
        kinds._query(job)
