"""The queue's tasks: run a job, sign a checkpoint, and the tick that runs the due duties.

Each task opens the worker's app context (or runs in its caller's, in immediate mode) and
ends its session, so a worker thread never keeps a transaction between tasks.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import has_app_context

from casemgr.extensions import db
from casemgr.jobs import duties, kinds, runner  # noqa: F401  (kinds registers the job kinds)
from casemgr.jobs.queue import bound_app, huey

log = logging.getLogger(__name__)


@contextmanager
def _context() -> Iterator[bool]:
    """Yield whether this is immediate mode (the caller's context and transaction)."""
    if huey.immediate and has_app_context():
        yield True
        return
    with bound_app().app_context():
        try:
            yield False
        finally:
            db.session.remove()


@huey.task()
def run_job_task(job_id: int) -> None:
    """Run one job to its end (done or failed)."""
    with _context() as immediate:
        runner.run(job_id, immediate=immediate)


@huey.task()
def checkpoint_task() -> None:
    """An automatic checkpoint (at worker start, and after every N-th audit event)."""
    with _context() as immediate:
        if immediate:
            return  # tests sign their checkpoints themselves
        try:
            detail = duties.run_checkpoint()
            db.session.commit()
            log.info("automatic audit checkpoint: %s", detail)
        except Exception:
            db.session.rollback()
            log.exception("automatic audit checkpoint failed")


def _every_tick(_now: Any) -> bool:
    return True  # the period of each duty is its own setting (duties.py)


@huey.periodic_task(_every_tick)
def duties_tick() -> None:
    """Run the duties whose period has come (once per period across all workers)."""
    with _context():
        duties.run_due()


def send_checkpoint() -> None:
    """What the audit recorder's commit hook calls: queue a checkpoint."""
    huey.enqueue(checkpoint_task.s())
