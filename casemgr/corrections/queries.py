"""Loading a correctable record for a user: through the case or the person it belongs to,
with their loaders' scope checks and audit (404 outside the scope, 403 when read-only)."""

from __future__ import annotations

from werkzeug.exceptions import Forbidden, NotFound

from casemgr.audit import record as audit
from casemgr.auth.models import User
from casemgr.cases.policy import CaseAccess
from casemgr.cases.queries import Need, load_case
from casemgr.corrections.columns import Correctable
from casemgr.corrections.registry import KINDS, Kind
from casemgr.corrections.services import may_correct
from casemgr.extensions import db
from casemgr.people.access import load_person


def load_record(
    user: User, kind_name: str, record_id: int, need: Need = Need.READ
) -> tuple[Kind, Correctable, CaseAccess | None]:
    """The record and the case access it is reached through (None for a person's record)."""
    kind = KINDS.get(kind_name)
    item = db.session.get(kind.model, record_id) if kind else None
    if item is None:
        audit("record.view", actor=user, object_type="record", object_id=record_id,
              outcome="denied", reason="no such record")  # fmt: skip
        raise NotFound()
    if kind.on_case:
        _case, access = load_case(user, item.case_id, need)
        return kind, item, access
    load_person(user, item.person_id)
    if need == Need.WRITE and not may_correct(user, None):
        audit("record.view", actor=user, object_type=kind.name, object_id=item.id,
              outcome="denied", reason="read only")  # fmt: skip
        raise Forbidden()
    return kind, item, None
