"""Verbs on cases: open, move through the workflow, record notes, assessments and plans."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

from casemgr.audit import record
from casemgr.audit.models import Outcome
from casemgr.auth.models import User
from casemgr.cases import closure, contact, gates  # noqa: F401 (contact: listeners store last contacts)
from casemgr.cases.closure import ClosureReason
from casemgr.cases.dates import case_start, check_case_date
from casemgr.cases.models import (
    Assessment,
    AssessmentKind,
    BreakGlassGrant,
    BreakGlassReason,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseNote,
    CaseNumberCounter,
    CaseTransitionLog,
    NoteKind,
    PlanAction,
    ProtectionLevel,
    RiskLevel,
)
from casemgr.cases.policy import CaseAccess, may_take, may_take_combined
from casemgr.cases.workflow import BY_NAME, COMBINED_BY_NAME, Status, last_step
from casemgr.clock import local_date, utcnow
from casemgr.db import lock_latest, next_yearly_number
from casemgr.extensions import db
from casemgr.groups.policy import closure_reasons
from casemgr.notifications.models import NotificationKind
from casemgr.notifications.services import notify, unit_supervisors
from casemgr.org.models import Unit
from casemgr.people.models import Person
from casemgr.reference.models import SubGroup

# The workflow decisions that the case owner is told about.
DECISION_NOTICES = {
    "approve_plan": NotificationKind.PLAN_APPROVED,
    "return_plan": NotificationKind.PLAN_RETURNED,
    "approve_closure": NotificationKind.CLOSURE_APPROVED,
    "decline_closure": NotificationKind.CLOSURE_DECLINED,
}

# The moves that must say why: one that sends a submission back (the worker must be told why),
# and the request to close a case (the law closes a case only when the person is no longer at
# risk: the supervisor reads why before deciding). A combined move ending in one of them too.
COMMENT_REQUIRED = frozenset({"return_plan", "decline_closure", "request_closure"})
COMMENT_REQUIRED_MOVES = COMMENT_REQUIRED | {
    c.name for c in COMBINED_BY_NAME.values() if last_step(c.name) in COMMENT_REQUIRED
}


# The move that asks for a coded closure reason (alone, or as a combined move's last step).
CLOSURE_REQUEST = "request_closure"


class CaseError(ValueError):
    """A case change that breaks a rule; the code (str) names which, for the view to translate."""


class StaleCase(CaseError):
    """The case changed since the user loaded it; `current` is the case as it is now."""

    def __init__(self, current: Case):
        super().__init__("stale")
        self.current = current


def next_case_number(unit: Unit, year: int) -> str:
    """The unit's next number for the year, e.g. C01-2026-0007 (safe under concurrent opens)."""
    last = next_yearly_number(CaseNumberCounter, unit.id, year)
    return f"{unit.code}-{year}-{last:04d}"


def _audit(
    action: str,
    actor: User,
    case: Case,
    access: CaseAccess | None = None,
    fields: Iterable[str] = (),
    object_type: str = "case",
    object_id: int | None = None,
    reason: str | None = None,
    outcome: Outcome = Outcome.ALLOWED,
) -> None:
    record(
        action,
        actor=actor,
        object_type=object_type,
        object_id=case.id if object_id is None else object_id,
        case_id=case.id,
        fields=fields,
        reason=reason,
        outcome=outcome,
        is_break_glass=bool(access and access.is_break_glass),
    )


MAX_REASON_TEXT = 5000  # as long as the longest reason a form takes (a transfer request)


def check_reason(reason: str | None) -> None:
    """Refuse a reason too long to keep, before anything is changed."""
    if reason and len(reason.strip()) > MAX_REASON_TEXT:
        raise CaseError("reason too long")


