"""The web process starts no thread and keeps no job state on its disk: it only puts messages
on the queue (here the embedded SQLite queue), after the commit that made their job."""

from __future__ import annotations

import threading

from flask_migrate import upgrade
from sqlalchemy import select

from casemgr import create_app
from casemgr.audit import record
from casemgr.crypto.keyfile import new_key_document
from casemgr.extensions import db
from casemgr.jobs import services
from casemgr.jobs.models import Job, JobStatus
from casemgr.jobs.queue import huey
from tests.conftest import app_config
from tests.dbsetup import fresh_database


def test_the_web_process_starts_no_thread_and_only_enqueues(tmp_path):
    before = set(threading.enumerate())
    with fresh_database("web_threads") as url:
        config = app_config(url, new_key_document())
        config.update(
            CASEMGR_JOBS_IMMEDIATE=False,  # as served: a real queue
            CASEMGR_AUDIT_AUTO_CHECKPOINT=True,
            CASEMGR_AUDIT_CHECKPOINT_EVERY=5,
            CASEMGR_QUEUE_FILE=str(tmp_path / "queue.sqlite"),
        )
        app = create_app(config)
        with app.app_context():
            upgrade()
            db.session.commit()
            files_before = set(tmp_path.iterdir())
            client = app.test_client()
            for _ in range(3):
                client.get("/auth/login")
                client.post("/auth/login", data={"username": "nobody", "password": "x"})
            job = services.start_job(None, "reindex", {})
            assert huey.pending_count() == 0  # not before the job's row is committed
            db.session.commit()
            # The job waits (queued) in the database; the queue holds its id only.
            assert db.session.scalar(select(Job.status).where(Job.id == job.id)) == (
                JobStatus.QUEUED
            )
            pending = huey.pending_count()
            assert pending >= 1
            for number in range(6):  # past a multiple of 5 events: a checkpoint is queued
                record("case.view", actor=None, object_type="case", object_id=number)
            db.session.commit()
            assert huey.pending_count() == pending + 1
            assert {p.name for p in set(tmp_path.iterdir()) - files_before} <= {
                "queue.sqlite-wal",
                "queue.sqlite-shm",
            }
            db.session.remove()
            db.engine.dispose()
    assert set(threading.enumerate()) - before == set()
