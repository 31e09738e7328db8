"""deploy/ and docs/deploy.md: every CASEMGR_ setting the code reads is documented, and the
PostgreSQL roles (deploy/postgresql-roles.sql) with the grants of casemgr/audit/pgroles.py really
leave the app role unable to change or remove audit rows."""

from __future__ import annotations

import re
import secrets

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from casemgr import ROOT
from casemgr.audit import record

DEPLOY = ROOT / "deploy"
# Names read from the environment: a literal CASEMGR_ name, or a config.py helper's suffix.
LITERAL = re.compile(r"[\"'](CASEMGR_[A-Z0-9_]+)[\"']")
SUFFIX = re.compile(r"(?:ENV_PREFIX \+ |_env_[a-z]+\()\s*[\"']([A-Z0-9_]+)[\"']")
# App config keys with the prefix that no environment variable sets (set by tests or code).
CONFIG_ONLY = {
    "CASEMGR_KEYS_JSON": "config key of CASEMGR_KEYS",
    "CASEMGR_ATTACHMENT_MAX_BYTES": "app config only (tests lower it)",
}


def settings_read_by_code() -> set[str]:
    """Every CASEMGR_ variable named in the app's source, wsgi.py and deploy/."""
    files = [
        *sorted((ROOT / "casemgr").rglob("*.py")),
        ROOT / "wsgi.py",
        *(p for p in DEPLOY.glob("*") if p.is_file()),
    ]
    names: set[str] = set()
    for path in files:
        source = path.read_text(encoding="utf-8")
        names |= set(LITERAL.findall(source))
        names |= {"CASEMGR_" + suffix for suffix in SUFFIX.findall(source)}
    return names - set(CONFIG_ONLY)


def test_every_setting_read_by_the_code_is_in_docs_deploy():
    names = settings_read_by_code()
    assert {"CASEMGR_DATABASE_URL", "CASEMGR_TRUSTED_PROXIES", "CASEMGR_METRICS_TOKEN",
            "CASEMGR_AUDIT_RETENTION_DAYS", "CASEMGR_SESSION_IDLE_MINUTES"} <= names  # fmt: skip
    documented = set(re.findall(r"CASEMGR_[A-Z0-9_]+", (ROOT / "docs/deploy.md").read_text()))
    assert sorted(names - documented) == []


def test_the_scan_finds_a_new_setting(tmp_path, monkeypatch):
    # The check above would catch a setting added tomorrow in either style.
    assert SUFFIX.findall('_env_int("NEW_THING", 3)') == ["NEW_THING"]
    assert LITERAL.findall('os.environ.get("CASEMGR_OTHER_THING")') == ["CASEMGR_OTHER_THING"]


def refused(session, statement: str) -> str:
    """Run a statement in a savepoint; the SQLSTATE it failed with, or "" if it ran."""
    savepoint = session.begin_nested()
    try:
        session.execute(text(statement))
    except DBAPIError as exc:
        savepoint.rollback()
        return exc.orig.sqlstate
    savepoint.rollback()
    return ""


def test_deploy_sql_leaves_the_app_role_unable_to_change_audit_rows(app, db):
    session = db.session
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no roles or privileges")
    record("test.before_roles", actor=None)  # a row to try to change
    # The deploy files as shipped, with role names of this test (they vanish with its rollback).
    suffix = secrets.token_hex(4)
    names = {n: f"{n}_{suffix}" for n in ("casemgr_owner", "casemgr_app", "casemgr_audit_maint")}

    roles = (DEPLOY / "postgresql-roles.sql").read_text()
    for old, new in names.items():
        roles = re.sub(rf"\b{old}\b", new, roles)
    # The grants as the procedure prints them (casemgr/audit/pgroles.py through the CLI).
    printed = app.test_cli_runner().invoke(
        args=["casemgr", "audit", "grant-sql", "--app-role", names["casemgr_app"],
              "--maintenance-role", names["casemgr_audit_maint"]]
    )  # fmt: skip
    assert printed.exit_code == 0 and "REVOKE UPDATE, DELETE" in printed.output
    connection = session.connection()
    connection.exec_driver_sql(roles)
    connection.exec_driver_sql(roles)  # again: changes nothing
    connection.exec_driver_sql(printed.output)
    app_role = names["casemgr_app"]
    # The privilege itself is missing (the trigger, tested in tests/audit, is a second layer
    # that would refuse even without it).
    privileges = {
        (table, privilege): session.execute(
            text("SELECT has_table_privilege(:role, :table, :privilege)"),
            {"role": app_role, "table": table, "privilege": privilege},
        ).scalar()
        for table in ("audit_events", "audit_anchors")
        for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
    }
    assert [key for key, granted in privileges.items() if granted] == [
        ("audit_events", "SELECT"),
        ("audit_events", "INSERT"),
        ("audit_anchors", "SELECT"),
    ]
    session.execute(text(f"SET LOCAL ROLE {app_role}"))
    assert session.execute(text("SELECT current_user")).scalar() == app_role
    record("test.as_app_role", actor=None)  # the app's own appends still go through
    assert refused(session, "UPDATE audit_events SET reason = 'rewritten'") == "42501"
    assert refused(session, "DELETE FROM audit_events") == "42501"
    assert refused(session, "TRUNCATE audit_events") == "42501"
    assert refused(session, "DELETE FROM audit_anchors") == "42501"
    assert refused(session, "UPDATE alembic_version SET version_num = version_num") == "42501"
    assert refused(session, "ALTER TABLE audit_events DISABLE TRIGGER ALL") == "42501"
    # ...while ordinary tables stay writable, so the refusals above are about the audit trail.
    assert refused(session, "UPDATE units SET code = code") == ""
    session.execute(text("RESET ROLE"))


def test_grafana_dashboard_uses_only_metrics_the_app_exports():
    import json

    from prometheus_client import REGISTRY

    dashboard = json.loads((DEPLOY / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = {name for e in exprs for name in re.findall(r"casemgr_[a-z_]+", e)}
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}
    exported = {
        family.name + suffix
        for family in REGISTRY.collect()
        for suffix in suffixes.get(family.type, ("",))
    }
    assert used and used <= exported, used - exported


def test_gunicorn_config_loads_in_gunicorn(monkeypatch):
    from gunicorn.app.base import Application

    class Probe(Application):
        def init(self, parser, opts, args):
            return None

        def load(self):
            return None

    monkeypatch.setattr("sys.argv", ["gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py")])
    config = Probe().cfg
    assert config.worker_class_str == "gthread" and config.timeout == 60
    assert config.accesslog is None and callable(config.on_starting)
    # One worker may hold its threads' connections and as many idle ones, not gunicorn's 1,000:
    # else one worker could take all of a proxy's keep-alive connections (one core busy).
    assert config.worker_connections == 2 * config.threads