def check_closure_reason(case: Case, name: str, closure_reason: str | None) -> None:
    """A closure request names a reason that fits the case (casemgr.groups.policy), and "turned
    16" only for a child who may be 16 by now; any other move names none."""
    if last_step(name) != CLOSURE_REQUEST:
        if closure_reason is not None:
            raise CaseError(closure.REASON_NOT_ASKED)
        return
    if not closure_reason:
        raise CaseError(closure.REASON_REQUIRED)
    if closure_reason not in closure_reasons(case):
        raise CaseError(closure.REASON_NOT_FOR_CASE)
    if closure_reason == ClosureReason.AGED_OUT:
        person = case.person
        born = person.date_of_birth  # None unknown; not a str once the person is erased
        try:
            born_on = dt.date.fromisoformat(born) if isinstance(born, str) else None
        except ValueError:
            born_on = None
        if not closure.may_have_aged_out(
            born_on, person.birth_year, person.birth_year_is_estimated, local_date(utcnow())
        ):
            raise CaseError(closure.NOT_YET_AGED_OUT)


def record_event(
    actor: User,
    case: Case,
    kind: CaseEventKind,
    *,
    access: CaseAccess | None = None,
    code: str | None = None,
    reason: str | None = None,
    closure_reason: ClosureReason | None = None,
    from_user_id: int | None = None,
    to_user_id: int | None = None,
    from_unit_id: int | None = None,
    to_unit_id: int | None = None,
    at: dt.datetime | None = None,
) -> CaseEvent:
    """Append one entry to the case's history (sealed reason); the caller flushes and audits."""
    check_reason(reason)
    text = (reason or "").strip() or None
    entry = CaseEvent(
        case_id=case.id,
        person_id=case.person_id,
        kind=kind,
        actor_id=actor.id,
        occurred_at=at or utcnow(),
        code=code,
        closure_reason=closure_reason,
        from_user_id=from_user_id,
        to_user_id=to_user_id,
        from_unit_id=from_unit_id,
        to_unit_id=to_unit_id,
        is_break_glass=bool(access and access.is_break_glass),
    )
    if text:  # nothing to seal otherwise (and an erased person's key is never asked for)
        entry.reason = text
    db.session.add(entry)
    return entry


def open_case(
    actor: User,
    *,
    person: Person,
    group_code: str,
    sub_groups: list[SubGroup],
    protection_level: ProtectionLevel,
    risk_level: RiskLevel,
    unit: Unit,
    summary: str | None,
    opened_at: dt.datetime | None = None,
) -> Case:
    """Open a case at intake, owned by the actor, in a unit where the actor works.

    `opened_at` is the moment of intake when the case comes from an earlier intake report
    (its deadlines run from it); by default now."""
    if any(s.group_code != group_code for s in sub_groups):
        raise CaseError("sub-group of another group")
    if unit.id not in {a.unit_id for a in actor.roles}:
        raise CaseError("not your unit")
    now = utcnow()
    opened_at = opened_at or now
    case = Case(
        number=next_case_number(unit, local_date(now).year),
        person_id=person.id,
        group_code=group_code,
        sub_groups=list(sub_groups),
        protection_level=protection_level,
        risk_level=risk_level,
        unit_id=unit.id,
        owner_id=actor.id,
        status=Status.INTAKE,
        opened_at=opened_at,
        updated_at=now,
    )
    case.summary = summary
    db.session.add(case)
    db.session.flush()
    # Who opened the case, and where, is written once here and never rewritten.
    record_event(actor, case, CaseEventKind.OPENED, to_user_id=actor.id, to_unit_id=unit.id, at=now)
    db.session.flush()
    _audit("case.open", actor, case, fields=["summary"] if summary else [])
    return case


def check_version(case: Case, expected_version: int) -> None:
    """Refuse a change made on a stale copy of the case (optimistic locking); the case's row
    stays locked until the commit (casemgr.db.lock_latest)."""
    lock_latest(case)
    if case.version != expected_version:
        raise StaleCase(case)


