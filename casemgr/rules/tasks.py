"""Deadlines of cases as tasks: the child-protection clocks and plan actions (two sources of
the stored deadlines, casemgr/rules/deadlines.py), and the reads of "My tasks", the overdue
list and a case's deadlines, all from the stored `deadlines` rows.

Every list is built from the ids of the cases in scope (`visible_cases(user)`, narrowed to the
user's own caseload for "My tasks"), so a list can never show what the case page would refuse;
"open" and "overdue" are the SQL conditions of casemgr.rules.deadlines, shared by every view.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from casemgr.audit import record
from casemgr.auth.models import User
from casemgr.cases.models import Case, CaseTransitionLog, PlanAction, RiskLevel
from casemgr.cases.queries import visible_cases
from casemgr.cases.workflow import Status
from casemgr.clock import utcnow
from casemgr.extensions import db
from casemgr.org.models import Unit
from casemgr.rules.deadlines import (
    Due,
    deadline_sources,
    due_by_end_of,
    due_today_clause,
    kind_labels,
    open_clause,
    overdue_clause,
    register_deadline_source,
    sync,
)
from casemgr.rules.models import Deadline, EmergencyAction
from casemgr.rules.services import NoRuleInForce, deadline

__all__ = ["Task", "deadline_sources", "register_deadline_source"]

log = logging.getLogger(__name__)

PLAN_ACTION = "case.plan_action"  # the deadline kind of a dated action of a case plan


@dataclass(frozen=True)
class Task:
    """One open deadline of one case. `label` says what is due (a lazy string is fine);
    `kind` is a stable code such as "child.emergency_action"."""

    case_id: int
    case_number: str
    kind: str
    due_at: dt.datetime
    label: object
    lapses: bool = False

    def is_overdue(self, now: dt.datetime) -> bool:
        """Whether the deadline has passed at `now` (the same test as overdue_clause)."""
        return not self.lapses and self.due_at < now


def open_case_ids(user: User, *, mine: bool = False) -> Select:
    """Ids of the open cases the user may see (their own caseload only when `mine`)."""
    statement = visible_cases(user, own_only=mine).where(Case.status != Status.CLOSED)
    return statement.with_only_columns(Case.id)


def tasks_query(
    user: User,
    *,
    mine: bool = False,
    overdue_only: bool = False,
    due_today: bool = False,
    owner_id: int | None = None,
    now: dt.datetime,
) -> Select:
    """The stored open (overdue, or due by tonight) deadlines of the user's open cases (of one
    worker's caseload, given `owner_id`), soonest first."""
    sync()
    if overdue_only:
        condition = overdue_clause(now)
    elif due_today:
        condition = due_today_clause(now)
    else:
        condition = open_clause(now)
    statement = (
        select(
            Deadline.case_id,
            Case.number,
            Deadline.kind,
            Deadline.due_at,
            Deadline.lapses,
            Deadline.object_id,
        )
        .join(Case, Case.id == Deadline.case_id)
        .where(Deadline.case_id.in_(open_case_ids(user, mine=mine)), condition)
        .order_by(Deadline.due_at, Case.number, Deadline.kind, Deadline.object_id)
    )
    return statement if owner_id is None else statement.where(Case.owner_id == owner_id)


def plan_action_places(action_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Each plan action's number in its plan and the number of actions in the plan, counted as
    the case page's plan table lists them (the current actions of the cycle by due date, then
    as written); one query, for the actions of a page of tasks only.

    What a late action is stays in its encrypted text, read on the case page; a list names it
    by this place and its due date, so it needs no decryption (and no read of each case).
    """
    if not action_ids:
        return {}
    action = aliased(PlanAction)
    same_plan = (
        select(func.count(PlanAction.id))
        .where(
            PlanAction.case_id == action.case_id,
            PlanAction.plan_cycle == action.plan_cycle,
            PlanAction.current(),
        )
        .correlate(action)
    )
    before = same_plan.where(
        PlanAction.due_on.is_not(None),
        or_(
            PlanAction.due_on < action.due_on,
            and_(PlanAction.due_on == action.due_on, PlanAction.id <= action.id),
        ),
    )
    rows = db.session.execute(
        select(action.id, before.scalar_subquery(), same_plan.scalar_subquery()).where(
            action.id.in_(action_ids)
        )
    )
    return {action_id: (place, of) for action_id, place, of in rows}


def task_label(kind: str, labels: dict[str, object], place: int | None, of: int | None) -> object:
    """What a task says is due: its kind's label; for a plan action, which one of the plan."""
    if kind == PLAN_ACTION and place and of:
        return _l("Plan action %(number)d of %(total)d", number=place, total=of)
    return labels.get(kind, kind)


