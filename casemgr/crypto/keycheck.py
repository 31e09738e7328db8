"""Binding keys to a database: refuse to start with keys this database was not written with."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casemgr.clock import utcnow
from casemgr.crypto.keyfile import KeyFileError
from casemgr.crypto.keyring import KeyRing
from casemgr.crypto.models import KeyCheck

_checks = KeyCheck.__table__


@dataclass
class DatabaseKeys:
    """What a database says about the keys it was written with."""

    has_table: bool = False
    checks: dict[str, sa.Row] = field(default_factory=dict)
    holds_data: bool = False

    @property
    def never_keyed(self) -> bool:
        """No key was ever recorded and nothing sealed exists: a new key file cannot orphan data."""
        return not self.checks and not self.holds_data


def _has_rows(conn: sa.Connection, table: str) -> bool:
    return conn.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None  # noqa: S608


def read_database(uri: str) -> DatabaseKeys:
    """Read the key checks, and whether users or data keys exist, with a short-lived engine."""
    engine = sa.create_engine(uri)
    try:
        with engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
            state = DatabaseKeys(has_table="key_checks" in tables)
            if state.has_table:
                rows = conn.execute(sa.select(_checks)).all()
                state.checks = {row.key_id: row for row in rows}
            # Users hold TOTP secrets sealed under secret_key; data keys under a master key.
            state.holds_data = any(
                name in tables and _has_rows(conn, name) for name in ("users", "data_keys")
            )
            return state
    finally:
        engine.dispose()


def verify(ring: KeyRing, state: DatabaseKeys) -> None:
    """Raise KeyFileError, naming the key, unless the loaded keys are the ones recorded."""
    source = ring.material.source
    loaded = ring.check_values()
    for key_id, row in state.checks.items():
        value = loaded.get(key_id)
        if value is None:
            if row.state == "retired":
                continue
            raise KeyFileError(
                f"{source} lacks the {row.kind} key {key_id} that this database was written "
                "with; load the key file that belongs to this database (from its backup)"
            )
        if not hmac.compare_digest(value.mac, row.check_mac):
            raise KeyFileError(
                f"{source}: the {row.kind} key {key_id} is wrong for this database (its key "
                "check does not match); load the key file that belongs to this database"
            )


def record_missing(uri: str, ring: KeyRing, state: DatabaseKeys) -> None:
    """Record a check for each loaded key the database does not know yet (at start)."""
    if not state.has_table:
        return
    missing = [v for k, v in ring.check_values().items() if k not in state.checks]
    if not missing:
        return
    engine = sa.create_engine(uri)
    try:
        for value in missing:
            try:
                with engine.begin() as conn:
                    conn.execute(_checks.insert().values(_row(value)))
            except IntegrityError:
                pass  # another worker recorded it first
    finally:
        engine.dispose()


def _row(value) -> dict:
    return {
        "key_id": value.key_id,
        "kind": value.kind,
        "check_mac": value.mac,
        "state": value.state,
        "created_at": utcnow(),
    }


# (database, loaded key ids) this process has seen recorded: checked once, not per data key.
_recorded: set[tuple[str, frozenset[str]]] = set()


def ensure_recorded(session: Session, ring: KeyRing) -> None:
    """Make sure the database holds a check for every loaded key before anything is sealed."""
    values = ring.check_values()
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)  # a Connection in tests, an Engine otherwise
    marker = (engine.url.render_as_string(), frozenset(values))
    if marker in _recorded:
        return
    known = set(session.execute(sa.select(_checks.c.key_id)).scalars())
    missing = [value for key_id, value in values.items() if key_id not in known]
    for value in missing:
        session.execute(_checks.insert().values(_row(value)))
    if not missing:  # recorded in this transaction: remembered only once seen committed
        _recorded.add(marker)


def set_state(session: Session, ring: KeyRing, key_id: str, state: str) -> None:
    """Record a key's new state (recording the checks first if needed)."""
    ensure_recorded(session, ring)
    session.execute(_checks.update().where(_checks.c.key_id == key_id).values(state=state))