def update_case(
    actor: User,
    case: Case,
    access: CaseAccess,
    *,
    expected_version: int,
    risk_level: RiskLevel,
    protection_level: ProtectionLevel,
    sub_groups: list[SubGroup],
    summary: str | None,
    reason: str | None = None,
) -> list[str]:
    """Correct the case's classification and summary; return the names of changed fields.

    A correction is a case event naming the changed fields (never their values) and the
    optional sealed reason."""
    if not access.can_write:
        raise CaseError("read only")
    check_version(case, expected_version)
    check_reason(reason)
    if any(s.group_code != case.group_code for s in sub_groups):
        raise CaseError("sub-group of another group")
    changed = []
    if case.risk_level != risk_level:
        case.risk_level, changed = risk_level, [*changed, "risk_level"]
    if case.protection_level != protection_level:
        case.protection_level, changed = protection_level, [*changed, "protection_level"]
    if {s.id for s in case.sub_groups} != {s.id for s in sub_groups}:
        case.sub_groups, changed = list(sub_groups), [*changed, "sub_groups"]
    if (case.summary or "") != (summary or ""):
        case.summary, changed = summary, [*changed, "summary"]
    if changed:
        case.updated_at = utcnow()
        record_event(
            actor, case, CaseEventKind.CORRECTED, access=access, code=",".join(changed),
            reason=reason, at=case.updated_at,
        )  # fmt: skip
        db.session.flush()
        _audit("case.update", actor, case, access, fields=changed)
    return changed


def take_transition(
    actor: User,
    case: Case,
    access: CaseAccess,
    name: str,
    *,
    expected_version: int,
    reason: str | None = None,
    closure_reason: str | None = None,
) -> Status:
    """Move the case along the named transition if the workflow, policy and gates allow it (a
    plan needs its detailed assessment: casemgr/cases/gates.py); the move is a case event with
    the sealed comment (required when returning or declining, see COMMENT_REQUIRED; optional
    otherwise). A closure request names its coded reason (check_closure_reason), kept on the
    case until the request is declined or the case reopened, and in the event for good."""
    transition = BY_NAME.get(name)
    if transition is None or not may_take(actor, case, access, transition):
        _audit("case.transition", actor, case, access, reason=name, outcome=Outcome.DENIED)
        raise CaseError("transition not allowed")
    check_version(case, expected_version)
    check_reason(reason)
    if name in COMMENT_REQUIRED and not (reason or "").strip():
        raise CaseError("comment required")
    check_closure_reason(case, name, closure_reason)
    gate = gates.missing_for(case, name)
    if gate:
        raise CaseError(gate)
    coded = ClosureReason(closure_reason) if closure_reason else None
    source = case.status
    case.status = transition.target
    case.updated_at = utcnow()
    if transition.submits:
        case.submitted_by_id = actor.id
    elif transition.approval:
        case.submitted_by_id = None
    if transition.name == "new_plan_cycle":
        case.plan_cycle += 1
    if transition.target == Status.CLOSED:
        case.closed_at = case.updated_at
    elif source == Status.CLOSED:
        case.closed_at = None
    if coded is not None:
        case.closure_reason = coded
    elif transition.target not in (Status.CLOSURE_REQUESTED, Status.CLOSED):
        case.closure_reason = None  # declined, or reopened: no closure stands
    db.session.add(
        CaseTransitionLog(
            case_id=case.id,
            transition=name,
            from_status=source,
            to_status=transition.target,
            actor_id=actor.id,
            is_break_glass=access.is_break_glass,
            occurred_at=case.updated_at,
        )
    )
    record_event(
        actor, case, CaseEventKind.TRANSITION, access=access, code=name, reason=reason,
        closure_reason=coded, at=case.updated_at,
    )  # fmt: skip
    if name in DECISION_NOTICES:
        notify([case.owner_id], DECISION_NOTICES[name], case, actor=actor)
    db.session.flush()
    fields = ["closure_reason"] if coded is not None else []  # the field's name, never its code
    _audit("case.transition", actor, case, access, fields=fields, reason=name)
    return case.status


