"""Reads over cases: the scoped list, the loader that decides 404 vs 403, timelines, search."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Select, or_, select
from werkzeug.exceptions import Forbidden, NotFound

from casemgr import clock
from casemgr.audit import record
from casemgr.auth.models import User
from casemgr.auth.policy import case_scope
from casemgr.cases.models import (
    Assessment,
    BreakGlassGrant,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseNote,
    CaseWorker,
    PlanAction,
)
from casemgr.cases.policy import CaseAccess, case_access
from casemgr.clock import utcnow
from casemgr.extensions import db
from casemgr.org.models import Unit
from casemgr.rules.deadlines import overdue_case_ids


class Need(StrEnum):
    """What the caller is about to do with the case it loads."""

    READ = "read"
    WRITE = "write"


def own_case_clause(user: User):
    """SQL: the user owns or co-works the case."""
    return or_(
        Case.owner_id == user.id,
        Case.id.in_(select(CaseWorker.case_id).where(CaseWorker.user_id == user.id)),
    )


def visible_cases(user: User) -> Select:
    """Every case the user's roles let them see (no break-glass), as a select to refine."""
    scope = case_scope(user)
    return (
        select(Case)
        .join(Unit, Unit.id == Case.unit_id)
        .where(scope.condition(Unit.path, own_case_clause(user)))
    )


def live_grant(user: User, case_id: int, now: dt.datetime | None = None) -> BreakGlassGrant | None:
    """The user's break-glass grant on the case that is in force now, if any."""
    now = now or utcnow()
    return db.session.scalar(
        select(BreakGlassGrant)
        .where(
            BreakGlassGrant.user_id == user.id,
            BreakGlassGrant.case_id == case_id,
            BreakGlassGrant.started_at <= now,
            BreakGlassGrant.expires_at > now,
        )
        .order_by(BreakGlassGrant.expires_at.desc())
        .limit(1)
    )


def load_case(user: User, case_id: int, need: Need = Need.READ) -> tuple[Case, CaseAccess]:
    """Load a case for a user: 404 outside their scope, 403 when seen but not changeable.

    Every outcome is audited: a read, or a refusal with its reason.
    """
    case = db.session.get(Case, case_id)
    access = case_access(user, case, live_grant(user, case_id), utcnow()) if case else None
    if case is None or not access.can_read:
        record(
            "case.view",
            actor=user,
            object_type="case",
            object_id=case_id,
            case_id=case.id if case else None,
            outcome="denied",
            reason="out of scope",
        )
        raise NotFound()
    if need == Need.WRITE and not access.can_write:
        record(
            "case.view",
            actor=user,
            object_type="case",
            object_id=case.id,
            case_id=case.id,
            outcome="denied",
            reason="read only",
            is_break_glass=access.is_break_glass,
        )
        raise Forbidden()
    record(
        "case.view",
        actor=user,
        object_type="case",
        object_id=case.id,
        case_id=case.id,
        is_break_glass=access.is_break_glass,
    )
    return case, access


def find_case_for_break_glass(user: User, case_number: str) -> Case | None:
    """A case by its exact number (break-glass starts from a number the user was given).

    Looking a number up tells whether it exists, so every look-up is audited.
    """
    case = db.session.scalar(select(Case).where(Case.number == case_number.strip().upper()))
    if case is None:
        record(
            "case.break_glass",
            actor=user,
            object_type="case",
            outcome="denied",
            reason="unknown number",
            is_break_glass=True,
        )
    return case


def live_grants(user: User) -> list[BreakGlassGrant]:
    """The user's break-glass grants in force now, soonest to expire first."""
    now = utcnow()
    return list(
        db.session.scalars(
            select(BreakGlassGrant)
            .where(BreakGlassGrant.user_id == user.id, BreakGlassGrant.expires_at > now)
            .order_by(BreakGlassGrant.expires_at)
        )
    )


SORTS = {
    "updated": Case.updated_at.desc(),
    "opened": Case.opened_at.desc(),
    "number": Case.number,
}


