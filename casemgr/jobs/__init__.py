"""Background work: the task queue (Huey), jobs with their state in the database, duties."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Bind the queue to its broker, and let audit commits queue checkpoints (no thread)."""
    from casemgr.audit import autocheckpoint
    from casemgr.jobs import queue, tasks

    queue.init_app(app)
    autocheckpoint.init_app(app, trigger=tasks.send_checkpoint)
