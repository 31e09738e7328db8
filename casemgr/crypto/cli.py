"""`flask casemgr keys ...`: key status, master-key rotation, retirement, index-key rotation."""

from __future__ import annotations

import json
from typing import Any

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from casemgr.crypto import keycheck, rotation
from casemgr.crypto.keyfile import load_key_file, with_new_key, with_states, write_key_document
from casemgr.crypto.keyring import KeyRing
from casemgr.crypto.models import BlindIndexEntry

keys_cli = AppGroup("keys", help="Inspect and rotate encryption keys.")


def _ring() -> KeyRing:
    return current_app.extensions["casemgr.keyring"]


def _session():
    from casemgr.extensions import db

    return db.session


def _save(document: dict[str, Any], what: str) -> bool:
    """Write the key document to the key file (True), or print it for CASEMGR_KEYS (False)."""
    ring = _ring()
    if ring.path is None:
        click.echo(
            f"Keys come from CASEMGR_KEYS, which this command cannot change. To {what}, set "
            "CASEMGR_KEYS on every instance to the document below, restart them, then run "
            "this command again. Treat it as a secret: do not paste it into tickets or logs.",
            err=True,
        )
        click.echo(json.dumps(document))
        return False
    write_key_document(ring.path, document)
    ring.replace(load_key_file(ring.path))
    current_app.extensions["casemgr.keys"] = ring.material
    return True


@keys_cli.command("status")
def keys_status() -> None:
    """Show master keys with their data-key counts, and index keys with their entry counts."""
    ring = _ring()
    session = _session()
    counts: dict[str, dict[str, int]] = {}
    for key_id, state, count in rotation.data_key_counts(session):
        counts.setdefault(key_id, {})[state] = count
    click.echo("master keys (data keys: live / destroyed)")
    for entry in ring.material.master_keys:
        found = counts.pop(entry.id, {})
        click.echo(
            f"  {entry.id:<20} {entry.state:<13} {found.get('live', 0):>9} "
            f"{found.get('destroyed', 0):>9}"
        )
    for key_id, found in counts.items():  # keys no longer in the file
        click.echo(
            f"  {key_id:<20} {'not loaded':<13} {found.get('live', 0):>9} "
            f"{found.get('destroyed', 0):>9}"
        )
    entries = BlindIndexEntry.__table__
    index_counts = dict(
        session.execute(
            sa.select(entries.c.key_id, sa.func.count()).group_by(entries.c.key_id)
        ).all()
    )
    click.echo("index keys (entries)")
    for entry in ring.material.index_keys:
        click.echo(f"  {entry.id:<20} {entry.state:<13} {index_counts.get(entry.id, 0):>9}")
    pending = rotation.pending_rewrap(session, ring)
    if pending:
        click.echo(f"{pending} data keys still to re-wrap: run 'keys rotate' to finish")


@keys_cli.command("rotate")
@click.option("--batch-size", default=1000, show_default=True, help="Data keys per commit.")
def keys_rotate(batch_size: int) -> None:
    """Add a new active master key and re-wrap every data key under it (resumable)."""
    ring = _ring()
    session = _session()
    pending = rotation.pending_rewrap(session, ring)
    if pending == 0:
        old = ring.active_master.id
        document, new_id = with_new_key(ring.material.raw, "master_keys", state="active")
        if not _save(document, "start the rotation"):
            return
        # Record the new key only now that it is safely in the key file.
        keycheck.set_state(session, ring, old, "decrypt-only")
        session.commit()
        click.echo(f"new active master key {new_id}; {old} is now decrypt-only")
        pending = rotation.pending_rewrap(session, ring)
    else:
        click.echo(f"resuming: {pending} data keys still to re-wrap")
    with click.progressbar(length=pending, label="re-wrapping data keys") as bar:
        done = rotation.rewrap_all(
            session, ring, batch_size=batch_size, commit=session.commit, on_batch=bar.update
        )
    click.echo(f"{done} data keys re-wrapped under {ring.active_master.id}")


@keys_cli.command("retire")
@click.argument("key_id")
def keys_retire(key_id: str) -> None:
    """Retire a master key no data key uses, or an index key no longer searched."""
    ring = _ring()
    session = _session()
    try:
        if any(e.id == key_id for e in ring.material.master_keys):
            rotation.check_master_retirable(session, ring, key_id)
            kind = "master_keys"
        elif any(e.id == key_id for e in ring.material.index_keys):
            rotation.check_index_retirable(ring, key_id)
            kind = "index_keys"
        else:
            raise rotation.RotationRefused(f"no key {key_id} is loaded")
    except rotation.RotationRefused as exc:
        raise click.ClickException(str(exc)) from None
    # The database learns first: a key marked retired there may then leave the key file.
    dropped = rotation.drop_index_entries(session, key_id) if kind == "index_keys" else 0
    keycheck.set_state(session, ring, key_id, "retired")
    session.commit()
    if not _save(with_states(ring.material.raw, kind, {key_id: "retired"}), "retire it"):
        return
    click.echo(f"{key_id} retired" + (f"; {dropped} index entries removed" if dropped else ""))


@keys_cli.command("rotate-index")
@click.option("--batch-size", default=1000, show_default=True, help="Rows per commit.")
def keys_rotate_index(batch_size: int) -> None:
    """Fill blind indexes under a new index key alongside the old one, then switch to it."""
    ring = _ring()
    session = _session()
    pending = ring.pending_index
    if pending is None:
        document, new_id = with_new_key(ring.material.raw, "index_keys", state="pending")
        if not _save(document, "start the index rotation"):
            return
        keycheck.ensure_recorded(session, ring)
        session.commit()
        pending = ring.pending_index
        click.echo(f"new index key {new_id}, filled in alongside {ring.active_index.id}")
    total = rotation.index_rows_total(session)
    with click.progressbar(length=total, label="re-indexing") as bar:
        rotation.reindex_all(
            session, ring, pending.id, batch_size=batch_size, commit=session.commit,
            on_batch=bar.update,
        )  # fmt: skip
    old = ring.active_index.id
    document = with_states(
        ring.material.raw, "index_keys", {pending.id: "active", old: "decrypt-only"}
    )
    if not _save(document, "switch to the new index key"):
        return
    keycheck.set_state(session, ring, pending.id, "active")
    keycheck.set_state(session, ring, old, "decrypt-only")
    session.commit()
    click.echo(
        f"searches now use {pending.id}; once every instance has reloaded its keys, run "
        f"'keys retire {old}' to drop the old entries"
    )
