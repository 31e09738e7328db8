"""`flask casemgr deadlines recompute`: store every case's deadlines again (after an upgrade,
or a change made outside the app); the command commits."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from casemgr.extensions import db

deadlines_cli = AppGroup("deadlines", help="The stored deadlines of cases.")


@deadlines_cli.command("recompute")
def recompute_command() -> None:
    """Recompute the deadlines of every case from the rules and the calendar, and store them."""
    # The sources register when their packages load; the app factory has loaded them all.
    from casemgr.rules import deadlines

    started = time.perf_counter()
    changed = deadlines.refresh_all()
    db.session.commit()
    click.echo(
        f"deadlines recomputed: {changed} rows changed in {time.perf_counter() - started:.1f} s"
    )
