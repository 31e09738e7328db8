"""`flask casemgr worker`: the queue's consumer, which runs jobs and the scheduled duties."""

from __future__ import annotations

import click
from flask import current_app
from huey.consumer import Consumer, Scheduler

from casemgr.extensions import db
from casemgr.jobs import services, tasks
from casemgr.jobs.queue import broker_name, huey


@click.command("worker")
@click.option("--threads", default=2, show_default=True, help="Jobs run at the same time.")
def worker_command(threads: int) -> None:
    """Run jobs and scheduled duties until stopped (SIGINT/SIGTERM stop it after its tasks)."""
    config = current_app.config
    if huey.immediate:
        raise click.ClickException("CASEMGR_JOBS_IMMEDIATE is on: there is no queue to consume")
    # Jobs left running by a worker that died go back to the queue (or fail after 3 tries);
    # then the start-up checkpoint (verify the tail, sign the head).
    requeued, failed = services.recover_stale()
    db.session.commit()
    db.session.remove()
    huey.enqueue(tasks.checkpoint_task.s())
    # The scheduler enqueues the duties' tick every CASEMGR_JOBS_TICK_SECONDS (Huey: 60).
    seconds = config["CASEMGR_JOBS_TICK_SECONDS"]
    tick = type("TickScheduler", (Scheduler,), {"periodic_task_seconds": seconds})
    consumer_class = type("CasemgrConsumer", (Consumer,), {"scheduler_class": tick})
    # An idle worker polls the SQLite queue at most a second apart (Huey's default backs off to
    # 10 s); Redis is read with a blocking pop and answers at once.
    consumer = consumer_class(
        huey, workers=threads, worker_type="thread", periodic=True, max_delay=1.0
    )
    click.echo(
        f"casemgr worker running: {threads} threads, {broker_name()} queue; "
        f"{requeued} interrupted jobs sent again, {failed} failed",
        err=True,
    )
    consumer.run()
