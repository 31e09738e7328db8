"""API: the caller's tasks (open deadlines), as on "My tasks" and "Overdue"."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from casemgr.api.access import token_access
from casemgr.api.blueprint import bp
from casemgr.api.common import documented
from casemgr.api.schemas import TaskArgs, TaskListSchema
from casemgr.auth.roles import Action
from casemgr.clock import utcnow
from casemgr.rules.tasks import listed_tasks
from casemgr.tokens.models import TokenScope


@bp.route("/tasks", methods=["GET"])
@token_access(TokenScope.READ, Action.VIEW_CASES)
@bp.arguments(TaskArgs, location="query")
@bp.response(
    200,
    TaskListSchema,
    example={
        "items": [
            {
                "case_id": 7,
                "case_number": "C01-2026-0007",
                "kind": "child.emergency_action",
                "label": "Hành động khẩn cấp",
                "due_at": "2026-12-01T15:00:00+00:00",
                "overdue": False,
            }
        ]
    },
)
@documented(422)
def list_tasks(args: dict[str, Any]):
    """Open deadlines of your own caseload, soonest first; `overdue=true`: late ones in scope."""
    now = utcnow()
    found = listed_tasks(current_user, overdue=args["overdue"], now=now)
    return {
        "items": [
            {"case_id": t.case_id, "case_number": t.case_number, "kind": t.kind,
             "label": str(t.label), "due_at": t.due_at, "overdue": t.is_overdue(now)}
            for t in found
        ]
    }  # fmt: skip
