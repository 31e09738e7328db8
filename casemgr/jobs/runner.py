"""Running one job: mark it running, call its kind's work with a progress callback, and end it
as done (with its sealed file, in one commit) or failed with a reason, never half-way."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, update

from casemgr.clock import utcnow
from casemgr.extensions import db
from casemgr.jobs import services
from casemgr.jobs.models import Job, JobStatus
from casemgr.jobs.services import NOTHING_TO_DO, JobFailure, NothingToDo, Output

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
Work = Callable[[Job, Progress], Output | None]
KINDS: dict[str, Work] = {}


def job_kind(name: str) -> Callable[[Work], Work]:
    """Register the work of one kind of job."""

    def add(work: Work) -> Work:
        KINDS[name] = work
        return work

    return add


def run(job_id: int, immediate: bool = False) -> JobStatus | None:
    """Run a queued job to its end. Taking it is one conditional UPDATE (queued -> running):
    a second delivery of the same message, or a job already ended, is left alone."""
    now = utcnow()
    taken = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.QUEUED)
        .values(
            status=JobStatus.RUNNING,
            attempts=Job.attempts + 1,
            started_at=func.coalesce(Job.started_at, now),
            heartbeat_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        return None
    _commit(immediate)
    job = db.session.get(Job, job_id)
    db.session.refresh(job)

    def progress(done: int, total: int) -> None:
        _beat(job.id, done, total, immediate)

    # Immediate mode: the work's writes are undone on failure without touching the caller's.
    nested = db.session.begin_nested() if immediate else None
    try:
        work = KINDS.get(job.kind)
        if work is None:
            raise JobFailure("internal")
        output = work(job, progress)
        if nested is not None:
            nested.commit()
    except NothingToDo:
        if nested is not None:
            nested.commit()
        output = None
        job.reason = NOTHING_TO_DO
    except Exception as error:  # every failure must reach the user as "failed"
        if nested is not None:
            nested.rollback()
        else:
            db.session.rollback()
        reason = error.reason if isinstance(error, JobFailure) else "internal"
        cause = error.__cause__ or error
        frames = traceback.extract_tb(cause.__traceback__)
        where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
        # The reason, the type and the place; never the message (it could quote a value).
        log.error("job %s (%s) failed: %s (%s at %s)", job_id, job.kind, reason,
                  type(cause).__name__, where)  # fmt: skip
        job = db.session.get(Job, job_id)
        job.status, job.reason, job.finished_at = JobStatus.FAILED, reason, utcnow()
        _commit(immediate)
        return job.status
    now = utcnow()
    if output is not None:
        services.store_output(job, output, now)
    job.status, job.finished_at, job.heartbeat_at = JobStatus.DONE, now, now
    db.session.refresh(job, ["params"])  # the password page may have been served meanwhile
    if services.secret_shown(job):
        job.sealed_secret = None  # else kept until shown once, or the purge duty
    _commit(immediate)  # the file and "done" together: no half file is ever downloadable
    return job.status


def _commit(immediate: bool) -> None:
    # In immediate mode the job runs inside its caller's transaction (a request, a test):
    # the caller commits. A worker commits each step, so every server sees it.
    if immediate:
        db.session.flush()
    else:
        db.session.commit()


def _beat(job_id: int, done: int, total: int, immediate: bool) -> None:
    """Record progress (and that the worker lives) outside the job's own transaction."""
    values = {"done": done, "total": total, "heartbeat_at": utcnow()}
    statement = update(Job).where(Job.id == job_id).values(**values)
    if immediate:
        db.session.execute(statement)
        return
    with db.engine.begin() as connection:
        connection.execute(statement)
