"""PostgreSQL privileges: what the app role and the audit maintenance role are granted.

The schema owner (who runs migrations) owns every table; the app runs as a separate role that
cannot alter tables, disable triggers, or change or remove audit rows. docs/audit.md prints
the same statements (`flask --app wsgi casemgr audit grant-sql`), and the tests apply them.
"""

from __future__ import annotations

import re

_ROLE = re.compile(r"[a-z_][a-z0-9_]{0,62}\Z")
ARCHIVE_FUNCTION = (
    "casemgr_audit_archive(bigint, bytea, bigint, varchar, varchar, timestamptz, varchar, bytea)"
)


def _role(name: str) -> str:
    if not _ROLE.match(name):
        raise ValueError("role names: lower-case letters, digits and underscores")
    return name


def app_role_grants(role: str, schema: str = "public") -> list[str]:
    """The app role: read/write on ordinary tables, but only SELECT and INSERT on the trail."""
    role, schema = _role(role), _role(schema)
    return [
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {schema}.audit_events FROM {role}",
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {schema}.audit_anchors FROM {role}",
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {schema}.alembic_version FROM {role}",
        # The head counter moves forward with each append (a trigger refuses anything else).
        f"REVOKE DELETE, TRUNCATE ON {schema}.audit_head FROM {role}",
    ]


def maintenance_role_grants(role: str, schema: str = "public") -> list[str]:
    """The role that runs `audit archive`: read and append to the trail, run the archiver."""
    role, schema = _role(role), _role(schema)
    return [
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT SELECT, INSERT ON {schema}.audit_events TO {role}",
        f"GRANT SELECT ON {schema}.audit_anchors TO {role}",
        f"GRANT SELECT, INSERT, UPDATE ON {schema}.audit_head TO {role}",
        f"GRANT EXECUTE ON FUNCTION {schema}.{ARCHIVE_FUNCTION} TO {role}",
    ]
