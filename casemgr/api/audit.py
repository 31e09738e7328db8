"""API for auditors: audit events and alerts (metadata only, never case content)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_login import current_user

from casemgr.api.access import token_access
from casemgr.api.blueprint import bp
from casemgr.api.common import decode_cursor, documented, encode_cursor
from casemgr.api.schemas import AlertListSchema, AuditEventArgs, AuditEventListSchema, PageArgs
from casemgr.audit import queries, record
from casemgr.audit.models import AuditAlert, Outcome
from casemgr.auth.roles import Action
from casemgr.extensions import db
from casemgr.supervision.queries import alert_scope
from casemgr.tokens.models import TokenScope

EVENT_FIELDS = ("seq", "occurred_at", "actor_id", "actor_name", "actor_roles", "action",
                "object_type", "object_id", "case_id", "outcome", "channel", "client_addr",
                "request_id", "is_break_glass")  # fmt: skip


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


@bp.route("/audit/events", methods=["GET"])
@token_access(TokenScope.AUDIT, Action.VIEW_AUDIT)
@bp.arguments(AuditEventArgs, location="query")
@bp.response(
    200,
    AuditEventListSchema,
    example={
        "items": [
            {
                "seq": 1042,
                "occurred_at": "2026-12-01T03:04:05+00:00",
                "actor_id": 12,
                "actor_name": "lan.nguyen",
                "actor_roles": "social_worker@C01",
                "action": "case.view",
                "object_type": "case",
                "object_id": "7",
                "case_id": 7,
                "fields": None,
                "outcome": "allowed",
                "channel": "api",
                "client_addr": "10.0.0.5",
                "request_id": "5f0c2a",
                "is_break_glass": False,
            }
        ],
        "next_cursor": None,
    },
)
@documented(422)
def list_audit_events(args: dict[str, Any]):
    """Audit events, newest first, as on the auditor's Events screen; follow `next_cursor`."""
    after = decode_cursor(args["cursor"])
    criteria = queries.EventFilter(
        user=args["user"], action=args["action"],
        outcome=Outcome(args["outcome"]) if args["outcome"] else None,
        date_from=args["date_from"], date_to=args["date_to"],
        seq_to=after - 1 if after is not None else None,
    )  # fmt: skip
    record("audit.search", actor=current_user, object_type="audit_event", fields=criteria.used())
    rows = list(
        db.session.scalars(queries.search_events(criteria, _zone()).limit(args["limit"] + 1))
    )
    page = rows[: args["limit"]]
    items = []
    for event in page:
        item: dict[str, Any] = {name: getattr(event, name) for name in EVENT_FIELDS}
        item["outcome"], item["fields_"] = str(event.outcome), event.fields
        items.append(item)
    more = len(rows) > args["limit"]
    return {"items": items, "next_cursor": encode_cursor(page[-1].seq) if more else None}


@bp.route("/audit/alerts", methods=["GET"])
@token_access(TokenScope.AUDIT, Action.REVIEW_ALERTS)
@bp.arguments(PageArgs, location="query")
@bp.response(
    200,
    AlertListSchema,
    example={
        "items": [
            {
                "id": 3,
                "kind": "off_hours",
                "status": "open",
                "actor_id": 12,
                "actor_name": "lan.nguyen",
                "case_id": None,
                "window_start": "2026-12-01T15:00:00+00:00",
                "window_end": "2026-12-01T16:00:00+00:00",
                "event_count": 40,
                "first_seq": 1000,
                "last_seq": 1040,
            }
        ],
        "next_cursor": None,
    },
)
@documented(422)
def list_alerts(args: dict[str, Any]):
    """Audit alerts in your scope (every alert for auditors), newest first, open or reviewed."""
    after = decode_cursor(args["cursor"])
    record("audit.alerts", actor=current_user, object_type="audit_alert")
    statement = queries.alerts(None, None, alert_scope(current_user))
    statement = statement.order_by(None).order_by(AuditAlert.id.desc())
    if after is not None:
        statement = statement.where(AuditAlert.id < after)
    rows = list(db.session.scalars(statement.limit(args["limit"] + 1)))
    page = rows[: args["limit"]]
    items = [
        {"id": a.id, "kind": str(a.kind), "status": str(a.status), "actor_id": a.actor_id,
         "actor_name": a.actor_name, "case_id": a.case_id, "window_start": a.window_start,
         "window_end": a.window_end, "event_count": a.event_count, "first_seq": a.first_seq,
         "last_seq": a.last_seq}
        for a in page
    ]  # fmt: skip
    more = len(rows) > args["limit"]
    return {"items": items, "next_cursor": encode_cursor(page[-1].id) if more else None}
