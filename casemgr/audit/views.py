"""The auditor's workspace: search audit events; no case content is ever shown here."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from casemgr.audit.models import AuditEvent
from casemgr.auth.roles import Action
from casemgr.web.access import requires
from casemgr.web.pagination import paginate

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.route("/events")
@requires(Action.VIEW_AUDIT)
def events():
    statement = select(AuditEvent).order_by(AuditEvent.seq.desc())
    return render_template("audit/events.html", page=paginate(statement))