def filtered_caseload(
    user: User,
    *,
    status: str | None,
    group: str | None,
    risk: str | None,
    sort: str,
    overdue: bool = False,
) -> Select:
    """The user's visible cases with the caseload filters and sort applied (the read of the
    list is audited: it names cases)."""
    record("case.list", actor=user, object_type="case", reason="caseload")
    from sqlalchemy import case as sql_case

    statement = visible_cases(user)
    if status:
        statement = statement.where(Case.status == status)
    if group:
        statement = statement.where(Case.group_code == group)
    if risk:
        statement = statement.where(Case.risk_level == risk)
    if overdue:
        # The stored deadlines and condition of the overdue page and the dashboard.
        late = overdue_case_ids(clock.utcnow())
        statement = statement.where(Case.id.in_(late), Case.status != "closed")
    if sort == "risk":
        order = sql_case({"high": 0, "medium": 1, "low": 2}, value=Case.risk_level, else_=3)
        return statement.order_by(order, Case.updated_at.desc())
    return statement.order_by(SORTS.get(sort, SORTS["updated"]), Case.id.desc())


@dataclass(frozen=True)
class TimelineEntry:
    """One dated thing that happened on a case."""

    at: dt.datetime
    kind: str
    item: object


def timeline(case: Case) -> list[TimelineEntry]:
    """Notes, assessments, plan actions and the case's history (opening, owners, co-workers,
    transfers, workflow moves, corrections), newest first (4 queries).

    History entries have the event's kind as their kind ("opened", "reassigned", ...) and the
    CaseEvent as their item; "opened" comes from the event written at opening, never from the
    case's current owner or unit.
    """
    entries = [
        TimelineEntry(n.created_at, "note", n)
        for n in db.session.scalars(
            select(CaseNote).where(CaseNote.case_id == case.id, CaseNote.not_superseded())
        )
    ]
    entries += [
        TimelineEntry(a.created_at, "assessment", a)
        for a in db.session.scalars(select(Assessment).where(Assessment.case_id == case.id))
    ]
    entries += [
        TimelineEntry(p.created_at, "plan_action", p)
        for p in db.session.scalars(
            select(PlanAction).where(PlanAction.case_id == case.id, PlanAction.not_superseded())
        )
    ]
    entries += [
        TimelineEntry(e.occurred_at, str(e.kind), e)
        for e in db.session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        )
    ]
    # Entries of the same moment: the one written last comes first, as with the others.
    order = {id(entry): index for index, entry in enumerate(entries)}
    return sorted(entries, key=lambda e: (e.at, order[id(e)]), reverse=True)


def history(case: Case) -> list[CaseEvent]:
    """The case's history events, oldest first (the order they were appended)."""
    return list(
        db.session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == case.id)
            .order_by(CaseEvent.occurred_at, CaseEvent.id)
        )
    )


def opened_by(case: Case) -> CaseEvent | None:
    """The event written when the case was opened: who opened it, in which unit."""
    return db.session.scalar(
        select(CaseEvent).where(
            CaseEvent.case_id == case.id, CaseEvent.kind == CaseEventKind.OPENED
        )
    )


def preload_data_keys(cases: list[Case]) -> None:
    """Unwrap the data keys of the cases' persons in one query (a list shows their names)."""
    from casemgr.crypto import envelope

    envelope.preload(db.session, sorted({case.person_id for case in cases}))


def unit_workers(case: Case) -> list[User]:
    """Social workers of the case's unit who could share it (not the owner)."""
    from casemgr.auth.models import RoleAssignment

    return list(
        db.session.scalars(
            select(User)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(
                RoleAssignment.unit_id == case.unit_id,
                RoleAssignment.role == "social_worker",
                User.is_enabled,
                User.id != case.owner_id,
            )
            .order_by(User.display_name)
            .distinct()
        )
    )


def plan_actions(case: Case, entries: list[TimelineEntry]) -> list[PlanAction]:
    """The actions of the case's current plan cycle, by due date, taken from the timeline
    already read (the timeline holds every plan action: no second query)."""
    current = [
        e.item
        for e in entries
        if e.kind == "plan_action" and e.item.plan_cycle == case.plan_cycle and e.item.is_current
    ]
    return sorted(current, key=lambda a: (a.due_on is None, a.due_on or dt.date.min, a.id))
