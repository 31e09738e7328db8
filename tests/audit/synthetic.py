"""Synthetic audit logs, fast: MACs computed in Python, rows bulk-inserted in batches.

Used by the tamper tests (10^5 events); the bench province (bench/province.py) chains its own.
Only ids, usernames and action names: an audit log holds no content, so there is nothing
sensitive to synthesise.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

from sqlalchemy import Connection, Engine, create_engine, insert

from casemgr.audit.chain import GENESIS_MAC, compute_mac
from casemgr.audit.models import AlertScanState, AuditAlert, AuditAnchor, AuditEvent, AuditHead
from casemgr.db import Base
from tests.dbsetup import fresh_database

ACTIONS = (
    ("case.view", "case"),
    ("case.view", "case"),
    ("case.view", "case"),
    ("case.update", "case"),
    ("note.create", "note"),
    ("person.search", None),
    ("auth.login", "user"),
)
START = dt.datetime(2026, 1, 5, 1, 0, tzinfo=dt.UTC)  # 08:00 in Ha Noi, a Monday


def audit_tables() -> list:
    """The tables an audit-only database needs."""
    models = (AuditEvent, AuditAnchor, AuditAlert, AlertScanState, AuditHead)
    return [model.__table__ for model in models]


def create_audit_tables(engine: Engine) -> None:
    """Create just the audit tables (for a fresh database that skips the migrations)."""
    Base.metadata.create_all(engine, tables=audit_tables())


def synthetic_events(
    mac_key: bytes,
    count: int,
    *,
    first_seq: int = 1,
    prev_mac: bytes = GENESIS_MAC,
    start: dt.datetime = START,
    seed: int = 6,
) -> Iterator[dict]:
    """Yield `count` chained event rows (dicts ready for a bulk insert)."""
    rng = random.Random(seed)
    moment = start
    for seq in range(first_seq, first_seq + count):
        moment += dt.timedelta(microseconds=rng.randrange(1, 3_000_000))
        action, object_type = rng.choice(ACTIONS)
        user = rng.randrange(1, 200)
        case_id = rng.randrange(1, 100_000) if object_type in ("case", "note") else None
        row = {
            "seq": seq,
            "occurred_at": moment,
            "actor_id": user,
            "actor_name": f"worker{user:03d}",
            "actor_roles": f"social_worker@T-U{user % 20}",
            "action": action,
            "object_type": object_type,
            "object_id": str(case_id if object_type == "case" else rng.randrange(1, 10**6))
            if object_type
            else None,
            "case_id": case_id,
            "fields": "narrative,risk_level" if action == "case.update" else None,
            "client_addr": f"10.{user % 250}.{user % 7}.{user % 13}",
            "request_id": f"{rng.getrandbits(128):032x}",
            "channel": "web",
            "outcome": "allowed" if rng.random() > 0.01 else "denied",
            "reason": None,
            "is_break_glass": False,
            "prev_mac": prev_mac,
        }
        row["mac"] = compute_mac(mac_key, prev_mac, SimpleNamespace(**row))
        prev_mac = row["mac"]
        yield row


def insert_events(conn: Connection, rows: Iterator[dict], batch: int = 10_000) -> int:
    """Bulk-insert rows in batches; return how many."""
    table = AuditEvent.__table__
    total, chunk = 0, []
    for row in rows:
        chunk.append(row)
        if len(chunk) == batch:
            conn.execute(insert(table), chunk)
            total += len(chunk)
            chunk = []
    if chunk:
        conn.execute(insert(table), chunk)
        total += len(chunk)
    return total


@contextmanager
def synthetic_log(label: str, mac_key: bytes, n: int) -> Iterator[Engine]:
    """A fresh database holding n synthetic, correctly chained audit events."""
    with fresh_database(label) as url:
        engine = create_engine(url)
        create_audit_tables(engine)
        with engine.begin() as conn:
            assert insert_events(conn, synthetic_events(mac_key, n)) == n
        yield engine
        engine.dispose()
