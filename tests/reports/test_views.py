"""Report pages, charts and exports: protected, scoped, audited; person lists encrypted."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile

import openpyxl
import pytest
from sqlalchemy import func, select

from casemgr.audit.models import AuditEvent
from casemgr.jobs import services as job_services
from casemgr.jobs.models import JobFile
from casemgr.reference.data import TARGET_GROUPS
from casemgr.reports import exports
from tests.reports.conftest import YEAR

QUERY = f"?report=registered&rows=age_band&cols=sex&year={YEAR}"


def events(db, user, action="report.export"):
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.actor_id == user.id, AuditEvent.action == action)
        )
    )


def test_page_shows_the_protected_table(client, province):
    client.login(province.lead)
    response = client.get("/reports/" + QUERY)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-testid="report-table"' in page
    assert "&lt;5" in page  # at least one small cell in 70 cases by 8 x 3
    assert "Nguyễn" not in page  # aggregates only


def test_the_group_filter_offers_every_target_group(client, province):
    """The filters' group list is the target groups (the menu's groups, named alike in the
    layout, once took its place: three empty options)."""
    client.login(province.lead)
    page = client.get("/reports/" + QUERY).get_data(as_text=True)
    select_ = re.search(r'<select[^>]*name="group".*?</select>', page, re.S).group(0)
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select_)
    assert sorted(code for code, _ in options[1:]) == sorted(code for code, _, _ in TARGET_GROUPS)
    assert all(label.strip() for _, label in options)


def test_chart_svg_has_no_style_and_hides_small_bars(client, province):
    client.login(province.lead)
    for url in ("/reports/chart.svg" + QUERY, "/reports/trend.svg" + QUERY):
        response = client.get(url)
        assert response.status_code == 200
        assert response.mimetype == "image/svg+xml"
        svg = response.get_data(as_text=True)
        assert svg.startswith("<svg") and "style=" not in svg and "<script" not in svg
    bars = client.get("/reports/chart.svg" + QUERY).get_data(as_text=True)
    assert "&lt;5" in bars


def test_chart_follows_the_language(client, province):
    client.login(province.lead)
    client.post_form("/auth/language", {"locale": "en"})
    english = client.get("/reports/chart.svg" + QUERY).get_data(as_text=True)
    client.post_form("/auth/language", {"locale": "vi"})
    vietnamese = client.get("/reports/chart.svg" + QUERY).get_data(as_text=True)
    assert "People newly taken on" in english and ">Unknown<" in english
    assert ">Không rõ<" in vietnamese and ">Unknown<" not in vietnamese


def test_csv_and_xlsx_exports_are_protected_and_audited(client, db, province):
    client.login(province.lead)
    page_cells = None
    response = client.get("/reports/export" + QUERY + "&format=csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    page_cells = [cell for row in rows[2:] for cell in row[1:]]
    assert "<5" in page_cells
    assert all(c.isdigit() or c in ("<5", "x") for c in page_cells if c and len(rows) > 2)

    response = client.get("/reports/export" + QUERY + "&format=xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    values = [c for row in workbook.active.iter_rows(values_only=True) for c in row]
    assert "<5" in values
    numbers = [v for v in values if isinstance(v, int)]
    assert numbers and all(v == 0 or v >= 5 for v in numbers)

    # The full provincial report is a job (run at once in tests); its page leads to the file.
    form = {"report": "registered", "rows": "age_band", "cols": "sex", "year": str(YEAR)}
    response = client.post_form("/reports/full-report", form)
    assert response.status_code == 302
    job_page = client.get(response.headers["Location"]).get_data(as_text=True)
    download = re.search(r'href="(/jobs/[^"]+/download)"', job_page).group(1)
    response = client.get(download)
    assert len(openpyxl.load_workbook(io.BytesIO(response.data)).sheetnames) > 10
    reasons = [e.reason for e in events(db, province.lead)]
    assert reasons == ["registered csv", "registered xlsx", "provincial full.xlsx"]
    assert [e.reason for e in events(db, province.lead, "job.download")] == ["report_workbook"]


def test_unknown_export_format_is_404(client, province):
    client.login(province.lead)
    assert client.get("/reports/export" + QUERY + "&format=pdf").status_code == 404


def test_person_list_is_encrypted_shown_once_and_audited(client, db, province):
    client.login(province.supervisor)
    response = client.post_form(
        "/reports/person-list", {"confirm": "1", "year": str(YEAR)}, follow_redirects=True
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    password = re.search(r'data-testid="export-password">([^<]+)<', page).group(1)
    status_url = re.search(r'href="(/jobs/[^"]+)"', page).group(1)
    assert password not in status_url

    status = client.get(status_url).get_data(as_text=True)
    download = re.search(r'href="(/jobs/[^"]+/download)"', status).group(1)
    data = client.get(download).data
    # Without the password it is no spreadsheet at all (an encrypted OLE container).
    with pytest.raises((zipfile.BadZipFile, OSError, KeyError, ValueError)):
        openpyxl.load_workbook(io.BytesIO(data))
    with pytest.raises(Exception):  # noqa: B017 - msoffcrypto raises its own error types
        exports.decrypt_xlsx(data, "wrong-password")
    sheet = openpyxl.load_workbook(io.BytesIO(exports.decrypt_xlsx(data, password))).active
    rows = list(sheet.iter_rows(values_only=True))[1:]
    # Only the commune supervisor's unit, and names are in the list.
    commune_cases = {c.number for c in province.cases if c.unit_id == province.commune.id}
    assert rows and {r[0] for r in rows} <= commune_cases
    assert all(str(r[1]).startswith("Nguyễn") for r in rows)
    # The password appears in no audit event.
    trail = [e for e in db.session.scalars(select(AuditEvent))]
    assert all(password not in repr((e.reason, e.object_id, e.fields)) for e in trail)
    assert len(events(db, province.supervisor)) == 1  # started
    assert len(events(db, province.supervisor, "job.download")) == 1


def test_person_list_needs_confirmation_and_the_role(client, province):
    client.login(province.supervisor)
    client.post_form("/auth/language", {"locale": "en"})
    refused = client.post_form("/reports/person-list", {"year": str(YEAR)})
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)  # the report page again, the message under the box
    box = html.split('id="confirm"', 1)[1].split("</form>", 1)[0]
    assert "Tick the box to confirm that you need the list" in box
    assert f'name="year" value="{YEAR}"' in html  # the filters kept
    client._cookies.clear()
    client.login(province.worker)
    assert client.post_form("/reports/person-list", {"confirm": "1"}).status_code == 403


def test_jobs_belong_to_their_user_and_expire(client, app, db, province):
    client.login(province.supervisor)
    page = client.post_form(
        "/reports/person-list", {"confirm": "1"}, follow_redirects=True
    ).get_data(as_text=True)
    status_url = re.search(r'href="(/jobs/[^"]+)"', page).group(1)
    assert client.get(status_url + "/download").status_code == 200
    client._cookies.clear()
    client.login(province.lead)  # another supervisor replays the key
    assert client.get(status_url).status_code == 404
    assert client.get(status_url + "/download").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(JobFile)) == 1
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert job_services.purge_expired_files(later) == 1
    assert db.session.scalar(select(func.count()).select_from(JobFile)) == 0
    client._cookies.clear()
    client.login(province.supervisor)
    assert client.get(status_url + "/download").status_code == 404
    assert 'data-testid="job-expired"' in client.get(status_url).get_data(as_text=True)


def test_sheet_names_are_valid_short_and_unique():
    """Excel refuses names over 31 characters, with []:*?/\\ or alike but for case."""
    used: set[str] = set()
    names = [
        exports.sheet_name(wanted, used)
        for wanted in ("Tình hình thực hiện đúng thời hạn xử lý", "a/b: [c]?", "A/B: [C]?", "''")
    ]
    assert names == ["Tình hình thực hiện đúng thời h", "a b c", "A B C (2)", "-"]
