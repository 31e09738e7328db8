"""The task queue: one Huey instance on SQLite in the instance folder, or on Redis.

`CASEMGR_REDIS_URL` set: RedisHuey's storage (production, several app servers and workers).
Unset: SqliteHuey's storage in `<instance>/queue.sqlite` (the embedded default: no server).
`CASEMGR_JOBS_IMMEDIATE` (tests): tasks run at once, in the caller, on an in-memory queue.

The web process only puts messages on the queue (no thread, no consumer); `flask casemgr
worker` runs the consumer. A task is put on the queue after the transaction that made its job
row commits (`enqueue`), so a worker never looks for a job that is not there yet.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from huey import Huey
from huey.storage import RedisStorage, SqliteStorage
from sqlalchemy import event
from sqlalchemy.orm import Session

from casemgr.extensions import db

log = logging.getLogger(__name__)

QUEUE_NAME = "casemgr"
PENDING = "casemgr.jobs.pending"  # Session.info key: tasks to send once the commit succeeded

# Bound to its broker by init_app; until then (and in tests) it runs tasks immediately.
huey = Huey(QUEUE_NAME, results=False, immediate=True)
_app: Flask | None = None


def init_app(app: Flask) -> None:
    """Bind the queue to the app's broker and send deferred tasks after each commit."""
    global _app
    _app = app
    if not event.contains(Session, "after_commit", _send_pending):
        event.listen(Session, "after_commit", _send_pending)
        event.listen(Session, "after_rollback", _drop_pending)
    if app.config["CASEMGR_JOBS_IMMEDIATE"]:
        huey.immediate = True
        return
    url = app.config.get("CASEMGR_REDIS_URL")
    if url:
        huey.storage_class, huey.storage_kwargs = RedisStorage, {"url": url}
    else:
        path = Path(app.config.get("CASEMGR_QUEUE_FILE") or Path(app.instance_path, "queue.sqlite"))
        path.touch(mode=0o600)  # the queue holds job ids only; private all the same
        huey.storage_class, huey.storage_kwargs = SqliteStorage, {"filename": str(path)}
    huey._immediate = False  # the setter would rebuild the storage once more
    huey.storage = huey.create_storage()


def bound_app() -> Flask:
    """The app the worker built (tasks open its contexts)."""
    if _app is None:
        raise RuntimeError("the task queue is not bound to an app")
    return _app


def broker_name() -> str:
    """Which broker the queue uses ("redis", "sqlite" or "immediate"), for the admin page."""
    if huey.immediate:
        return "immediate"
    return "redis" if isinstance(huey.storage, RedisStorage) else "sqlite"


def enqueue(task: Any, *args: Any) -> None:
    """Send `task(*args)` once the current transaction commits (at once in immediate mode)."""
    if huey.immediate:
        task(*args)
        return
    db.session().info.setdefault(PENDING, []).append((task, args))


def _send_pending(session: Session) -> None:
    for task, args in session.info.pop(PENDING, []):
        try:
            task(*args)
        except Exception as error:  # the broker is down: the job's row stays queued, and
            # the recovery duty sends it again later
            log.error("could not send a task to the queue (%s)", type(error).__name__)


def _drop_pending(session: Session) -> None:
    session.info.pop(PENDING, None)


def queue_length() -> int:
    """How many messages wait in the queue (0 in immediate mode)."""
    return 0 if huey.immediate else huey.pending_count()