def take_move(
    actor: User,
    case: Case,
    access: CaseAccess,
    name: str,
    *,
    expected_version: int,
    reason: str | None = None,
    closure_reason: str | None = None,
) -> Status:
    """Take a transition, or a combined move (workflow.COMBINED): its transitions in order,
    each through take_transition, so each is checked, recorded and audited as if taken alone.

    Everything is checked before the first move, so a refused combined move changes nothing;
    the comment and the closure reason, if any, go with the last move."""
    combined = COMBINED_BY_NAME.get(name)
    if combined is None:
        return take_transition(
            actor, case, access, name, expected_version=expected_version, reason=reason,
            closure_reason=closure_reason,
        )  # fmt: skip
    if not may_take_combined(actor, case, access, combined):
        _audit("case.transition", actor, case, access, reason=name, outcome=Outcome.DENIED)
        raise CaseError("transition not allowed")
    check_version(case, expected_version)
    check_reason(reason)
    if name in COMMENT_REQUIRED_MOVES and not (reason or "").strip():
        raise CaseError("comment required")
    check_closure_reason(case, name, closure_reason)
    for step in combined.steps:
        gate = gates.missing_for(case, step)
        if gate:
            raise CaseError(gate)
    last = combined.steps[-1]
    for step in combined.steps:
        take_transition(
            actor, case, access, step, expected_version=case.version,
            reason=reason if step == last else None,
            closure_reason=closure_reason if step == last else None,
        )  # fmt: skip
    return case.status


def add_note(
    actor: User, case: Case, access: CaseAccess, *, kind: NoteKind, occurred_on: dt.date, body: str
) -> CaseNote:
    """Record a contact or visit note (dated within the case: cases.dates)."""
    if not access.can_write:
        raise CaseError("read only")
    check_case_date(case, occurred_on, "occurred_on")
    note = CaseNote(
        case_id=case.id,
        person_id=case.person_id,
        kind=kind,
        occurred_on=occurred_on,
        author_id=actor.id,
        is_break_glass=access.is_break_glass,
    )
    note.body = body
    db.session.add(note)
    db.session.flush()
    _audit(
        "case.note_add",
        actor,
        case,
        access,
        fields=["body"],
        object_type="case_note",
        object_id=note.id,
    )
    return note


def record_assessment(
    actor: User,
    case: Case,
    access: CaseAccess,
    *,
    kind: AssessmentKind,
    risk_rating: RiskLevel | None,
    answers: dict[str, str],
) -> Assessment:
    """Record an assessment; its risk rating, if it gives one, becomes the case's risk level."""
    if not access.can_write:
        raise CaseError("read only")
    assessment = Assessment(
        case_id=case.id,
        person_id=case.person_id,
        kind=kind,
        risk_rating=risk_rating or RiskLevel.UNKNOWN,
        author_id=actor.id,
    )
    assessment.answers_json = json.dumps(answers, ensure_ascii=False, sort_keys=True)
    db.session.add(assessment)
    if risk_rating not in (None, RiskLevel.UNKNOWN):  # no rating leaves the case's risk alone
        case.risk_level = risk_rating
    case.updated_at = utcnow()
    db.session.flush()
    _audit(
        "case.assessment_add",
        actor,
        case,
        access,
        fields=sorted(answers),
        object_type="assessment",
        object_id=assessment.id,
    )
    return assessment


DUE_BEFORE_OPENING = "due before the case was opened"


