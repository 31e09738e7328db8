"""L4 on PostgreSQL: the database itself refuses UPDATE, DELETE and TRUNCATE on the trail.

Two layers, each tested alone: the app's role lacks the privileges (GRANTs from
casemgr.audit.pgroles, as docs/audit.md prescribes), and a trigger refuses even roles that
have them, superusers included. Roles are created inside the test's transaction, so they
vanish with its rollback.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from casemgr.audit import record
from casemgr.audit.pgroles import app_role_grants, maintenance_role_grants

pytestmark = pytest.mark.usefixtures("app")

CHANGES = {
    "update": "UPDATE {table} SET {column} = {column}",
    "delete": "DELETE FROM {table}",
    "truncate": "TRUNCATE {table}",
}
COLUMNS = {"audit_events": "reason", "audit_anchors": "archive_name"}


@pytest.fixture
def pg(db) -> Iterator:
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no roles or privileges")
    record("test.row", actor=None)  # something to change
    yield db.session


def refused(session, statement: str) -> str:
    """Run a statement in a savepoint; return the SQLSTATE it failed with (or "" if it ran)."""
    savepoint = session.begin_nested()
    try:
        session.execute(text(statement))
    except DBAPIError as exc:
        savepoint.rollback()
        return exc.orig.sqlstate
    savepoint.rollback()
    return ""


def new_role(session, grants) -> str:
    name = f"casemgr_t_{secrets.token_hex(4)}"
    session.execute(text(f"CREATE ROLE {name} NOLOGIN NOSUPERUSER NOBYPASSRLS"))
    for statement in grants(name):
        session.execute(text(statement))
    return name


@pytest.mark.parametrize("table", ["audit_events", "audit_anchors"])
@pytest.mark.parametrize("change", CHANGES)
def test_superuser_is_refused_by_the_trigger(pg, table, change):
    assert pg.execute(text("SELECT current_setting('is_superuser')")).scalar() == "on"
    statement = CHANGES[change].format(table=table, column=COLUMNS[table])
    if table == "audit_anchors" and change != "truncate":
        pg.execute(
            text("INSERT INTO audit_anchors VALUES (1, '\\x00', 1, 'a', 'b', now(), 'k', '\\x00')")
        )
    assert refused(pg, statement) == "42501"  # insufficient_privilege, raised by the trigger


@pytest.mark.parametrize("change", CHANGES)
def test_app_role_lacks_the_privilege(pg, change):
    role = new_role(pg, app_role_grants)
    privileges = {
        privilege: pg.execute(
            text("SELECT has_table_privilege(:role, 'audit_events', :privilege)"),
            {"role": role, "privilege": privilege},
        ).scalar()
        for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
    }
    assert privileges == {
        "SELECT": True,
        "INSERT": True,
        "UPDATE": False,
        "DELETE": False,
        "TRUNCATE": False,
    }
    pg.execute(text(f"SET LOCAL ROLE {role}"))
    record("test.as_app_role", actor=None)  # the app's own work still goes through
    statement = CHANGES[change].format(table="audit_events", column="reason")
    assert refused(pg, statement) == "42501"
    # Setting the archive flag changes nothing for the app role: it still has no DELETE.
    pg.execute(text("SET LOCAL casemgr.audit_purge = 'on'"))
    assert refused(pg, "DELETE FROM audit_events") == "42501"
    assert refused(pg, "INSERT INTO audit_anchors SELECT 1, mac, 1, 'a', 'b', now(), 'k', mac "
                       "FROM audit_events LIMIT 1") == "42501"  # fmt: skip
    assert refused(pg, "SELECT casemgr_audit_archive(1, '\\x00', 1, 'a', 'b', now(), 'k', "
                       "'\\x00')") == "42501"  # fmt: skip
    assert refused(pg, "ALTER TABLE audit_events DISABLE TRIGGER ALL") == "42501"


def test_owner_delete_needs_the_archive_function_and_an_anchor(pg):
    # The owner (here the superuser) with the flag set still cannot delete unanchored rows.
    pg.execute(text("SET LOCAL casemgr.audit_purge = 'on'"))
    assert refused(pg, "DELETE FROM audit_events") == "42501"


def test_maintenance_role_archives_only_through_the_function(pg):
    role = new_role(pg, maintenance_role_grants)
    seq, mac = pg.execute(text("SELECT seq, mac FROM audit_events ORDER BY seq LIMIT 1")).one()
    pg.execute(text(f"SET LOCAL ROLE {role}"))
    assert refused(pg, "DELETE FROM audit_events") == "42501"
    removed = pg.execute(
        text("SELECT casemgr_audit_archive(:seq, :mac, 1, 'a', 'b', now(), 'k', '\\x00')"),
        {"seq": seq, "mac": mac},
    ).scalar()
    assert removed == 1
    # And only up to an event that exists with that MAC.
    beyond = "SELECT casemgr_audit_archive(999999999, '\\x00', 1, 'a', 'b', now(), 'k', '\\x00')"
    assert refused(pg, beyond) == "P0001"
