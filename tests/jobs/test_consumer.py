"""A real consumer: two `flask casemgr worker` processes on one queue (the SQLite file of the
instance folder; Redis on the PostgreSQL run, as in production) run a job to its end, sign a
checkpoint at their start, and run each scheduled duty exactly once per period."""

from __future__ import annotations

import os
from collections import Counter

import pytest
from sqlalchemy import func, select

from casemgr import create_app
from casemgr.audit.checkpoints import load_checkpoints
from casemgr.audit.models import AuditEvent
from casemgr.auth.models import User
from casemgr.crypto.keyfile import new_key_document
from casemgr.extensions import db
from casemgr.jobs import duties, services
from casemgr.jobs.kinds import REWRAP_KEYS
from casemgr.jobs.models import DutyRun, Job, JobStatus
from tests.conftest import app_config
from tests.dbsetup import base_url, fresh_database
from tests.jobs.processes import environment, redis_url, running, seed, start_worker, wait_for

SHORT = "0.05"  # minutes: a period of 3 seconds


@pytest.fixture
def world(tmp_path):
    keys = new_key_document()
    with fresh_database("consumer") as url:
        seeded = seed(url, keys)
        if url.startswith("sqlite"):
            os.chmod(url.removeprefix("sqlite:///"), 0o600)
        instance = tmp_path / "instance"
        instance.mkdir(mode=0o700)
        queue = {"CASEMGR_QUEUE_FILE": str(instance / "queue.sqlite")}
        if base_url() is not None:  # the PostgreSQL run: Redis, as in production
            broker = redis_url()
            if broker is None:
                pytest.skip("no Redis: none answers and redis-server is not installed")
            queue = {"CASEMGR_REDIS_URL": broker}
        yield url, keys, seeded, instance, queue


def test_two_workers_run_a_job_and_each_duty_once_per_period(world, tmp_path):
    url, keys, seeded, instance, queue = world
    settings = {
        "CASEMGR_JOBS_TICK_SECONDS": "1",
        "CASEMGR_AUDIT_CHECKPOINT_MINUTES": "0.1",
        **{duty.setting: SHORT for duty in duties.DUTIES if "AUDIT" not in duty.setting},
        **queue,
    }
    env = environment(url, keys, instance, **settings)
    log = tmp_path / "workers.log"
    app = create_app({**app_config(url, keys), "CASEMGR_JOBS_IMMEDIATE": False, **queue})
    with running(start_worker(env, log), start_worker(env, log)), app.app_context():
        admin = db.session.scalar(select(User).where(User.username == seeded.admin))

        def run_job() -> Job:
            key = services.start_job(admin, REWRAP_KEYS, {}).key
            db.session.commit()

            def ended() -> Job | None:
                db.session.expire_all()
                found = db.session.scalar(select(Job).where(Job.key == key))
                return found if found.status in (JobStatus.DONE, JobStatus.FAILED) else None

            finished = wait_for(ended, 60, log)
            assert finished.status == JobStatus.DONE, finished.reason
            return finished

        first = run_job()  # sent while the workers start

        def scans() -> bool:  # at least four periods of the short duties
            db.session.expire_all()
            count = select(func.count()).where(DutyRun.duty == "alert_scan")
            return db.session.scalar(count) >= 4

        wait_for(scans, 60, log)
        second = run_job()  # sent to running workers
        for name, job in (("at start", first), ("running", second)):
            latency = (job.started_at - job.created_at).total_seconds()
            print(f"job latency from enqueue to start ({name}): {latency:.3f} s")
    with app.app_context():
        runs = db.session.scalars(select(DutyRun).where(DutyRun.outcome != "running")).all()
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "duty.run"))
        per_period = Counter(event.object_id for event in events)
        db.session.remove()
        db.engine.dispose()
    # Each duty ran, each period once: one audit event per (duty, period), whoever ran it.
    assert {run.duty for run in runs} == {duty.name for duty in duties.DUTIES}
    assert set(per_period.values()) == {1}
    assert len(per_period) >= len(runs)
    assert all(run.outcome == "ok" for run in runs), [(r.duty, r.detail) for r in runs]
    workers = {run.worker for run in runs}
    print(f"{len(runs)} duty runs by {len(workers)} workers; periods: {len(per_period)}")
    # The start-up checkpoint (and the duty's), signed by a worker.
    assert load_checkpoints(instance / "checkpoints")