def add_plan_action(
    actor: User,
    case: Case,
    access: CaseAccess,
    *,
    goal: str,
    action: str,
    responsible: str,
    due_on: dt.date | None,
) -> PlanAction:
    """Add a goal and action to the plan of the current cycle (only while it is being drafted)."""
    if not access.can_write:
        raise CaseError("read only")
    if case.status not in (Status.DETAILED_ASSESSMENT, Status.INITIAL_ASSESSMENT):
        raise CaseError("plan locked")
    if due_on is not None and due_on < case_start(case).day:
        raise CaseError(DUE_BEFORE_OPENING)
    item = PlanAction(
        case_id=case.id,
        person_id=case.person_id,
        plan_cycle=case.plan_cycle,
        due_on=due_on,
        author_id=actor.id,
    )
    item.goal, item.action, item.responsible = goal, action, responsible
    db.session.add(item)
    db.session.flush()
    _audit(
        "case.plan_action_add",
        actor,
        case,
        access,
        fields=["goal", "action", "responsible"],
        object_type="plan_action",
        object_id=item.id,
    )
    return item


def mark_action_done(
    actor: User, case: Case, access: CaseAccess, item: PlanAction, done_on: dt.date
) -> None:
    """Mark a plan action as done."""
    if not access.can_write or item.case_id != case.id:
        raise CaseError("read only")
    if not item.is_current:  # voided or superseded: the current version is the one to mark
        raise CaseError("not current")
    item.done_on = done_on
    _audit(
        "case.plan_action_done",
        actor,
        case,
        access,
        object_type="plan_action",
        object_id=item.id,
        fields=["done_on"],
    )


def break_glass(
    actor: User, case: Case, *, reason_type: str, reason: str, minutes: int
) -> BreakGlassGrant:
    """Open a case outside the actor's scope for a limited time; the reason is sealed, the
    event flagged, and the owner's supervisor and the auditors are alerted from the trail."""
    from casemgr.auth.roles import Action
    from casemgr.web.access import user_may

    if not user_may(actor, Action.BREAK_GLASS):
        raise CaseError("not allowed")
    if len(reason.split()) < 5:
        raise CaseError("reason too short")
    now = utcnow()
    grant = BreakGlassGrant(
        case_id=case.id,
        person_id=case.person_id,
        user_id=actor.id,
        reason_type=BreakGlassReason(reason_type),
        started_at=now,
        expires_at=now + dt.timedelta(minutes=minutes),
    )
    grant.reason = reason
    db.session.add(grant)
    # The owner and the unit's supervisors learn that someone opened the case (never who, why).
    notify(
        [case.owner_id, *unit_supervisors(case.unit_id)],
        NotificationKind.BREAK_GLASS,
        case,
        actor=actor,
    )
    db.session.flush()
    record(
        "case.break_glass",
        actor=actor,
        object_type="break_glass_grant",
        object_id=grant.id,
        case_id=case.id,
        reason=str(grant.reason_type),
        is_break_glass=True,
    )
    return grant


def set_co_worker(
    actor: User,
    case: Case,
    access: CaseAccess,
    worker: User,
    *,
    on: bool,
    reason: str | None = None,
) -> None:
    """Add or remove a co-worker: a social worker of the case's unit who shares the case."""
    if not access.can_write or access.is_break_glass:
        raise CaseError("read only")
    if on and not any(
        a.unit_id == case.unit_id and a.role == "social_worker" for a in worker.roles
    ):
        raise CaseError("not a worker of the unit")
    if worker.id == case.owner_id:
        raise CaseError("already the owner")
    check_reason(reason)
    current = {u.id for u in case.co_workers}
    if on and worker.id not in current:
        case.co_workers.append(worker)
    elif not on and worker.id in current:
        case.co_workers.remove(worker)
    else:
        return
    record_event(
        actor,
        case,
        CaseEventKind.CO_WORKER_ADDED if on else CaseEventKind.CO_WORKER_REMOVED,
        access=access,
        reason=reason,
        to_user_id=worker.id if on else None,
        from_user_id=None if on else worker.id,
    )
    db.session.flush()
    _audit(
        "case.co_worker_add" if on else "case.co_worker_remove",
        actor,
        case,
        access,
        fields=["co_workers"],
        reason=f"user:{worker.id}",
    )
