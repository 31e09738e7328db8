"""`flask casemgr keys ...`: key status and rotation."""

from __future__ import annotations

import click
from flask.cli import AppGroup

keys_cli = AppGroup("keys", help="Inspect and rotate encryption keys.")


@keys_cli.command("status")
def keys_status() -> None:
    """Show the master and blind-index keys with their states."""
    from flask import current_app

    keys = current_app.extensions["casemgr.keys"]
    for entry in keys.master_keys:
        click.echo(f"master {entry.id} {entry.state}")
    for entry in keys.index_keys:
        click.echo(f"index  {entry.id} {entry.state}")
