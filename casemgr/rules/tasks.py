"""Open deadlines of cases as plain data ("tasks"), from built-in and registered sources.

A deadline source is a function `fn(user, now, case_ids)` yielding `Task` rows, where
`case_ids` is a select of the ids of the open cases in scope (always built from
`visible_cases(user)`, narrowed to the user's own caseload for "My tasks"). A source must
use only those ids, so a list can never show what the case page would refuse, and should
answer in one or two queries whatever the number of cases. Other packages register theirs
at import time:

    from casemgr.rules.tasks import Task, register_deadline_source

    @register_deadline_source
    def referral_answers(user, now, case_ids):
        ...  # select(...).where(Referral.case_id.in_(case_ids)) -> yield Task(...)
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, exists, select

from casemgr.audit import record
from casemgr.auth.models import User
from casemgr.cases.models import Case, CaseTransitionLog, RiskLevel
from casemgr.cases.queries import own_case_clause, visible_cases
from casemgr.cases.workflow import Status
from casemgr.clock import utcnow
from casemgr.extensions import db
from casemgr.org.models import Unit
from casemgr.rules.models import EmergencyAction
from casemgr.rules.services import NoRuleInForce, deadline

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Task:
    """One open deadline of one case. `label` says what is due (a lazy string is fine);
    `kind` is a stable code such as "child.emergency_action"."""

    case_id: int
    case_number: str
    kind: str
    due_at: dt.datetime
    label: object

    def is_overdue(self, now: dt.datetime) -> bool:
        """Whether the deadline has passed at `now`."""
        return self.due_at < now


DeadlineSource = Callable[[User, dt.datetime, Select], Iterable[Task]]
_SOURCES: dict[str, DeadlineSource] = {}


def register_deadline_source(fn: DeadlineSource) -> DeadlineSource:
    """Add a source of tasks (usable as a decorator); registering it again replaces it."""
    _SOURCES[f"{fn.__module__}.{fn.__qualname__}"] = fn
    return fn


def deadline_sources() -> list[DeadlineSource]:
    """The registered sources, in registration order."""
    return list(_SOURCES.values())


def open_case_ids(user: User, *, mine: bool = False) -> Select:
    """Ids of the open cases the user may see (their own caseload only when `mine`)."""
    statement = visible_cases(user).where(Case.status != Status.CLOSED)
    if mine:
        statement = statement.where(own_case_clause(user))
    return statement.with_only_columns(Case.id)


def open_tasks(
    user: User,
    *,
    mine: bool = False,
    overdue_only: bool = False,
    now: dt.datetime | None = None,
) -> list[Task]:
    """Every open deadline of the user's cases (or own caseload), soonest first.

    Each source runs one or two queries over all the cases in scope; the union is sorted here
    because working-day deadlines cannot be computed in SQL.
    """
    now = now or utcnow()
    case_ids = open_case_ids(user, mine=mine)
    tasks = [task for source in deadline_sources() for task in source(user, now, case_ids)]
    if overdue_only:
        tasks = [task for task in tasks if task.is_overdue(now)]
    return sorted(tasks, key=lambda task: (task.due_at, task.case_number, task.kind))


def listed_tasks(user: User, *, overdue: bool, now: dt.datetime | None = None) -> list[Task]:
    """The tasks of the "My tasks" (own caseload) or "Overdue" (whole scope) page, with the read
    recorded: the list names cases, so looking at it is an audit event like opening one."""
    found = open_tasks(user, mine=not overdue, overdue_only=overdue, now=now)
    record(
        "case.list",
        actor=user,
        object_type="case",
        reason="overdue tasks" if overdue else "my tasks",
    )
    return found


def rule_deadline(key: str, start: dt.datetime, unit_path: str | None) -> dt.datetime | None:
    """`deadline(...)`, or None when no version of the rule covers the start (logged, no data
    about the case: a rule's first version starts after the case was opened)."""
    try:
        return deadline(key, start, unit_path=unit_path)
    except NoRuleInForce as exc:
        log.warning("no rule in force: %s on %s", exc.key, exc.on.isoformat())
        return None


# Statuses before the first plan is submitted: the plan-draft clock still runs.
BEFORE_PLAN = (
    Status.INTAKE,
    Status.VERIFICATION,
    Status.INITIAL_ASSESSMENT,
    Status.DETAILED_ASSESSMENT,
)


def _child_cases(case_ids: Select) -> Select:
    return (
        select(Case.id, Case.number, Case.opened_at, Unit.path)
        .join(Unit, Unit.id == Case.unit_id)
        .where(Case.id.in_(case_ids), Case.group_code == "child")
    )


@register_deadline_source
def child_emergency_action(user: User, now: dt.datetime, case_ids: Select) -> Iterable[Task]:
    """High-risk child cases without a recorded emergency action: 12 hours from intake."""
    statement = _child_cases(case_ids).where(
        Case.risk_level == RiskLevel.HIGH,
        ~exists().where(EmergencyAction.case_id == Case.id),
    )
    for case_id, number, opened_at, path in db.session.execute(statement):
        due = rule_deadline("child.emergency_action", opened_at, path)
        if due is not None:
            yield Task(case_id, number, "child.emergency_action", due, _l("Emergency action"))


@register_deadline_source
def child_plan_draft(user: User, now: dt.datetime, case_ids: Select) -> Iterable[Task]:
    """Child cases whose plan was never submitted: 5 working days from intake."""
    statement = _child_cases(case_ids).where(
        Case.status.in_(BEFORE_PLAN),
        ~exists().where(
            CaseTransitionLog.case_id == Case.id,
            CaseTransitionLog.to_status == Status.PLAN_DRAFTED,
        ),
    )
    for case_id, number, opened_at, path in db.session.execute(statement):
        due = rule_deadline("child.plan_draft", opened_at, path)
        if due is not None:
            yield Task(case_id, number, "child.plan_draft", due, _l("Case plan drafted"))


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
    """The child-protection deadlines of a case, with when each was met (two queries)."""
    if case.group_code != "child":
        return []
    acted_at = db.session.scalar(
        select(EmergencyAction.taken_at)
        .where(EmergencyAction.case_id == case.id)
        .order_by(EmergencyAction.taken_at)
        .limit(1)
    )
    drafted_at = db.session.scalar(
        select(CaseTransitionLog.occurred_at)
        .where(
            CaseTransitionLog.case_id == case.id,
            CaseTransitionLog.to_status == Status.PLAN_DRAFTED,
        )
        .order_by(CaseTransitionLog.occurred_at)
        .limit(1)
    )
    path = case.unit.path
    records = []
    if case.risk_level == RiskLevel.HIGH or acted_at is not None:
        records.append(
            DeadlineRecord(
                "child.emergency_action",
                _l("Emergency action"),
                rule_deadline("child.emergency_action", case.opened_at, path),
                acted_at,
            )
        )
    records.append(
        DeadlineRecord(
            "child.plan_draft",
            _l("Case plan drafted"),
            rule_deadline("child.plan_draft", case.opened_at, path),
            drafted_at,
        )
    )
    return records


def case_owners(case_ids: list[int]) -> dict[int, tuple[str, str]]:
    """Owner's display name and unit code of each case (one query, for a page of tasks)."""
    if not case_ids:
        return {}
    rows = db.session.execute(
        select(Case.id, User.display_name, Unit.code)
        .join(User, User.id == Case.owner_id)
        .join(Unit, Unit.id == Case.unit_id)
        .where(Case.id.in_(case_ids))
    )
    return {case_id: (name, unit_code) for case_id, name, unit_code in rows}