def owner_name(user: User, owner_id: int) -> str | None:
    """The name of a worker who owns an open case the user may see (None for anyone else: a
    name is not told for an id the user could only have guessed)."""
    owns = open_case_ids(user).where(Case.owner_id == owner_id).limit(1)
    return db.session.scalar(select(User.display_name).where(User.id == owner_id, exists(owns)))


def as_tasks(rows: Iterable) -> list[Task]:
    """Rows of tasks_query as Task values, with their labels (the plan actions' places read
    for these rows only)."""
    rows = list(rows)
    labels = kind_labels()
    places = plan_action_places([row[5] for row in rows if row[2] == PLAN_ACTION])
    return [
        Task(
            case_id,
            number,
            kind,
            due_at,
            task_label(kind, labels, *places.get(oid, (0, 0))),
            lapses,
        )
        for case_id, number, kind, due_at, lapses, oid in rows
    ]


def open_tasks(
    user: User,
    *,
    mine: bool = False,
    overdue_only: bool = False,
    due_today: bool = False,
    now: dt.datetime | None = None,
) -> list[Task]:
    """Every open deadline of the user's cases (or own caseload), soonest first (one query)."""
    statement = tasks_query(
        user, mine=mine, overdue_only=overdue_only, due_today=due_today, now=now or utcnow()
    )
    return as_tasks(db.session.execute(statement))


def audit_task_list(user: User, *, overdue: bool, owner_id: int | None = None) -> None:
    """Record the read of "My tasks" or "Overdue" (of one worker's caseload, given `owner_id`):
    the list names cases, so looking at it is an audit event like opening one."""
    record(
        "case.list",
        actor=user,
        # One worker's list is about that worker's caseload: the event names the worker.
        object_type="case" if owner_id is None else "user",
        object_id=owner_id,
        reason="overdue tasks" if overdue else "my tasks",
    )


def listed_tasks(user: User, *, overdue: bool, now: dt.datetime | None = None) -> list[Task]:
    """The tasks of the "My tasks" (own caseload) or "Overdue" (whole scope) page, with the read
    recorded."""
    found = open_tasks(user, mine=not overdue, overdue_only=overdue, now=now)
    audit_task_list(user, overdue=overdue)
    return found


def rule_deadline(key: str, start: dt.datetime, unit_path: str | None) -> dt.datetime | None:
    """`deadline(...)`, or None when no version of the rule covers the start (logged, no data
    about the case: a rule's first version starts after the case was opened)."""
    try:
        return deadline(key, start, unit_path=unit_path)
    except NoRuleInForce as exc:
        log.warning("no rule in force: %s on %s", exc.key, exc.on.isoformat())
        return None


CHILD_KINDS = {
    "child.emergency_action": _l("Emergency action"),
    "child.plan_draft": _l("Case plan drafted"),
}


