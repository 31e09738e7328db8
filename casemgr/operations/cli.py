"""`flask casemgr backup|restore|backup-key` and `flask casemgr keys export-escrow|import-escrow`.

Operators' commands: messages are in English like the rest of the CLI, and name no secret.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from casemgr.crypto.keyfile import KeyFileError, parse_key_document, write_key_document
from casemgr.operations import backup as backups
from casemgr.operations import escrow

_KEY_OPTION = click.option(
    "--backup-key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The backup key file (default: CASEMGR_BACKUP_KEY_FILE).",
)


def _backup_key_path(given: Path | None) -> Path:
    return given or Path(current_app.config["CASEMGR_BACKUP_KEY_FILE"])


def _load_key(given: Path | None) -> backups.BackupKey:
    try:
        return backups.load_backup_key(_backup_key_path(given))
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None


def _audit_folders() -> tuple[Path, Path]:
    from casemgr.audit.services import checkpoint_dir
    from casemgr.audit.settings import audit_settings

    return checkpoint_dir(), Path(audit_settings().archive_dir)


def _key_ids() -> list[str]:
    material = current_app.extensions["casemgr.keys"]
    return [e.id for e in material.master_keys + material.index_keys]


def _record(action: str, object_id: str) -> None:
    from casemgr.audit import record
    from casemgr.extensions import db

    record(action, actor=None, object_type="backup", object_id=object_id[:64])
    db.session.commit()


@click.command("backup-key")
@with_appcontext
@_KEY_OPTION
def backup_key_command(backup_key_file: Path | None) -> None:
    """Create the backup key file (mode 0600) if it is missing; print its id."""
    path = _backup_key_path(backup_key_file)
    if path.exists():
        key = _load_key(path)
        click.echo(f"backup key {key.id} already at {path}")
        return
    key = backups.new_backup_key()
    backups.write_backup_key(path, key)
    click.echo(
        f"backup key {key.id} written to {path}. Escrow it now with 'casemgr keys "
        "export-escrow': a backup cannot be opened without it."
    )


@click.command("backup")
@with_appcontext
@click.argument("target", type=click.Path(path_type=Path))
@click.option("--verify", is_flag=True, help="Check the backup file TARGET; restore nothing.")
@_KEY_OPTION
def backup_command(target: Path, verify: bool, backup_key_file: Path | None) -> None:
    """Write an encrypted backup to TARGET (a file, or a folder for a dated file)."""
    key = _load_key(backup_key_file)
    if verify:
        if not target.is_file():
            raise click.ClickException(f"{target} is not a file")
        try:
            result = backups.verify_backup(target, key)
        except backups.BackupError as exc:
            click.echo(f"FAILED: {exc}", err=True)
            sys.exit(1)
        _echo_manifest(result.manifest)
        for check in result.checks:
            click.echo(f"  ok: {check}")
        click.echo("OK: the backup verifies")
        return
    from casemgr.extensions import db

    db.session.remove()  # no transaction of this process is open during the snapshot
    checkpoints, archives = _audit_folders()
    try:
        result = backups.make_backup(
            current_app.config["SQLALCHEMY_DATABASE_URI"],
            target,
            key,
            checkpoint_dir=checkpoints,
            archive_dir=archives,
            key_ids=_key_ids(),
        )
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    _record("backup.create", result.path.name)
    _echo_manifest(result.manifest)
    click.echo(f"backup written: {result.path} ({result.size} bytes)")


def _echo_manifest(manifest: backups.Manifest) -> None:
    click.echo(
        f"{manifest.dialect} backup of {manifest.created_at}, schema revision "
        f"{manifest.schema_revision}, backup key {manifest.backup_key_id}"
    )
    rows = sum(manifest.row_counts.values())
    click.echo(f"  {len(manifest.row_counts)} tables, {rows} rows; data keys {manifest.key_ids}")


@click.command("restore")
@with_appcontext
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_KEY_OPTION
def restore_command(backup_file: Path, backup_key_file: Path | None) -> None:
    """Load a backup into the configured database, which must be EMPTY."""
    from casemgr.extensions import db

    key = _load_key(backup_key_file)
    db.session.remove()
    db.engine.dispose()
    checkpoints, archives = _audit_folders()
    try:
        result = backups.restore_backup(
            current_app.config["SQLALCHEMY_DATABASE_URI"],
            backup_file,
            key,
            checkpoint_dir=checkpoints,
            archive_dir=archives,
            key_ids=_key_ids(),
        )
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    from casemgr.crypto import keycheck
    from casemgr.crypto.keyfile import KeyFileError

    uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
    try:  # the keys must be the ones the restored data was written with
        keycheck.verify(current_app.extensions["casemgr.keyring"], keycheck.read_database(uri))
    except KeyFileError as exc:
        raise click.ClickException(f"restored, but the loaded keys do not fit it: {exc}") from None
    _record("backup.restore", backup_file.name)
    _echo_manifest(result.manifest)
    click.echo(
        f"restored {sum(result.row_counts.values())} rows (counts match the manifest), "
        f"{result.checkpoints} checkpoint files, {result.archives} archive files. "
        "Next: 'casemgr audit verify', then start the app."
    )


@click.command("export-escrow")
@with_appcontext
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--shares", type=int, default=None, help="Split into this many shares.")
@click.option("--threshold", type=int, default=None, help="Shares needed to open (with --shares).")
@_KEY_OPTION
def export_escrow_command(
    out: Path, shares: int | None, threshold: int | None, backup_key_file: Path | None
) -> None:
    """Write the key document and backup key to OUT, sealed to a passphrase or to shares.

    Without --shares the passphrase is asked for (twice). With --shares N --threshold M the
    N mnemonic shares are printed, one per holder; any M of them open the escrow.
    """
    if out.exists():
        raise click.ClickException(f"{out} already exists")
    if (shares is None) != (threshold is None):
        raise click.ClickException("give --shares and --threshold together")
    material = current_app.extensions["casemgr.keys"]
    path = _backup_key_path(backup_key_file)
    backup_key = _load_key(path) if path.exists() else None
    if backup_key is None:
        click.echo(f"warning: no backup key at {path}; the escrow holds the data keys only")
    bundle = escrow.EscrowBundle(material.raw, backup_key)
    try:
        if shares is None:
            passphrase = click.prompt(
                "Escrow passphrase", hide_input=True, confirmation_prompt=True, err=True
            )
            document = escrow.seal_to_passphrase(bundle, passphrase)
            printed: list[str] = []
        else:
            shared = escrow.seal_to_shares(bundle, threshold, shares)
            document, printed = shared.document, shared.shares
    except escrow.EscrowError as exc:
        raise click.ClickException(str(exc)) from None
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
    _record_export(out.name)
    click.echo(f"escrow written: {out} (keys {document['key_ids']}, backup key "
               f"{document['backup_key_id']})")  # fmt: skip
    for number, share in enumerate(printed, start=1):
        click.echo(f"\nshare {number} of {shares} (any {threshold} open the escrow):\n{share}")


def _record_export(name: str) -> None:
    from casemgr.crypto import keycheck

    if keycheck.read_database(current_app.config["SQLALCHEMY_DATABASE_URI"]).has_table:
        from casemgr.audit import record
        from casemgr.extensions import db

        record("keys.escrow_export", actor=None, object_type="escrow", object_id=name[:64])
        db.session.commit()


@click.command("import-escrow")
@with_appcontext
@click.argument("escrow_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a key file this database was written with.")
@_KEY_OPTION
def import_escrow_command(escrow_file: Path, force: bool, backup_key_file: Path | None) -> None:
    """Restore the key file and backup key from an escrow (passphrase or shares on stdin)."""
    from casemgr.crypto import keycheck

    try:
        document = escrow.read_escrow(escrow_file.read_text(encoding="utf-8"))
        if document["method"] == "passphrase":
            passphrase = click.prompt("Escrow passphrase", hide_input=True, err=True)
            bundle = escrow.open_with_passphrase(document, passphrase)
        else:
            click.echo(
                f"Enter {document['threshold']} shares, one per line (an empty line ends):",
                err=True,
            )
            shares = []
            for line in sys.stdin:
                if not line.strip():
                    break
                shares.append(line.strip())
            bundle = escrow.open_with_shares(document, shares)
        parse_key_document(bundle.key_document, "the escrowed key document")
    except (escrow.EscrowError, KeyFileError) as exc:
        raise click.ClickException(str(exc)) from None
    ring = current_app.extensions["casemgr.keyring"]
    if ring.path is None:
        raise click.ClickException(
            "keys come from CASEMGR_KEYS: unset it so the escrowed key file is used, or put "
            "the escrowed document in your secret store by hand"
        )
    state = keycheck.read_database(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if not state.never_keyed and not force:
        raise click.ClickException(
            "this database already holds data written with the current key file; "
            "import the escrow on an empty database (before 'restore'), or give --force"
        )
    write_key_document(ring.path, bundle.key_document)
    click.echo(f"key file written: {ring.path}")
    if bundle.backup_key is not None:
        path = _backup_key_path(backup_key_file)
        backups.write_backup_key(path, bundle.backup_key)
        click.echo(f"backup key {bundle.backup_key.id} written: {path}")
