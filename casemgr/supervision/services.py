"""Reassignment of cases to another social worker of their unit, by a supervisor."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from casemgr.audit import record
from casemgr.auth.models import RoleAssignment, User
from casemgr.auth.policy import case_scope
from casemgr.auth.roles import Action, Role
from casemgr.cases.models import Case, CaseEventKind, CaseWorker
from casemgr.cases.services import record_event
from casemgr.cases.workflow import Status
from casemgr.clock import utcnow
from casemgr.extensions import db
from casemgr.notifications.models import NotificationKind
from casemgr.notifications.services import notify
from casemgr.supervision.models import CaseReassignment, ReassignReason
from casemgr.web.access import user_may

MAX_REASON_TEXT = 2000
# Cases moved by one reassignment: far more than a caseload, few enough for one IN (...) query.
MAX_CHOSEN = 1000


class ReassignError(ValueError):
    """A reassignment refused as a whole; the code (str) names why, `case_ids` which cases."""

    def __init__(self, code: str, case_ids: tuple[int, ...] = (), numbers: tuple[str, ...] = ()):
        super().__init__(code)
        self.case_ids = case_ids
        self.numbers = numbers  # only of cases the actor may see


@dataclass(frozen=True)
class Choice:
    """A case the supervisor ticked, with the version their page showed."""

    case_id: int
    version: int


def _refuse(actor: User, code: str, cases: tuple = ()) -> ReassignError:
    # The refusal is kept (the view commits it) although nothing changes: ids and a code only.
    case_ids = tuple(c if isinstance(c, int) else c.id for c in cases)
    for case_id in case_ids or (None,):
        record(
            "case.reassign",
            actor=actor,
            object_type="case",
            object_id=case_id,
            case_id=case_id,
            outcome="denied",
            reason=code,
        )
    numbers = tuple(c.number for c in cases if isinstance(c, Case))
    return ReassignError(code, case_ids, numbers)


def reassign_cases(
    actor: User,
    choices: list[Choice],
    new_owner_id: int | None,
    *,
    reason: ReassignReason,
    reason_text: str | None = None,
) -> list[Case]:
    """Give every chosen case to the user `new_owner_id`, or none of them.

    Each case must be open, in a unit the actor supervises, unchanged since the actor's page
    showed it, and `new_owner` an enabled social worker of that case's unit. The reason code
    goes to the audit event; any words of explanation are sealed under the person's key.
    """
    if not user_may(actor, Action.REASSIGN_CASES):
        raise _refuse(actor, "not allowed")
    text = (reason_text or "").strip() or None
    if reason == ReassignReason.OTHER and not text:
        raise _refuse(actor, "explain other")
    if text and len(text) > MAX_REASON_TEXT:
        raise _refuse(actor, "reason too long")
    if not choices:
        raise _refuse(actor, "nothing chosen")
    if len(choices) > MAX_CHOSEN:
        raise _refuse(actor, "too many")
    new_owner = db.session.get(User, new_owner_id) if new_owner_id else None
    if new_owner is None or not new_owner.is_enabled:
        raise _refuse(actor, "unknown owner")

    wanted = {choice.case_id: choice.version for choice in choices}
    cases = list(db.session.scalars(select(Case).where(Case.id.in_(wanted))))
    scope = case_scope(actor)
    mine = {c.id for c in cases if scope.covers_unit_path(c.unit.path)}
    outside = tuple(sorted(set(wanted) - mine))
    if outside:  # unknown, or not the actor's to reassign: the same answer (no existence leak)
        raise _refuse(actor, "out of scope", outside)
    cases.sort(key=lambda c: c.id)
    closed = tuple(c for c in cases if c.status == Status.CLOSED)
    if closed:
        raise _refuse(actor, "closed", closed)
    stale = tuple(c for c in cases if c.version != wanted[c.id])
    if stale:
        raise _refuse(actor, "stale", stale)
    owner_units = set(
        db.session.scalars(
            select(RoleAssignment.unit_id).where(
                RoleAssignment.user_id == new_owner.id,
                RoleAssignment.role == Role.SOCIAL_WORKER,
            )
        )
    )
    foreign = tuple(c for c in cases if c.unit_id not in owner_units)
    if foreign:
        raise _refuse(actor, "owner not in unit", foreign)
    same = tuple(c for c in cases if c.owner_id == new_owner.id)
    if same:
        raise _refuse(actor, "same owner", same)

    now = utcnow()
    moved = cases
    for case in moved:
        entry = CaseReassignment(
            case_id=case.id,
            person_id=case.person_id,
            from_owner_id=case.owner_id,
            to_owner_id=new_owner.id,
            actor_id=actor.id,
            reason_code=reason,
            reassigned_at=now,
        )
        if text:  # nothing to seal otherwise (and an erased person's key is never asked for)
            entry.reason_text = text
        db.session.add(entry)
        # The case's history: who moved it, from whom, to whom, why (the words sealed).
        record_event(
            actor, case, CaseEventKind.REASSIGNED, code=str(reason), reason=text,
            from_user_id=case.owner_id, to_user_id=new_owner.id, at=now,
        )  # fmt: skip
        case.owner_id = new_owner.id
        case.updated_at = now
        notify([new_owner], NotificationKind.CASE_REASSIGNED, case, actor=actor)
    # An owner is never also a co-worker of the same case.
    db.session.execute(
        CaseWorker.__table__.delete().where(
            CaseWorker.case_id.in_(wanted), CaseWorker.user_id == new_owner.id
        )
    )
    # The UPDATE carries each case's version: a save made meanwhile fails the whole flush.
    db.session.flush()
    for case in moved:
        record(
            "case.reassign",
            actor=actor,
            object_type="case",
            object_id=case.id,
            case_id=case.id,
            reason=str(reason),
            fields=["owner_id"],
        )
    return moved