@register_deadline_source(kinds=CHILD_KINDS, watches=(EmergencyAction, CaseTransitionLog))
def child_protection(case_ids: list[int]) -> Iterable[Due]:
    """Child cases: a case plan drafted within 5 working days of intake (met by the first
    submission: a plan returned for changes was still drafted), and for a high-risk case (or
    one where it was taken) an emergency action within 12 hours (one query)."""
    acted = (
        select(func.min(EmergencyAction.taken_at))
        .where(EmergencyAction.case_id == Case.id)
        .correlate(Case)
        .scalar_subquery()
    )
    drafted = (
        select(func.min(CaseTransitionLog.occurred_at))
        .where(
            CaseTransitionLog.case_id == Case.id,
            CaseTransitionLog.to_status == Status.PLAN_DRAFTED,
        )
        .correlate(Case)
        .scalar_subquery()
    )
    statement = (
        select(Case.id, Case.opened_at, Case.risk_level, Unit.path, acted, drafted)
        .join(Unit, Unit.id == Case.unit_id)
        .where(Case.id.in_(case_ids), Case.group_code == "child")
    )
    for case_id, opened_at, risk, path, acted_at, drafted_at in db.session.execute(statement):
        if risk == RiskLevel.HIGH or acted_at is not None:
            due = rule_deadline("child.emergency_action", opened_at, path)
            yield Due(case_id, "child.emergency_action", due, acted_at)
        due = rule_deadline("child.plan_draft", opened_at, path)
        yield Due(case_id, "child.plan_draft", due, drafted_at)


@register_deadline_source(kinds={PLAN_ACTION: _l("Plan action")}, watches=(PlanAction,))
def plan_actions(case_ids: list[int]) -> Iterable[Due]:
    """The dated actions of each case's current plan cycle, due by the end of their day and
    met on the day they were done (one query)."""
    statement = (
        select(PlanAction.id, PlanAction.case_id, PlanAction.due_on, PlanAction.done_on)
        .join(Case, Case.id == PlanAction.case_id)
        .where(
            PlanAction.case_id.in_(case_ids),
            PlanAction.plan_cycle == Case.plan_cycle,
            PlanAction.due_on.is_not(None),
            PlanAction.current(),  # a voided or superseded action is due no more
        )
    )
    for action_id, case_id, due_on, done_on in db.session.execute(statement):
        yield Due(case_id, PLAN_ACTION, due_by_end_of(due_on), due_by_end_of(done_on), action_id)


def overdue_plan_actions(case: Case, now: dt.datetime | None = None) -> set[int]:
    """Ids of the case's plan actions that are overdue at `now`: its stored plan-action
    deadlines under overdue_clause, the rows and condition of "My tasks" and "Overdue" (so the
    case page marks the actions those lists name). A closed case has none, as on those lists;
    a done action is met, never overdue (one query)."""
    if case.status == Status.CLOSED:
        return set()
    sync()
    return set(
        db.session.scalars(
            select(Deadline.object_id).where(
                Deadline.case_id == case.id,
                Deadline.kind == PLAN_ACTION,
                overdue_clause(now or utcnow()),
            )
        )
    )


@dataclass(frozen=True)
class DeadlineRecord:
    """A deadline of one case with when it was met (None while it is open)."""

    kind: str
    label: object
    due_at: dt.datetime | None  # None: no rule version covers the case's intake
    met_at: dt.datetime | None

    @property
    def met_late(self) -> bool:
        """Whether it was met after it was due."""
        return bool(self.met_at and self.due_at and self.met_at > self.due_at)


def child_deadlines(case: Case) -> list[DeadlineRecord]:
    """The child-protection deadlines of a case, with when each was met (the stored rows)."""
    if case.group_code != "child":
        return []
    sync()
    rows = {
        kind: (due_at, met_at)
        for kind, due_at, met_at in db.session.execute(
            select(Deadline.kind, Deadline.due_at, Deadline.met_at).where(
                Deadline.case_id == case.id, Deadline.kind.in_(CHILD_KINDS)
            )
        )
    }
    return [
        DeadlineRecord(kind, label, *rows[kind])
        for kind, label in CHILD_KINDS.items()
        if kind in rows
    ]


def case_owners(case_ids: list[int]) -> dict[int, tuple[str, str]]:
    """Owner's display name and unit name of each case (one query, for a page of tasks)."""
    if not case_ids:
        return {}
    rows = db.session.execute(
        select(Case.id, User.display_name, Unit.name)
        .join(User, User.id == Case.owner_id)
        .join(Unit, Unit.id == Case.unit_id)
        .where(Case.id.in_(case_ids))
    )
    return {case_id: (name, unit_name) for case_id, name, unit_name in rows}
