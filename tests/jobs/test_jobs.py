"""Jobs in immediate mode: state in the database, a sealed file, owner-only pages, failures
with a reason and never a half file, recovery of a job whose worker died, retry."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
from sqlalchemy import func, select

from casemgr.audit.models import AuditEvent
from casemgr.auth.roles import Role
from casemgr.clock import utcnow
from casemgr.jobs import services
from casemgr.jobs.kinds import PERSON_LIST
from casemgr.jobs.models import Job, JobFile, JobStatus
from casemgr.reports import exports
from tests.reports.conftest import YEAR


def start_list(client) -> tuple[str, str]:
    """POST the protected-list form; the password and the job page it links to."""
    page = client.post_form(
        "/reports/person-list", {"confirm": "1", "year": str(YEAR)}, follow_redirects=True
    )
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    password = re.search(r'data-testid="export-password">([^<]+)<', text).group(1)
    return password, re.search(r'href="(/jobs/[^"/]+)"', text).group(1)


def job_of(db, url: str) -> Job:
    return db.session.scalar(select(Job).where(Job.key == url.rsplit("/", 1)[1]))


def test_a_list_job_ends_done_with_its_file_sealed_in_the_database(client, db, province):
    client.login(province.supervisor)
    password, url = start_list(client)
    job = job_of(db, url)
    assert job.status == JobStatus.DONE and job.done == job.total > 0
    assert job.sealed_secret is None  # the password is forgotten once the file is written
    stored = db.session.scalar(select(JobFile).where(JobFile.job_id == job.id))
    # Sealed: neither the workbook's zip header nor its encrypted container is stored as is.
    assert b"PK" not in stored.sealed[:4] and b"\xd0\xcf\x11\xe0" not in stored.sealed[:40]
    response = client.get(url)
    assert "Refresh" not in response.headers
    data = client.get(url + "/download").data
    sheet = openpyxl.load_workbook(io.BytesIO(exports.decrypt_xlsx(data, password))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) - 1 == job.total
    assert sheet.title != "Sheet"  # named after what it lists, in the user's language
    downloads = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "job.download"))
    assert [(e.actor_id, e.object_id, e.reason) for e in downloads] == [
        (province.supervisor.id, str(job.id), "person_list")
    ]


def test_a_running_job_page_refreshes_itself_without_script(client, db, province):
    client.login(province.supervisor)
    _password, url = start_list(client)
    job = job_of(db, url)
    job.status, job.done, job.total = JobStatus.RUNNING, 3, 10
    db.session.flush()
    response = client.get(url)
    assert response.headers["Refresh"] == "2"
    page = response.get_data(as_text=True)
    assert 'data-status="running"' in page and not re.search(r"<script(?![^>]*src=)", page)
    assert client.get(url + "/download").status_code == 404  # nothing before it is done


def test_a_job_page_is_its_owners_only(client, db, province, make):
    client.login(province.supervisor)
    _password, url = start_list(client)
    for other in (province.lead, make.user(Role.ADMINISTRATOR, province.province)):
        client._cookies.clear()
        client.login(other)
        assert client.get(url).status_code == 404
        assert client.get(url + "/download").status_code == 404
    denied = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "job.view", AuditEvent.outcome == "denied")
    ).all()
    assert len(denied) == 4


def test_a_list_too_long_fails_and_says_why(client, app, db, province):
    app.config["REPORTS_PERSON_LIST_MAX_ROWS"] = 1
    try:
        client.login(province.supervisor)
        client.post_form("/auth/language", {"locale": "en"})
        _password, url = start_list(client)
    finally:
        app.config.pop("REPORTS_PERSON_LIST_MAX_ROWS")
    job = job_of(db, url)
    assert job.status == JobStatus.FAILED and job.reason == "too_large"
    page = client.get(url).get_data(as_text=True)
    assert 'data-testid="export-failed"' in page and "more cases than one file" in page


def test_a_job_that_dies_mid_way_leaves_no_file_and_says_why(
    client, db, province, monkeypatch, caplog
):
    def crash(user, period, group, password, limit, progress):
        progress(5, 10)
        raise MemoryError("Nguyễn Thị Lan")  # a message that must reach no log

    monkeypatch.setattr(exports, "person_list_workbook", crash)
    client.login(province.supervisor)
    password, url = start_list(client)
    job = job_of(db, url)
    assert job.status == JobStatus.FAILED and job.reason == "internal"
    assert db.session.scalar(select(func.count()).select_from(JobFile)) == 0
    assert client.get(url + "/download").status_code == 404
    assert "MemoryError" in caplog.text
    assert "Nguyễn" not in caplog.text and password not in caplog.text


def test_a_job_whose_worker_died_is_run_again_then_fails_after_three_tries(
    client, app, db, province
):
    client.login(province.supervisor)
    _password, url = start_list(client)
    job = job_of(db, url)
    db.session.execute(
        JobFile.__table__.delete().where(JobFile.job_id == job.id)
    )  # as if the worker had died before its last commit
    stale = utcnow() - dt.timedelta(seconds=app.config["CASEMGR_JOBS_STALE_SECONDS"] + 1)
    job.status, job.heartbeat_at, job.attempts = JobStatus.RUNNING, stale, 1
    job.sealed_secret = services.seal(services._key(services.ARGUMENT_PURPOSE), b"a-b-c-d",
                                      services._aad("jobs", job.id))  # fmt: skip
    db.session.flush()
    assert services.recover_stale() == (1, 0)
    assert job.status == JobStatus.DONE and job.attempts == 2
    assert db.session.scalar(select(func.count()).select_from(JobFile)) == 1
    job.status, job.heartbeat_at, job.attempts = JobStatus.RUNNING, stale, 3
    db.session.flush()
    assert services.recover_stale() == (0, 1)
    assert job.status == JobStatus.FAILED and job.reason == "interrupted"


def test_administrators_see_failed_jobs_and_retry_them(client, app, db, province, make):
    app.config["REPORTS_PERSON_LIST_MAX_ROWS"] = 1
    try:
        client.login(province.supervisor)
        _password, url = start_list(client)
    finally:
        app.config.pop("REPORTS_PERSON_LIST_MAX_ROWS")
    job = job_of(db, url)
    admin = make.user(Role.ADMINISTRATOR, province.province)
    client._cookies.clear()
    client.login(admin)
    client.post_form("/auth/language", {"locale": "en"})
    page = client.get("/jobs/background").get_data(as_text=True)
    assert "more cases than one file" in page and province.supervisor.username in page
    for name in ("alert_scan", "checkpoint", "verify", "reminders", "purge_files"):
        assert f'data-duty="{name}"' in page
    response = client.post_form("/jobs/background/retry", {"job_id": str(job.id)})
    assert response.status_code == 302
    assert db.session.get(Job, job.id).status == JobStatus.DONE  # ran again (immediate mode)
    assert client.post_form("/jobs/background/retry", {"job_id": "x"}).status_code == 400


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.SOCIAL_WORKER, Role.AUDITOR])
def test_the_background_work_page_is_for_administrators(client, province, make, role):
    client.login(make.user(role, province.commune))
    assert client.get("/jobs/background").status_code == 403


def test_the_list_job_refuses_a_user_no_longer_allowed(db, province):
    province.supervisor.is_enabled = False  # disabled between the request and the work
    db.session.flush()
    job = services.start_job(province.supervisor, PERSON_LIST, {"filters": {}}, secret="x")
    assert job.status == JobStatus.FAILED and job.reason == "not_allowed"


def test_an_erasure_job_drops_every_person_list_still_downloadable(client, db, province):
    client.login(province.supervisor)
    _password, url = start_list(client)
    assert db.session.scalar(select(func.count()).select_from(JobFile)) == 1
    from casemgr.jobs import kinds
    from casemgr.people.models import ErasureRequest, ErasureStatus

    case = province.cases[0]
    request = ErasureRequest(person_id=case.person_id, reason="subject_request",
                             requested_by_id=province.lead.id, status=ErasureStatus.CONFIRMED,
                             decided_by_id=province.supervisor.id)  # fmt: skip
    db.session.add(request)
    db.session.flush()
    job = services.start_job(province.supervisor, kinds.ERASURE, {"request_id": request.id})
    assert job.status == JobStatus.DONE
    assert db.session.scalar(select(func.count()).select_from(JobFile)) == 0
    assert client.get(url + "/download").status_code == 404


def test_a_rewrap_job_moves_every_data_key_to_the_new_master_key(db, make):
    from casemgr.crypto import envelope, rotation
    from casemgr.crypto.keyfile import parse_key_document, with_new_key
    from casemgr.jobs import kinds
    from casemgr.people import services as people_services

    admin = make.user(Role.ADMINISTRATOR)
    for name in ("Một", "Hai", "Ba"):
        people_services.register_person(None, given_name=name)
    db.session.flush()
    ring = envelope.keyring()
    original = ring.material
    document, _ = with_new_key(original.raw, "master_keys", state="active")
    ring.replace(parse_key_document(document, "test"))
    try:
        pending = rotation.pending_rewrap(db.session, ring)
        assert pending >= 3
        job = services.start_job(admin, kinds.REWRAP_KEYS, {})
        assert job.status == JobStatus.DONE and job.done == job.total == pending
        assert rotation.pending_rewrap(db.session, ring) == 0
    finally:
        ring.replace(original)


def test_a_second_delivery_of_a_job_is_ignored(db, make):
    from casemgr.jobs import runner
    from casemgr.jobs.kinds import REWRAP_KEYS

    job = services.start_job(make.user(Role.ADMINISTRATOR), REWRAP_KEYS, {})
    assert job.status == JobStatus.DONE and job.attempts == 1
    assert runner.run(job.id, immediate=True) is None  # the same message again
    assert db.session.get(Job, job.id).attempts == 1


def test_reloading_the_password_page_starts_no_job_and_shows_the_password_once(
    client, db, province, caplog
):
    client.login(province.supervisor)
    response = client.post_form("/reports/person-list", {"confirm": "1", "year": str(YEAR)})
    assert response.status_code == 302  # post-redirect-get
    location = response.headers["Location"]
    jobs = db.session.scalar(select(func.count()).select_from(Job))
    first = client.get(location).get_data(as_text=True)
    password = re.search(r'data-testid="export-password">([^<]+)<', first).group(1)
    assert password not in location
    with client.session_transaction() as cookie:  # the signed cookie holds the session id only
        assert password not in repr(dict(cookie))
    for _ in range(3):
        again = client.get(location)
        text = again.get_data(as_text=True)
        assert again.status_code == 200 and 'data-testid="password-gone"' in text
        assert password not in text
    assert db.session.scalar(select(func.count()).select_from(Job)) == jobs == 1
    job = job_of(db, location)
    assert job.sealed_secret is None  # shown and the file written: forgotten
    assert all(password not in record.getMessage() for record in caplog.records)
    client._cookies.clear()
    client.login(province.lead)  # another supervisor replays the page's address
    assert client.get(location).status_code == 404


def test_a_password_not_yet_shown_outlives_the_file_only_briefly(db, province):
    job = services.start_job(
        province.supervisor, PERSON_LIST, {"filters": {"year": str(YEAR)}}, secret="pw-1"
    )
    assert job.status == JobStatus.DONE and job.sealed_secret is not None  # not shown yet
    assert services.show_secret_once(job) == "pw-1" and job.sealed_secret is None
    assert services.show_secret_once(job) is None
    late = services.start_job(province.supervisor, PERSON_LIST, {"filters": {}}, secret="pw-2")
    later = utcnow() + dt.timedelta(minutes=services.SHOW_SECRET_MINUTES + 1)
    assert services.show_secret_once(late, later) is None
    services.purge_expired_files(later)
    db.session.refresh(late)
    assert late.sealed_secret is None


def test_a_waiting_job_says_so_and_key_work_links_back_to_background_work(client, db, make):
    admin = make.user(Role.ADMINISTRATOR)
    client.login(admin)
    client.post_form("/auth/language", {"locale": "en"})
    job = Job(key="k" * 43, kind="reindex", user_id=admin.id, status=JobStatus.QUEUED,
              created_at=utcnow())  # fmt: skip
    db.session.add(job)
    db.session.flush()
    page = client.get(f"/jobs/{job.key}").get_data(as_text=True)
    assert "Waiting in the queue" in page
    assert "Progress" not in page and "started" not in page
    assert 'href="/jobs/background"' in page


@pytest.mark.parametrize("kind", ["reindex", "rewrap_keys"])
def test_key_work_with_nothing_to_do_ends_done_and_says_so(client, db, make, kind):
    admin = make.user(Role.ADMINISTRATOR)
    job = services.start_job(admin, kind, {})
    assert job.status == JobStatus.DONE and job.reason == services.NOTHING_TO_DO
    client.login(admin)
    client.post_form("/auth/language", {"locale": "en"})
    page = client.get(f"/jobs/{job.key}").get_data(as_text=True)
    assert "nothing to do" in page and "0 of 0" not in page and "failed" not in page


@pytest.mark.parametrize("kind", ["reindex", "rewrap_keys"])
def test_the_key_work_form_refuses_a_start_with_no_key_pending(client, db, make, kind):
    client.login(make.user(Role.ADMINISTRATOR))
    client.post_form("/auth/language", {"locale": "en"})
    jobs = db.session.scalar(select(func.count()).select_from(Job))
    response = client.post_form("/jobs/background/key-work", {"kind": kind})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'class="invalid-feedback d-block">There is nothing to do' in page
    assert db.session.scalar(select(func.count()).select_from(Job)) == jobs


def test_the_list_job_page_has_the_name_the_reports_page_gives_it(client, db, province):
    client.login(province.supervisor)  # Vietnamese, the default language
    started = client.post_form(
        "/reports/person-list", {"confirm": "1", "year": str(YEAR)}, follow_redirects=True
    ).get_data(as_text=True)
    job_page = client.get(re.search(r'href="(/jobs/[^"/]+)"', started).group(1))
    title = re.compile(r"<h1[^>]*>([^<]+)</h1>")
    assert title.search(job_page.get_data(as_text=True)).group(1) == "Danh sách được bảo vệ"
    assert title.search(started).group(1) == "Danh sách được bảo vệ"
