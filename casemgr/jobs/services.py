"""Job verbs: start a job, find a user's own job, seal and open its file, retry, purge, recover."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import delete, select, update

from casemgr.audit import record
from casemgr.auth.models import User
from casemgr.clock import utcnow
from casemgr.crypto.secretbox import derive_key, seal, unseal
from casemgr.extensions import db
from casemgr.jobs.models import Job, JobFile, JobStatus

FILE_PURPOSE = "casemgr job files"
ARGUMENT_PURPOSE = "casemgr job secrets"
MAX_ATTEMPTS = 3  # a job whose worker died this many times ends as failed ("interrupted")
FAILURE_REASONS = (
    "too_large",
    "encryption",
    "interrupted",
    "internal",
    "not_allowed",
)
NOTHING_TO_DO = "nothing_to_do"  # the reason kept with a job done without work to do


class JobFailure(Exception):
    """A job ends as failed for a reason the user can act on (one of FAILURE_REASONS)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason if reason in FAILURE_REASONS else "internal"


class NothingToDo(Exception):
    """A job found no work to do: it ends as done, with that said on its page."""


@dataclass(frozen=True)
class Output:
    """What a job produced: a file's name, type and bytes, and how long it may be fetched."""

    name: str
    mimetype: str
    data: bytes
    minutes: int


def _key(purpose: str) -> bytes:
    return derive_key(current_app.extensions["casemgr.keys"].secret_key, purpose)


def start_job(
    user: User | None, kind: str, params: dict[str, Any], secret: str | None = None
) -> Job:
    """Make a queued job and send it to the queue once the caller's transaction commits."""
    from casemgr.jobs.tasks import run_job_task  # tasks import the kinds, which import us

    job = Job(
        key=secrets.token_urlsafe(32),
        kind=kind,
        user_id=None if user is None else user.id,
        status=JobStatus.QUEUED,
        params=json.dumps(params, sort_keys=True),
        created_at=utcnow(),
    )
    db.session.add(job)
    db.session.flush()
    if secret is not None:
        job.sealed_secret = seal(_key(ARGUMENT_PURPOSE), secret.encode(), _aad("jobs", job.id))
        job.params = json.dumps({**params, SHOWN: False}, sort_keys=True)
    record("job.start", actor=user, object_type="job", object_id=job.id, reason=kind)
    from casemgr.jobs.queue import enqueue

    enqueue(run_job_task, job.id)
    return job


def _aad(table: str, job_id: int) -> bytes:
    return f"{table}:{job_id}".encode()


def job_secret(job: Job) -> str | None:
    """The job's sealed secret (a list's password), opened; None if it has none."""
    if job.sealed_secret is None:
        return None
    return unseal(_key(ARGUMENT_PURPOSE), job.sealed_secret, _aad("jobs", job.id)).decode()


def job_params(job: Job) -> dict[str, Any]:
    return json.loads(job.params or "{}")


# The page that shows a list's password is a GET after the POST that started the job (a reload
# starts nothing). It shows the password once, within this many minutes of the start; then the
# job's row forgets it as soon as the file is written (docs/jobs.md, "Password shown once").
SHOW_SECRET_MINUTES = 10
SHOWN = "secret_shown"


def secret_shown(job: Job) -> bool:
    """Whether the page showing the job's secret was already served (or can no longer be)."""
    return bool(job_params(job).get(SHOWN, True))


