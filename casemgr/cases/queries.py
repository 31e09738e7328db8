"""Reads over cases: the scoped list, the loader that decides 404 vs 403, timelines, search."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import (
    ColumnElement,
    Select,
    Subquery,
    and_,
    exists,
    false,
    func,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy import case as sql_case
from sqlalchemy.orm import lazyload
from werkzeug.exceptions import Forbidden, NotFound

from casemgr import clock
from casemgr.audit import record
from casemgr.auth.models import User
from casemgr.auth.policy import CaseScope, case_scope
from casemgr.auth.roles import Scope
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
from casemgr.cases.workflow import Status
from casemgr.clock import utcnow
from casemgr.collation import vietnamese
from casemgr.db import not_indexed
from casemgr.extensions import db
from casemgr.org.models import Unit
from casemgr.rules.deadlines import overdue_case_ids


class Need(StrEnum):
    """What the caller is about to do with the case it loads."""

    READ = "read"
    WRITE = "write"


def _own_arms(user: User) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """The user owns the case; the user co-works it and does not own it (disjoint)."""
    coworked = select(CaseWorker.case_id).where(CaseWorker.user_id == user.id).correlate(None)
    return Case.owner_id == user.id, and_(Case.id.in_(coworked), Case.owner_id != user.id)


def _subtree_units(scope: CaseScope) -> Select:
    """Ids of the units whose cases the scope covers by unit (uncorrelated)."""
    return select(Unit.id).where(scope.units_condition(Unit.path)).correlate(None)


def scope_arms(user: User) -> list[ColumnElement[bool]]:
    """The user's visible cases (no break-glass) as disjoint conditions on `cases` alone, one
    per way of seeing a case: by unit (a supervisor's subtree), as owner, as co-worker.

    Their UNION ALL is the scope, with no case twice. Each arm can use an index of its own
    (`unit_id` or `owner_id` with the sort key, `case_workers.user_id`), which one OR of them
    cannot: PostgreSQL then scans every case. No arm at all: the user sees no case.
    """
    scope = case_scope(user)
    if scope.kind == Scope.ALL:
        return [true()]
    if scope.kind == Scope.NONE:
        return []
    owned, coworked = _own_arms(user)
    if scope.kind == Scope.OWN:
        return [owned, coworked]
    by_unit = Case.unit_id.in_(_subtree_units(scope))
    return [by_unit, and_(owned, ~by_unit), and_(coworked, ~by_unit)]


def arm_union(
    arms: list[ColumnElement[bool]],
    *columns: ColumnElement,
    where: Iterable[ColumnElement[bool]] = (),
) -> Select:
    """SELECT `columns` (Case.id by default) of each arm with the `where` conditions inside it,
    as one UNION ALL (uncorrelated: usable inside any query)."""
    columns = columns or (Case.id,)
    if not arms:
        return select(*columns).where(false())
    selects = [select(*columns).where(arm, *where).correlate(None) for arm in arms]
    return selects[0] if len(selects) == 1 else union_all(*selects)


def own_case_clause(user: User) -> ColumnElement[bool]:
    """SQL: the user owns or co-works the case (both looked up by their indexes)."""
    return Case.id.in_(arm_union(list(_own_arms(user))))


def _own_cases_outside(user: User, scope: CaseScope) -> list[int]:
    """Ids of the cases the user owns or co-works outside the scope's subtrees (usually none:
    read for each query, so the list never outlives a change)."""
    return list(
        db.session.scalars(
            select(Case.id)
            .join(Unit, Unit.id == Case.unit_id)
            .where(own_case_clause(user), ~scope.units_condition(Unit.path))
        )
    )


def visible_row(user: User) -> ColumnElement[bool]:
    """SQL on one case row joined with its unit: the user may see it (no break-glass); the
    same cases as visible_cases, checked row by row. For a query that finds its few rows by an
    index of its own (one person's cases, one number): visible_cases would first gather every
    case in scope (1,700 ids for a social worker at 10^5 cases) to test those few rows."""
    scope = case_scope(user)
    if scope.kind == Scope.ALL:
        return true()
    if scope.kind == Scope.NONE:
        return false()
    coworks = exists().where(CaseWorker.case_id == Case.id, CaseWorker.user_id == user.id)
    own = or_(Case.owner_id == user.id, coworks)
    return own if scope.kind == Scope.OWN else or_(scope.units_condition(Unit.path), own)


def visible_cases(user: User, *, own_only: bool = False, narrow: bool = False) -> Select:
    """Every case the user's roles let them see (no break-glass), as a select to refine;
    `own_only`: only those the user owns or co-works (every scope that sees cases holds them,
    so the scope's own condition is not needed beside them); `narrow`: the caller narrows the
    rows by an index of its own, and the scope is checked on each (visible_row)."""
    scope = case_scope(user)
    if narrow and not own_only:
        return select(Case).join(Unit, Unit.id == Case.unit_id).where(visible_row(user))
    if scope.kind == Scope.NONE:
        condition = false()
    elif own_only:
        condition = own_case_clause(user)
    elif scope.kind == Scope.SUBTREE:
        # A subtree may hold most cases (a province) or a few thousand (a commune): its
        # aggregates (dashboards, reports) should read a province's cases in one pass and a
        # commune's through the unit index. PostgreSQL chooses so from the units' path alone;
        # an OR with the user's own cases (a subquery) would make it read every case, so the
        # own cases outside the subtree, usually none, are looked up first. not_indexed keeps
        # SQLite, which has no such choice, on the one pass: with statistics (ANALYZE) it
        # would start from the few units and fetch every case through `cases (unit_id,
        # updated_at)`, 3-4 times slower at a province.
        condition = scope.units_condition(Unit.path)
        outside = _own_cases_outside(user, scope)
        if outside:
            condition = or_(condition, Case.id.in_(outside))
        return select(Case).join(Unit, Unit.id == not_indexed(Case.unit_id)).where(condition)
    else:  # everything, or the own caseload
        arms = scope_arms(user)
        condition = arms[0] if len(arms) == 1 else Case.id.in_(arm_union(arms))
    return select(Case).join(Unit, Unit.id == Case.unit_id).where(condition)


def has_visible_case(user: User, person_id: ColumnElement) -> ColumnElement[bool]:
    """SQL: the person has a case the user may see. A caseload's persons are few: one set of
    ids, built once; a subtree may hold most of the province: then each person asked about
    is looked up by their cases instead (a search's candidates)."""
    cases = visible_cases(user)
    if case_scope(user).kind == Scope.SUBTREE:
        return exists(cases.where(Case.person_id == person_id).with_only_columns(Case.id))
    return person_id.in_(cases.with_only_columns(Case.person_id))


@dataclass(frozen=True)
class OpenCases:
    """A person's cases not closed, as the user about to open another is told of them."""

    numbers: list[str]  # those the user may see, by number
    hidden: int  # of the group being opened, those the user may not see: counted, never named
    group_code: str | None = None  # the group `hidden` counts

    def __bool__(self) -> bool:
        return bool(self.numbers or self.hidden)


def open_cases_of(user: User, person_id: int, group_code: str | None = None) -> OpenCases:
    """The person's open cases, before the user opens another (of `group_code`, once chosen).

    Cases outside the user's scope are not named, not even by number; but one of the group the
    user is opening is counted: else a worker who cannot see a colleague's case would open a
    second file for the same person and group without knowing."""
    open_rows = visible_cases(user, narrow=True).where(
        Case.person_id == person_id, Case.status != Status.CLOSED
    )
    numbers = list(
        db.session.scalars(
            open_rows.with_only_columns(Case.number).order_by(Case.opened_at, Case.id)
        )
    )
    hidden = 0
    if group_code:
        hidden = db.session.scalar(
            select(func.count())
            .select_from(Case)
            .join(Unit, Unit.id == Case.unit_id)
            .where(
                Case.person_id == person_id,
                Case.group_code == group_code,
                Case.status != Status.CLOSED,
                ~visible_row(user),
            )
        )
    return OpenCases(numbers, hidden, group_code)


# Loader options for case rows shown without their sub-groups and co-workers.
WITHOUT_LISTS = (lazyload(Case.sub_groups), lazyload(Case.co_workers))


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


def _access_for(user: User, case: Case) -> CaseAccess:
    """The user's access to the case; their break-glass grant is looked up only when their
    scope does not reach the case (case_access ignores a grant on a case in scope)."""
    now = utcnow()
    access = case_access(user, case, None, now)
    if access.can_read:
        return access
    return case_access(user, case, live_grant(user, case.id, now), now)


def load_case(user: User, case_id: int, need: Need = Need.READ) -> tuple[Case, CaseAccess]:
    """Load a case for a user: 404 outside their scope, 403 when seen but not changeable.

    Every outcome is audited: a read, or a refusal with its reason.
    """
    # Its sub-groups and co-workers follow by primary key (selectin: two small statements).
    # Joined into one statement they cost SQLite 3.40 a scan of every case's sub-groups and
    # co-workers (it materialises the nested outer joins): 46 ms a page at 10^5 cases.
    case = db.session.get(Case, case_id)
    access = _access_for(user, case) if case else None
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


# Each sort: the columns the page's ids are read with, and the order over them (newest
# first, or by number); the case id breaks ties so that pages never overlap.
SORT_COLUMNS = {
    "updated": (Case.updated_at,),
    "opened": (Case.opened_at,),
    "number": (Case.number,),
    "risk": (Case.risk_level, Case.updated_at),
}
RISK_ORDER = {"high": 0, "medium": 1, "low": 2}


def _order(sort: str, ids: Subquery) -> list[ColumnElement]:
    if sort == "risk":
        rank = sql_case(RISK_ORDER, value=ids.c.risk_level, else_=3)
        return [rank, ids.c.updated_at.desc(), ids.c.id.desc()]
    if sort == "number":
        return [ids.c.number, ids.c.id.desc()]
    column = "opened_at" if sort == "opened" else "updated_at"
    return [ids.c[column].desc(), ids.c.id.desc()]


def filtered_caseload(
    user: User,
    *,
    status: str | None,
    group: str | None,
    risk: str | None,
    sort: str,
    overdue: bool = False,
) -> Select:
    """Ids of the user's visible cases with the caseload filters, in the chosen order (the
    read of the list is audited: it names cases).

    The filters go inside each arm of the scope (scope_arms), so that each arm reads narrow
    rows from its own index; the page's cases are loaded afterwards by their ids.
    """
    record("case.list", actor=user, object_type="case", reason="caseload")
    sort = sort if sort in SORT_COLUMNS else "updated"
    where = []
    if status:
        where.append(Case.status == status)
    if group:
        where.append(Case.group_code == group)
    if risk:
        where.append(Case.risk_level == risk)
    if overdue:
        # The stored deadlines and condition of the overdue page and the dashboard.
        late = overdue_case_ids(clock.utcnow())
        where += [Case.id.in_(late), Case.status != "closed"]
    ids = arm_union(scope_arms(user), Case.id, *SORT_COLUMNS[sort], where=where).subquery()
    return select(ids.c.id).order_by(*_order(sort, ids))


def case_ids(statement: Select) -> Select:
    """The ids of a select of cases, in its order: a list's page is read by them first."""
    return statement.with_only_columns(Case.id)


def cases_by_ids(ids: list[int], *, with_lists: bool = True) -> list[Case]:
    """The cases with these ids, in that order (a page of a list): one query, and one for each
    of the case's lists (sub-groups, co-workers) unless `with_lists` is false, for a list that
    shows neither (they would then load on first use)."""
    statement = select(Case).where(Case.id.in_(ids))
    if not with_lists:
        statement = statement.options(*WITHOUT_LISTS)
    found = {case.id: case for case in db.session.scalars(statement)}
    return [found[case_id] for case_id in ids if case_id in found]


def caseload_rows(ids: list[int]) -> list[Case]:
    """A caseload page's cases: number, person, group, status, risk, worker (no lists)."""
    return cases_by_ids(ids, with_lists=False)


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
            .where(
                User.is_enabled,
                User.id != case.owner_id,
                User.id.in_(
                    select(RoleAssignment.user_id).where(
                        RoleAssignment.unit_id == case.unit_id,
                        RoleAssignment.role == "social_worker",
                    )
                ),
            )
            .order_by(vietnamese(User.display_name), User.id)
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
