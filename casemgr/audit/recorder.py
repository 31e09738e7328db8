"""record(): append one audit event to the chain in the caller's transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any, Protocol

from flask import current_app, g, has_request_context, request
from sqlalchemy import select, text

from casemgr.audit.chain import GENESIS_MAC, compute_mac
from casemgr.audit.models import AuditEvent, Outcome
from casemgr.extensions import db

# An arbitrary constant naming the PostgreSQL advisory lock that serialises appends.
APPEND_LOCK_ID = 0x43A5E_A0D17


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


def _lock_chain() -> None:
    # Serialise appends across processes: an advisory lock held until commit on PostgreSQL;
    # on SQLite, BEGIN IMMEDIATE (see casemgr.web.transaction) already holds the write lock.
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": APPEND_LOCK_ID})


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
) -> AuditEvent:
    """Append an audit event in the current transaction; it commits with the change it describes."""
    _lock_chain()
    last = db.session.execute(
        select(AuditEvent.seq, AuditEvent.mac).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev_mac = (last.seq + 1, last.mac) if last else (1, GENESIS_MAC)
    in_request = has_request_context()
    event = AuditEvent(
        seq=seq,
        occurred_at=dt.datetime.now(dt.UTC),
        actor_id=actor.id if actor is not None else None,
        actor_name=actor.username if actor is not None else None,
        actor_roles=actor.audit_roles() if actor is not None else None,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        case_id=case_id,
        fields=",".join(sorted(fields)) or None,
        client_addr=request.remote_addr if in_request else None,
        request_id=request_id() if in_request else None,
        channel=channel or ("web" if in_request else "cli"),
        outcome=Outcome(outcome),
        reason=reason,
        is_break_glass=is_break_glass,
        prev_mac=prev_mac,
    )
    event.mac = compute_mac(current_app.extensions["casemgr.keys"].audit_mac_key, prev_mac, event)
    db.session.add(event)
    db.session.flush()
    return event
