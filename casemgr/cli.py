"""`flask --app wsgi casemgr ...`: install, areas, users, demo data; each command commits."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from casemgr.audit.cli import audit_cli
from casemgr.crypto.cli import keys_cli
from casemgr.crypto.keyfile import KeyFileError
from casemgr.instance import UnsafeFileMode
from casemgr.jobs.cli import worker_command
from casemgr.operations.cli import (
    backup_command,
    backup_key_command,
    export_escrow_command,
    import_escrow_command,
    restore_command,
)
from casemgr.people.cli import people_cli
from casemgr.rules.cli import deadlines_cli


@contextmanager
def refusal_to_start_in_one_line() -> Iterator[None]:
    """Around building the app: under the `flask` command, a refusal to start (an instance
    folder or file open to other users, unsound keys) becomes click's one-line "Error: ...",
    naming what to run, with exit status 1, instead of a traceback. Elsewhere (gunicorn, tests)
    the exception goes on as it is."""
    try:
        yield
    except (UnsafeFileMode, KeyFileError) as exc:
        if click.get_current_context(silent=True) is None:
            raise
        raise click.ClickException(str(exc)) from None


casemgr_cli = AppGroup("casemgr", help="casemgr administration commands.")
casemgr_cli.add_command(keys_cli)
casemgr_cli.add_command(audit_cli)
casemgr_cli.add_command(deadlines_cli)
casemgr_cli.add_command(people_cli)
casemgr_cli.add_command(backup_command)
casemgr_cli.add_command(restore_command)
casemgr_cli.add_command(backup_key_command)
casemgr_cli.add_command(worker_command)
keys_cli.add_command(export_escrow_command)
keys_cli.add_command(import_escrow_command)


@casemgr_cli.command("init")
@click.option("--skip-areas", is_flag=True, help="Do not load administrative areas.")
def init_command(skip_areas: bool) -> None:
    """Migrate the database to head and load the administrative areas."""
    from flask_migrate import upgrade

    from casemgr.extensions import db
    from casemgr.reference.services import load_reference_data
    from casemgr.rules.services import seed_rules
    from casemgr.support.catalogue import load_service_catalogue

    upgrade()
    click.echo("database migrated to head")
    _fill_stored_deadlines()
    counts = load_reference_data()
    counts["service_types"] = load_service_catalogue()
    rules_added = seed_rules()
    db.session.commit()
    click.echo("reference data: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))
    click.echo(f"dated rules: {rules_added} versions added")
    if not skip_areas:
        _load_areas(None)
    _analyze()
    _checkpoint()


def _analyze() -> None:
    # After migrations and loads the planner needs statistics: SQLite has none unless ANALYZE
    # runs (the `analyze` duty keeps them current afterwards, casemgr/jobs/duties.py).
    from casemgr.db import refresh_statistics
    from casemgr.extensions import db

    refresh_statistics(db.session.connection())
    db.session.commit()
    click.echo("planner statistics refreshed (ANALYZE)")


def _checkpoint() -> None:
    # The end of every install or upgrade is signed, after its tail was verified, so that no
    # later cut can reach back past it unnoticed (docs/audit.md section 5).
    from casemgr.audit.autocheckpoint import checkpoint_after_tail_check
    from casemgr.extensions import db

    run = checkpoint_after_tail_check()
    db.session.commit()
    if run.path is None:
        first = run.report.first_problem
        raise click.ClickException(
            f"the audit trail does not verify, no checkpoint signed: {first.describe()}"
        )
    click.echo(f"audit checkpoint written: {run.path}")


def _fill_stored_deadlines() -> None:
    # Revision 0012 creates the deadlines table empty (working days need the app): a database
    # upgraded across it gets its deadlines here, so no screen shows "nothing overdue" by mistake.
    from sqlalchemy import exists, select

    from casemgr.cases.models import Case
    from casemgr.extensions import db
    from casemgr.rules import deadlines
    from casemgr.rules.models import Deadline

    has_cases = db.session.scalar(select(exists().where(Case.id.is_not(None))))
    has_deadlines = db.session.scalar(select(exists().where(Deadline.id.is_not(None))))
    if has_cases and not has_deadlines:
        click.echo(f"stored deadlines: {deadlines.refresh_all()} rows written")
        db.session.commit()


@casemgr_cli.command("load-areas")
@click.option(
    "--legacy",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV of pre-2025 areas with their old->new mapping (see docs/operations.md).",
)
def load_areas_command(legacy: Path | None) -> None:
    """Load the 34 provinces and 3,321 communes (and, optionally, legacy areas)."""
    _load_areas(legacy)


def _load_areas(legacy: Path | None) -> None:
    from casemgr.extensions import db
    from casemgr.org.areas import load_current_areas, load_legacy_areas

    with click.progressbar(length=3321, label="communes") as bar:
        provinces, communes = load_current_areas(progress=bar.update)
    if legacy is not None:
        rows = load_legacy_areas(legacy)
        click.echo(f"{rows} legacy areas loaded")
    db.session.commit()
    click.echo(f"{provinces} provinces and {communes} communes loaded")


@casemgr_cli.command("create-user")
@click.argument("username")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["social_worker", "supervisor", "auditor", "administrator"]),
)
@click.option("--unit", "unit_code", required=True, help="Code of the unit the role is bound to.")
@click.option("--display-name", default=None, help="Defaults to the username.")
@click.option("--email", default=None)
def create_user_command(
    username: str, role: str, unit_code: str, display_name: str | None, email: str | None
) -> None:
    """Create a user; the password is read from standard input (one line)."""
    from casemgr.admin.services import UserError, create_user
    from casemgr.auth.roles import Role
    from casemgr.auth.services import PasswordRejected
    from casemgr.extensions import db
    from casemgr.org.queries import unit_by_code

    unit = unit_by_code(unit_code)
    if unit is None:
        raise click.ClickException(f"no unit with code {unit_code}")
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        create_user(
            None,
            username=username,
            display_name=display_name or username,
            email=email,
            role=Role(role),
            unit=unit,
            password=password,
        )
    except PasswordRejected as exc:
        raise click.ClickException("password refused: " + " ".join(exc.problems)) from None
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"user {username} created")


@casemgr_cli.command("demo-data")
def demo_data_command() -> None:
    """Load the demo province (clearly marked) once, and print the demo logins."""
    from casemgr.demo import DEMO_PASSWORD, load_demo_data

    created, logins = load_demo_data()
    click.echo("demo data loaded" if created else "demo data already present")
    click.echo(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
    for username, role, unit in logins:
        click.echo(f"  {username:<14} {role:<14} {unit}")
    click.echo(
        "Supervisors, auditors and administrators set up an authenticator app at first "
        "sign-in; the page also shows the key for manual entry."
    )


def register_cli(app: Flask) -> None:
    """Attach the command group to the app."""
    app.cli.add_command(casemgr_cli)
