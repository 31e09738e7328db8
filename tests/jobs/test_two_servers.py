"""Two app servers and one worker on PostgreSQL and Redis (the production layout): an export
started on server A is downloaded from server B; a worker killed in mid-job and started again
ends the job as done (or failed), never as a partial file."""

from __future__ import annotations

import io
import re
import signal

import openpyxl
import pytest
import sqlalchemy as sa

from casemgr.crypto.keyfile import new_key_document
from tests.dbsetup import base_url, fresh_database
from tests.jobs.processes import (
    Browser,
    environment,
    redis_url,
    running,
    seed,
    start_server,
    start_worker,
    wait_for,
)

pytestmark = pytest.mark.skipif(base_url() is None, reason="PostgreSQL and Redis: the CI run")
SHEETS = 24  # the full provincial report's tables
WAITING = sa.text(
    "SELECT count(*) FROM pg_stat_activity "
    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
)


def status_on(browser: Browser, base: str, job_url: str) -> str:
    _status, _headers, body = browser.request(base + job_url)
    return re.search(rb'data-status="([a-z]+)"', body).group(1).decode()


def start_full_report(browser: Browser, base: str) -> str:
    form = {"report": "registered", "rows": "age_band", "cols": "sex", "year": "2026"}
    status, headers, _ = browser.post(base, "/reports/", "/reports/full-report", form)
    assert status == 302, status
    return "/jobs/" + headers["Location"].rsplit("/jobs/", 1)[1]


def workbook_from(browser: Browser, base: str, job_url: str) -> openpyxl.Workbook:
    status, _headers, body = browser.request(base + job_url + "/download")
    assert status == 200
    return openpyxl.load_workbook(io.BytesIO(body))


def test_two_servers_one_worker_and_a_killed_worker(tmp_path):
    broker = redis_url()
    if broker is None:
        pytest.skip("no Redis: none answers and redis-server is not installed")
    keys = new_key_document()
    with fresh_database("two_servers") as url:
        seeded = seed(url, keys)
        instance = tmp_path / "instance"
        instance.mkdir(mode=0o700)
        env = environment(
            url, keys, instance, CASEMGR_REDIS_URL=broker, CASEMGR_JOBS_STALE_SECONDS="1"
        )
        log = tmp_path / "processes.log"
        server_a, a = start_server(env, log)
        server_b, b = start_server(env, log)
        engine = sa.create_engine(url)
        with running(server_a, server_b):
            browser = Browser()
            browser.sign_in(a, seeded.supervisor, seeded.totp_secret)
            with running(start_worker(env, log)):
                job_url = start_full_report(browser, a)
                wait_for(lambda: status_on(browser, b, job_url) == "done", 120, log)
                assert len(workbook_from(browser, b, job_url).sheetnames) == SHEETS

            # The worker is killed while the job waits to write its file (held by a lock).
            worker = start_worker(env, log)
            with running(worker), engine.connect() as holder:
                holder.execute(sa.text("LOCK TABLE job_files IN SHARE MODE"))
                job_url = start_full_report(browser, a)

                def blocked() -> bool:
                    with engine.connect() as look:
                        return bool(look.execute(WAITING).scalar())

                wait_for(blocked, 120, log)
                worker.send_signal(signal.SIGKILL)
                worker.wait(timeout=30)
                holder.rollback()
            assert status_on(browser, b, job_url) == "running"
            assert browser.request(b + job_url + "/download")[0] == 404  # no half file
            with running(start_worker(env, log)):  # started again: the job is taken up
                wait_for(lambda: status_on(browser, b, job_url) in ("done", "failed"), 120, log)
                assert status_on(browser, a, job_url) == "done"
                assert len(workbook_from(browser, a, job_url).sheetnames) == SHEETS
        engine.dispose()
