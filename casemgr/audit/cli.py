"""`flask casemgr audit ...`: verify, checkpoint, archive, scan for alerts, print role grants."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from casemgr import clock

audit_cli = AppGroup("audit", help="Verify, checkpoint, archive and scan the audit trail.")

_PUBLIC_KEY = click.option(
    "--public-key",
    "public_keys",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Also trust this Ed25519 public key (PEM), e.g. a rotated signing key. Repeatable.",
)


@audit_cli.command("verify")
@click.option(
    "--checkpoint-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of checkpoint files (default: CASEMGR_AUDIT_CHECKPOINT_DIR).",
)
@_PUBLIC_KEY
@click.option("--batch-size", default=10_000, show_default=True, help="Events read per query.")
@click.option("--no-record", is_flag=True, help="Do not append an audit.verify event.")
def verify_command(
    checkpoint_dir: Path | None, public_keys: tuple[Path, ...], batch_size: int, no_record: bool
) -> None:
    """Check sequence, links, MACs and checkpoints; name the first bad entry. Exit 1 if bad."""
    from casemgr.audit.services import record_verification, verify_chain
    from casemgr.extensions import db

    started = clock.utcnow()
    bar = None

    def start(total: int) -> None:
        nonlocal bar
        bar = click.progressbar(length=total, label="verifying", file=sys.stderr)
        bar.__enter__()

    try:
        report = verify_chain(
            checkpoint_folder=checkpoint_dir,
            public_keys=public_keys,
            batch_size=batch_size,
            progress=lambda n: bar.update(n) if bar else None,
            start=start,
        )
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    seconds = (clock.utcnow() - started).total_seconds()
    click.echo(
        f"{report.events_checked} events (seq {report.start_seq + 1}..{report.last_seq}), "
        f"{report.checkpoints_checked} checkpoints, {report.anchors_checked} anchors "
        f"checked in {seconds:.1f} s"
    )
    if not no_record:
        record_verification(report)
        db.session.commit()
    if report.ok:
        click.echo("OK: the audit trail verifies")
        return
    first = report.first_problem
    click.echo(f"FAILED: first bad entry {first.describe()}", err=True)
    for problem in report.problems[1:20]:
        click.echo(f"  also {problem.describe()}", err=True)
    if report.problems_total > 20:
        click.echo(f"  ... {report.problems_total} problems in all", err=True)
    sys.exit(1)


@audit_cli.command("checkpoint")
@click.option("--checkpoint-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
def checkpoint_command(checkpoint_dir: Path | None) -> None:
    """Sign the current head (seq, MAC, time) with Ed25519 into a file outside the database."""
    from casemgr.audit.services import make_checkpoint
    from casemgr.extensions import db

    path = make_checkpoint(checkpoint_dir)
    db.session.commit()
    click.echo(f"checkpoint written: {path}")


@audit_cli.command("archive")
@click.option(
    "--before",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Archive events older than this date (UTC); default: today minus the retention period.",
)
@click.option("--archive-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
@_PUBLIC_KEY
def archive_command(
    before: dt.datetime | None, archive_dir: Path | None, public_keys: tuple[Path, ...]
) -> None:
    """Export old events to a signed archive file, anchor the chain there, remove them."""
    from casemgr.audit.services import ArchiveRefused, archive_events, retention_limit
    from casemgr.extensions import db

    now = clock.utcnow()
    cutoff = before.replace(tzinfo=dt.UTC) if before else retention_limit(now)
    try:
        result = archive_events(cutoff, folder=archive_dir, public_keys=public_keys, now=now)
    except ArchiveRefused as exc:
        db.session.rollback()
        raise click.ClickException(f"archive refused: {exc}") from None
    if result is None:
        click.echo("nothing to archive")
        return
    db.session.commit()
    written = result.written
    click.echo(
        f"archived seq {written.first_seq}..{written.last_seq} ({result.removed} events) to "
        f"{written.path}\nmanifest: {written.manifest_path}\n"
        f"the chain in the database now starts after seq {written.last_seq}"
    )


@audit_cli.command("verify-archive")
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_PUBLIC_KEY
def verify_archive_command(manifest: Path, public_keys: tuple[Path, ...]) -> None:
    """Check an archive: manifest signature, file hash and the chain inside it. Exit 1 if bad."""
    from casemgr.audit.archive import verify_archive
    from casemgr.audit.services import trusted_keys

    keys = current_app.extensions["casemgr.keys"]
    check = verify_archive(manifest, keys.audit_mac_key, trusted_keys(public_keys))
    if check.ok:
        click.echo(f"OK: seq {check.first_seq}..{check.last_seq}, {check.count} events")
        return
    for problem in check.problems[:20]:
        click.echo(f"FAILED: {problem}", err=True)
    sys.exit(1)


@audit_cli.command("scan")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M"]),
    default=None,
    help="Re-scan from this time (UTC) instead of from the last scan.",
)
def scan_command(since: dt.datetime | None) -> None:
    """Raise alerts from the events since the last scan (idempotent; run it from cron)."""
    from casemgr.audit.alerts import scan_for_alerts
    from casemgr.extensions import db

    result = scan_for_alerts(since.replace(tzinfo=dt.UTC) if since else None)
    db.session.commit()
    raised = ", ".join(f"{kind}: {n}" for kind, n in sorted(result.raised.items())) or "none"
    click.echo(
        f"{result.events_scanned} events scanned up to seq {result.last_seq}; new alerts: {raised}"
    )


@audit_cli.command("grant-sql")
@click.option("--app-role", required=True, help="The PostgreSQL role the app connects as.")
@click.option("--maintenance-role", default=None, help="The role that runs `audit archive`.")
@click.option("--schema", default="public", show_default=True)
def grant_sql_command(app_role: str, maintenance_role: str | None, schema: str) -> None:
    """Print the GRANT/REVOKE statements for the app (and maintenance) role; run them as owner."""
    from casemgr.audit.pgroles import app_role_grants, maintenance_role_grants

    statements = app_role_grants(app_role, schema)
    if maintenance_role:
        statements += maintenance_role_grants(maintenance_role, schema)
    for statement in statements:
        click.echo(statement + ";")
