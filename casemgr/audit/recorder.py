"""record(): append one audit event to the chain in the caller's transaction.

In a request, events are queued and appended when the transaction commits, so that the chain's
lock is held for the append and the commit only, not while the page reads and renders (an audit
page too: it shows the chain as committed, its own events from the next page on); an event
queued in a savepoint that rolls back is dropped with it. Elsewhere, and with `immediate`, an
event is appended at once.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from typing import Any, Protocol

from flask import current_app, g, has_request_context, request
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction

from casemgr.audit.chain import GENESIS_MAC, compute_mac
from casemgr.audit.models import AuditEvent, Outcome
from casemgr.clock import utcnow
from casemgr.db import take_sqlite_write_lock
from casemgr.extensions import db
from casemgr.ops import metrics

# An arbitrary constant naming the PostgreSQL advisory lock that serialises appends.
APPEND_LOCK_ID = 0x43A5E_A0D17
_LOCK_PG = f"SELECT pg_advisory_xact_lock({APPEND_LOCK_ID})"
_HEAD = "SELECT seq, mac FROM audit_events ORDER BY seq DESC LIMIT 1"
# SQLite: the lock and the read of the head in one statement. Writing the head counter's row
# (unchanged) takes the RESERVED lock first, as db.take_sqlite_write_lock does; the subqueries
# of RETURNING then read the head under it. No counter row: nothing is returned, but the lock
# is held, and the head is read apart.
_LOCK_AND_HEAD_SQLITE = (
    "UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING "
    "(SELECT seq FROM audit_events ORDER BY seq DESC LIMIT 1), "
    "(SELECT mac FROM audit_events ORDER BY seq DESC LIMIT 1)"
)
_ANCHOR = "SELECT seq, mac FROM audit_anchors ORDER BY seq DESC LIMIT 1"
_INSERT = AuditEvent.__table__.insert()
# The head counter (AuditHead): moved forward only, so an append after a cut tail leaves it
# where it was, and the mismatch is flagged for the checkpointer (casemgr.audit.autocheckpoint).
# With several events: moved to the last one if it was behind the first.
_ADVANCE = "UPDATE audit_head SET seq = {p}, mac = {p} WHERE id = 1 AND seq < {p}"
# PostgreSQL: the insert and the counter's advance in one statement (one round trip). A
# data-modifying WITH runs exactly once whatever the outer statement reads; the row count is
# the UPDATE's.
_COLUMNS = tuple(column.key for column in AuditEvent.__table__.columns)
_ROW_PG = f"({', '.join(['%s'] * len(_COLUMNS))})"


def _insert_and_advance_pg(rows: int) -> str:
    """The statement that inserts `rows` events and advances the counter, for psycopg."""
    return (
        f"WITH appended AS (INSERT INTO audit_events ({', '.join(_COLUMNS)}) "  # noqa: S608
        f"VALUES {', '.join([_ROW_PG] * rows)}) " + _ADVANCE.replace("{p}", "%s")
    )


_OCCURRED_AT = AuditEvent.__table__.c.occurred_at.type
_COUNTER = "SELECT seq FROM audit_head WHERE id = 1"
_CREATE_COUNTER = "INSERT INTO audit_head (id, seq, mac) VALUES (1, {p}, {p})"
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}
# Keys of Session.info read after the commit: the last seq appended, and whether the head
# counter disagreed with the table's head (a cut, or a counter row removed).
APPENDED_SEQ = "casemgr.audit_seq"
FIRST_APPENDED_SEQ = "casemgr.audit_first_seq"  # the first seq this transaction appended
HEAD_MISMATCH = "casemgr.audit_head_mismatch"
PENDING = "casemgr.audit_pending"  # events recorded in a request, appended at its commit
COMMITTING = "casemgr.audit_committing"  # set from the commit's start: append at once

# A reason is a code ("bad credentials", "view_audit") or a short justification typed by a
# user (break-glass, approvals). Forms that take one must cap it at this length and tell users
# not to write names or case details: the audit trail is read by auditors, who see no content.
REASON_MAX_LENGTH = 300
# Field names, action names and object types are identifiers; anything else is refused so that
# a value can never be smuggled into the trail in their place.
_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)*\Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


class Actor(Protocol):
    """What the recorder needs of a user (the auth package's User satisfies it)."""

    id: int
    username: str

    def audit_roles(self) -> str: ...


def request_id() -> str | None:
    """The id of the current request, generated once and echoed in the X-Request-Id header."""
    if not has_request_context():
        return None
    if "request_id" not in g:
        g.request_id = uuid.uuid4().hex
    return g.request_id


def lock_chain(session: Session) -> None:
    """Take the append lock for the rest of the transaction, before the head is read.

    PostgreSQL: a transaction-scoped advisory lock, so appends from every process queue up.
    SQLite: the database's write lock (db.take_sqlite_write_lock), so no other connection
    can append between our read of the head and our insert.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(_LOCK_PG)
    elif connection.dialect.name == "sqlite":
        take_sqlite_write_lock(connection, "audit_events")


def chain_head(session: Session) -> tuple[int, bytes]:
    """The last sequence number and MAC (the archive anchor if the table is empty, or genesis)."""
    connection = session.connection()
    # Plain driver SQL: this runs on every request, and SQLAlchemy's statement layer would
    # cost more than the query itself.
    last = connection.exec_driver_sql(_HEAD).first() or connection.exec_driver_sql(_ANCHOR).first()
    return (last[0], bytes(last[1])) if last else (0, GENESIS_MAC)


def _identifier(value: str, what: str) -> str:
    if not _IDENTIFIER.match(value) or len(value) > 64:
        raise ValueError(f"audit {what} must be a lower-case identifier")
    return value


def clean_reason(reason: str | None) -> str | None:
    """Collapse control characters and refuse a reason longer than REASON_MAX_LENGTH."""
    if reason is None:
        return None
    reason = _CONTROL.sub(" ", reason).strip()
    if len(reason) > REASON_MAX_LENGTH:
        # The message names no part of the text: it may be exactly what must not be logged.
        raise ValueError(f"audit reason longer than {REASON_MAX_LENGTH} characters")
    return reason or None


def record(
    action: str,
    *,
    actor: Actor | None,
    object_type: str | None = None,
    object_id: Any = None,
    case_id: int | None = None,
    fields: Iterable[str] = (),
    outcome: Outcome | str = Outcome.ALLOWED,
    reason: str | None = None,
    is_break_glass: bool = False,
    channel: str | None = None,
    immediate: bool = False,
) -> AuditEvent:
    """Append an audit event in the current transaction; it commits with the change it describes.

    Raises (and so fails the request or command) if the event cannot be written; the caller's
    transaction then rolls back, so the change is not kept and the data is not shown. In a
    request the event is queued for the commit (module docstring), and its seq, time and MAC
    are set then; `immediate` appends it now, for a caller that needs its seq.
    """
    field_names = sorted({_identifier(name, "field name") for name in fields})
    object_id = None if object_id is None else str(object_id)
    if object_id is not None and len(object_id) > 64:
        raise ValueError("audit object id longer than 64 characters")
    session = db.session()  # the Session itself, not its scoped proxy
    in_request = has_request_context()
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        actor_name=actor.username if actor is not None else None,
        actor_roles=actor.audit_roles() if actor is not None else None,
        action=_identifier(action, "action"),
        object_type=None if object_type is None else _identifier(object_type, "object type"),
        object_id=object_id,
        case_id=case_id,
        fields=",".join(field_names) or None,
        client_addr=request.remote_addr if in_request else None,
        request_id=request_id() if in_request else None,
        # An API request says so on every event it records (casemgr/api/access.py).
        channel=channel or (g.get("audit_channel", "web") if in_request else "cli"),
        outcome=Outcome(outcome),
        reason=clean_reason(reason),
        is_break_glass=bool(is_break_glass),
    )
    if in_request and not immediate and not session.info.get(COMMITTING):
        # Appended at the commit, in this transaction: it still commits (or rolls back) with
        # the change it describes, and with the savepoint it was recorded in.
        queued = (event, session.get_nested_transaction())
        session.info.setdefault(PENDING, []).append(queued)
        return event
    _append(session, [event])
    return event


def _append_pending(session: Session) -> None:
    """Append the events the session queued, in the order they were recorded."""
    queued = session.info.pop(PENDING, None)
    if queued:
        _append(session, [event for event, _savepoint in queued])


def _append(session: Session, events: list[AuditEvent]) -> None:
    """Append events to the chain under its lock (taken until the transaction ends)."""
    connection = session.connection()
    psycopg = connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg"
    key = current_app.extensions["casemgr.keys"].audit_mac_key
    # Three statements however many events: lock and head, insert, counter (SQLite); lock,
    # head, insert and counter (PostgreSQL). The head is the table's, not the counter's: an
    # append after a cut tail must find the counter ahead (HEAD_MISMATCH below), and leave it.
    seq, prev_mac = _lock_and_read_head(session, connection)
    first = seq + 1
    for event in events:
        seq += 1
        event.seq = seq
        # Stamped under the lock, so that time never runs backwards along the chain.
        event.occurred_at = utcnow()
        event.prev_mac = prev_mac
        event.mac = prev_mac = compute_mac(key, prev_mac, event)
        metrics.AUDIT_APPENDS.labels(event.outcome.value).inc()
    # The events are not attached to the session; they are never changed anyway.
    if psycopg:
        values = []
        for event in events:
            row = [getattr(event, name) for name in _COLUMNS]
            row[_COLUMNS.index("outcome")] = event.outcome.value
            row[_COLUMNS.index("occurred_at")] = _OCCURRED_AT.process_bind_param(
                event.occurred_at, connection.dialect
            )  # UTC, and a naive time refused, as the column type does
            values.extend(row)
        moved = connection.exec_driver_sql(
            _insert_and_advance_pg(len(events)), (*values, seq, prev_mac, first)
        ).rowcount
    else:
        # A Core insert (compiled once and cached): half the cost of an ORM flush.
        rows = [{name: getattr(event, name) for name in _COLUMNS} for event in events]
        connection.execute(_INSERT, rows if len(rows) > 1 else rows[0])
        moved = _advance(connection, first, seq, prev_mac)
    _after_advance(session, connection, first, seq, prev_mac, moved)


def _before_commit(session: Session) -> None:
    # An event recorded from here on (by the commit's own flush, say) is appended at once:
    # queued, it would come after this hook and be lost.
    session.info[COMMITTING] = True
    _append_pending(session)


def _after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
    """Drop the events queued in the transaction or savepoint that rolled back."""
    queued = session.info.get(PENDING)
    if queued:
        session.info[PENDING] = [
            entry for entry in queued if previous.nested and not _within(entry[1], previous)
        ]


def _within(savepoint: SessionTransaction | None, transaction: SessionTransaction) -> bool:
    while savepoint is not None:
        if savepoint is transaction:
            return True
        savepoint = savepoint.parent
    return False


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost (also closed without a commit)
        session.info.pop(PENDING, None)
        session.info.pop(COMMITTING, None)


for _name, _listener in (
    ("before_commit", _before_commit),
    ("after_soft_rollback", _after_soft_rollback),
    ("after_transaction_end", _after_transaction_end),
):
    sa_event.listen(Session, _name, _listener)


def _lock_and_read_head(session: Session, connection: Any) -> tuple[int, bytes]:
    """Take the append lock, then read the chain's head under it."""
    if connection.dialect.name == "sqlite":
        row = connection.exec_driver_sql(_LOCK_AND_HEAD_SQLITE).first()
        if row is not None:
            if row[0] is not None:
                return row[0], bytes(row[1])
            return chain_head(session)  # an empty table: the anchor, or genesis
    else:
        lock_chain(session)
    return chain_head(session)


def _advance(connection: Any, first: int, last: int, mac: bytes) -> int:
    """Move the head counter to the last event if it was behind the first; rows moved (0, 1)."""
    p = _PLACEHOLDERS[connection.dialect.paramstyle]
    return connection.exec_driver_sql(_ADVANCE.replace("{p}", p), (last, mac, first)).rowcount


def _after_advance(
    session: Session, connection: Any, first: int, last: int, mac: bytes, moved: int
) -> None:
    """Note the append for the commit hooks; a counter that did not move is a mismatch (or
    missing: then it is created)."""
    p = _PLACEHOLDERS[connection.dialect.paramstyle]
    session.info[APPENDED_SEQ] = last
    session.info.setdefault(FIRST_APPENDED_SEQ, first)
    if moved == 1:
        return
    counter = connection.exec_driver_sql(_COUNTER).first()
    if counter is None:
        connection.exec_driver_sql(_CREATE_COUNTER.replace("{p}", p), (last, mac))
        if first == 1:
            return  # a fresh log: nothing was there to disagree with
    session.info[HEAD_MISMATCH] = True
