"""Background export jobs: run in a real thread to their end, and a failure reaches its user."""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import threading

import openpyxl
import pytest

from casemgr.reports import exports


@pytest.fixture
def threads(app, tmp_path):
    """Jobs started by a request run afterwards in the app's own thread runner (`_in_thread`),
    as in production: no request, no `current_user` there. The test waits for them to end."""
    before = {k: app.config.get(k) for k in ("REPORTS_EXPORT_RUNNER", "REPORTS_EXPORT_DIR")}
    started: list = []
    app.config["REPORTS_EXPORT_RUNNER"] = lambda app, work: started.append(work)
    app.config["REPORTS_EXPORT_DIR"] = str(tmp_path)

    def run_all(before_each=None) -> None:
        while started:
            work = started.pop(0)
            if before_each:
                before_each()
            exports._in_thread(app, work)
            for thread in threading.enumerate():
                if thread.name == "report-export":
                    thread.join()

    yield run_all
    app.config.update(before)


def start(client, **form) -> tuple[str, str]:
    """POST the protected-list form; the password and the status page it answers with."""
    response = client.post_form("/reports/person-list", {"confirm": "1", **form})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    password = re.search(r'data-testid="export-password">([^<]+)<', page).group(1)
    status_url = re.search(r'href="(/reports/exports/status\?job=[^"]+)"', page).group(1)
    return password, status_url


def status_of(page: str) -> str:
    return re.search(r'data-testid="export-status" data-status="([a-z]*)"', page).group(1)


def test_person_list_thread_reaches_done_and_opens_with_the_password(client, demo, threads):
    """Issue 10: the thread read `current_user` (no one, outside a request) and died with an
    AttributeError; the page said "0 of 0" for ever."""
    client.login(demo["demo.lead"])
    password, status_url = start(client)
    threads()
    page = client.get(status_url)
    assert "Refresh" not in page.headers
    page = page.get_data(as_text=True)
    assert status_of(page) == "done"
    download = re.search(r'href="(/reports/exports/download\?job=[^"]+)"', page).group(1)
    data = client.get(download.replace("&amp;", "&")).data
    sheet = openpyxl.load_workbook(io.BytesIO(exports.decrypt_xlsx(data, password))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) > 1 and any("Nguyễn Thị Lan" in str(row[1]) for row in rows[1:])


def failed_page(client, status_url: str) -> str:
    response = client.get(status_url)
    assert response.status_code == 200 and "Refresh" not in response.headers
    page = response.get_data(as_text=True)
    assert status_of(page) == "failed" and 'data-testid="export-failed"' in page
    return page


def test_a_list_too_long_fails_and_says_why(client, app, demo, threads, caplog):
    app.config["REPORTS_PERSON_LIST_MAX_ROWS"] = 1
    try:
        client.login(demo["demo.sup1"])
        client.post_form("/auth/language", {"locale": "en"})
        password, status_url = start(client)
        with caplog.at_level(logging.INFO):
            threads()
    finally:
        app.config.pop("REPORTS_PERSON_LIST_MAX_ROWS")
    page = failed_page(client, status_url)
    assert "more cases than one file may hold" in page
    assert "too_large" in caplog.text
    assert password not in caplog.text and "Nguyễn" not in caplog.text


def test_a_file_that_cannot_be_saved_fails_in_the_users_language(client, demo, threads, caplog):
    client.login(demo["demo.sup1"])
    password, status_url = start(client)
    job_id = status_url.split("job=")[1]
    folder = exports.export_folder(client.application)

    def block_the_file() -> None:  # the disk refuses: the file's name is taken by a folder
        (folder / f"{job_id}.xlsx").mkdir()

    threads(before_each=block_the_file)
    page = failed_page(client, status_url)
    assert "Xuất dữ liệu không thành công." in page or "The export failed." in page
    assert "storage" in caplog.text and "IsADirectoryError" in caplog.text
    assert password not in caplog.text and "Nguyễn" not in caplog.text
    assert job_id not in caplog.text


def test_a_job_whose_thread_died_ends_as_failed(client, demo, threads, monkeypatch):
    """A job must end: one not heard from for STALE_MINUTES is failed ("interrupted")."""
    client.login(demo["demo.sup1"])
    client.post_form("/auth/language", {"locale": "en"})
    _password, status_url = start(client)  # the process "dies": its thread never runs
    assert status_of(client.get(status_url).get_data(as_text=True)) == "running"
    later = exports.utcnow() + dt.timedelta(minutes=exports.STALE_MINUTES + 1)
    monkeypatch.setattr(exports, "utcnow", lambda: later)
    page = failed_page(client, status_url)
    assert "stopped before it finished" in page