def show_secret_once(job: Job, now: dt.datetime | None = None) -> str | None:
    """The job's secret the first time this is asked, within SHOW_SECRET_MINUTES; else None.

    Marking it shown is one conditional UPDATE, so two reloads at once show it once. A job that
    has already ended forgets the secret now; a job still waiting keeps it for its worker."""
    now = now or utcnow()
    if secret_shown(job) or job.created_at <= now - dt.timedelta(minutes=SHOW_SECRET_MINUTES):
        return None
    secret = job_secret(job)
    params = json.dumps({**job_params(job), SHOWN: True}, sort_keys=True)
    values: dict[str, Any] = {"params": params}
    if job.status == JobStatus.DONE:
        values["sealed_secret"] = None  # a failed job keeps it for a retry (purged in a day)
    marked = db.session.execute(
        update(Job)
        .where(Job.id == job.id, Job.params == job.params)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(job)
    return secret if marked else None


def store_output(job: Job, output: Output, now: dt.datetime) -> JobFile:
    """Seal the job's file into the database (the caller commits it with the job's end)."""
    stored = JobFile(
        job_id=job.id,
        name=output.name,
        mimetype=output.mimetype,
        size=len(output.data),
        sealed=seal(_key(FILE_PURPOSE), output.data, _aad("job_files", job.id)),
        created_at=now,
        expires_at=now + dt.timedelta(minutes=output.minutes),
    )
    db.session.add(stored)
    return stored


def open_file(stored: JobFile) -> bytes:
    """The file's bytes (raises SealError if the row was tampered with or moved)."""
    return unseal(_key(FILE_PURPOSE), stored.sealed, _aad("job_files", stored.job_id))


def own_job(user: User, key: str | None) -> Job | None:
    """The user's own job by its key; None for an unknown or someone else's (a 404 either way)."""
    if not key or len(key) > 43:
        return None
    job = db.session.scalar(select(Job).where(Job.key == key))
    if job is None or job.user_id != user.id:
        record("job.view", actor=user, object_type="job", outcome="denied", reason="unknown job")
        return None
    return job


def live_file(job: Job, now: dt.datetime | None = None) -> JobFile | None:
    """The job's file if it is done and not yet expired."""
    if job.status != JobStatus.DONE:
        return None
    stored = db.session.scalar(select(JobFile).where(JobFile.job_id == job.id))
    if stored is None or stored.expires_at <= (now or utcnow()):
        return None
    return stored


def download(user: User, job: Job, stored: JobFile) -> bytes:
    """Open the file for its owner; the download is an audit event (kind only, no value)."""
    record("job.download", actor=user, object_type="job", object_id=job.id, reason=job.kind)
    return open_file(stored)


def retry_job(actor: User, job: Job) -> bool:
    """Send a failed job to the queue again (an administrator's retry); False if not failed."""
    from casemgr.jobs.queue import enqueue
    from casemgr.jobs.tasks import run_job_task

    if job.status != JobStatus.FAILED:
        return False
    job.status, job.reason, job.attempts = JobStatus.QUEUED, None, 0
    job.done = job.total = 0
    job.finished_at = None
    db.session.flush()
    record("job.retry", actor=actor, object_type="job", object_id=job.id, reason=job.kind)
    enqueue(run_job_task, job.id)
    return True


def purge_expired_files(now: dt.datetime | None = None) -> int:
    """Delete every job file whose download window has passed, the secrets of done jobs whose
    showing window has passed, and every secret a day old (a failed job's, kept for a retry)."""
    now = now or utcnow()
    gone = db.session.execute(delete(JobFile).where(JobFile.expires_at <= now)).rowcount
    shown_by = now - dt.timedelta(minutes=SHOW_SECRET_MINUTES)
    db.session.execute(
        update(Job)
        .where(
            Job.sealed_secret.is_not(None),
            (Job.created_at <= now - dt.timedelta(days=1))
            | ((Job.status == JobStatus.DONE) & (Job.created_at <= shown_by)),
        )
        .values(sealed_secret=None)
    )
    return gone


# A job queued this many times the stale limit ago and never taken: its message was lost (a
# broker down when it was sent, a queue file lost). Sending it again is safe: taking a job is a
# conditional update, so a second message for it is ignored.
LOST_FACTOR = 10


def stale_jobs(now: dt.datetime, stale_seconds: int) -> list[Job]:
    """Running jobs whose worker has not been heard of for `stale_seconds` (it has died), and
    queued jobs whose message was lost."""
    limit = now - dt.timedelta(seconds=stale_seconds)
    lost = now - dt.timedelta(seconds=stale_seconds * LOST_FACTOR)
    return list(
        db.session.scalars(
            select(Job).where(
                ((Job.status == JobStatus.RUNNING) & (Job.heartbeat_at < limit))
                | ((Job.status == JobStatus.QUEUED) & (Job.created_at < lost))
            )
        )
    )


def recover_stale(now: dt.datetime | None = None) -> tuple[int, int]:
    """Send jobs whose worker died back to the queue, or fail them after MAX_ATTEMPTS; return
    (requeued, failed). A job's file is written with its end, so nothing half-made remains."""
    from casemgr.jobs.queue import enqueue
    from casemgr.jobs.tasks import run_job_task

    now = now or utcnow()
    stale = current_app.config["CASEMGR_JOBS_STALE_SECONDS"]
    requeued = failed = 0
    for job in stale_jobs(now, stale):
        if job.attempts >= MAX_ATTEMPTS:
            job.status, job.reason, job.finished_at = JobStatus.FAILED, "interrupted", now
            job.sealed_secret = None
            failed += 1
        else:
            job.status = JobStatus.QUEUED
            db.session.flush()  # taken by a conditional update on its status
            enqueue(run_job_task, job.id)
            requeued += 1
    db.session.flush()
    return requeued, failed


def failed_jobs(limit: int = 50) -> list[Job]:
    """The newest failed jobs, for the administrators' page."""
    return list(
        db.session.scalars(
            select(Job)
            .where(Job.status == JobStatus.FAILED)
            .order_by(Job.finished_at.desc(), Job.id.desc())
            .limit(limit)
        )
    )
