"""What each role's home page shows: for every item, a count and the first few rows, taken from
the very select() of the full page it links to (DESIGN.md §4: one truth per fact).

Each `Item` holds the statement's count (the pager's count query) and its first `SHORT_LIST`
rows. A section is built only for a role the user holds, so a role never sees another's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select

from casemgr.admin import queries as admin_queries
from casemgr.audit import queries as audit_queries
from casemgr.audit.models import AlertStatus, AuditEvent
from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.cases.models import Case, CaseEvent, CaseEventKind
from casemgr.cases.queries import case_ids, cases_by_ids, visible_cases
from casemgr.cases.transfers import incoming_rows, incoming_transfers
from casemgr.cases.workflow import Status
from casemgr.clock import local_date, utcnow
from casemgr.crypto import envelope
from casemgr.extensions import db
from casemgr.intake import queries as intake_queries
from casemgr.rules import tasks
from casemgr.supervision import queries as supervision
from casemgr.support.queries import referral_list

SHORT_LIST = 5


@dataclass(frozen=True)
class Item:
    """A count and the first rows of one full page's statement."""

    count: int
    rows: list[Any] = field(default_factory=list)


def count_of(statement: Select) -> int:
    """How many rows the statement yields (the same count query as the pager's)."""
    return db.session.execute(
        select(func.count()).select_from(statement.order_by(None).subquery())
    ).scalar_one()


def item(statement: Select, *, scalars: bool = True, limit: int = SHORT_LIST) -> Item:
    """The statement's count and its first `limit` rows, in the full page's order."""
    result = db.session.execute(statement.limit(limit))
    return Item(count_of(statement), list(result.scalars() if scalars else result))


def intake_items(user: User, now: dt.datetime) -> dict[str, Any]:
    """The reports waiting (count and first rows) and how many are late, for both sections."""
    waiting, late = intake_queries.waiting_counts(user, now)
    rows = list(db.session.scalars(intake_queries.waiting(user).limit(SHORT_LIST)))
    return {"intake": Item(waiting, rows), "late_reports": late}


def case_item(statement: Select, *, limit: int = SHORT_LIST) -> Item:
    """item() for a select of cases: the ids of the first rows first (narrow rows, in the full
    page's order), then those cases with what they show. PostgreSQL would otherwise join every
    case in scope to its person, unit and owner before keeping five of them."""
    ids = case_ids(statement)
    return Item(count_of(ids), cases_by_ids(list(db.session.scalars(ids.limit(limit)))))


# -- social worker ---------------------------------------------------------------------------


# The supervisor's moves that send a case back to its worker (each leaves the case at the step
# before: a returned plan at the detailed assessment, a declined closure at the review).
SENT_BACK = ("return_plan", "decline_closure")


def returned_plans(user: User) -> Select:
    """(case, the event) of the user's own cases a supervisor sent back and nobody moved since:
    the latest workflow move of the case returned its plan for changes, or declined its
    closure; newest first."""
    latest = (
        select(func.max(CaseEvent.id))
        .where(CaseEvent.case_id == Case.id, CaseEvent.kind == CaseEventKind.TRANSITION)
        .correlate(Case)
        .scalar_subquery()
    )
    return (
        visible_cases(user, own_only=True)
        .where(Case.status.in_([Status.DETAILED_ASSESSMENT, Status.REVIEW]))
        .join(CaseEvent, CaseEvent.id == latest)
        .where(CaseEvent.code.in_(SENT_BACK))
        .add_columns(CaseEvent)
        .order_by(CaseEvent.occurred_at.desc(), Case.id.desc())
    )


def unseal_returns(rows: list[Any]) -> None:
    """Unwrap the data keys the return comments are sealed with (one query for the rows)."""
    envelope.preload(db.session, sorted({case.person_id for case, _event in rows}))


def recent_cases(user: User) -> Select:
    """The cases the user sees, most recently opened first: the caseload sorted by opening
    (for a worker, their own and co-worked cases)."""
    return visible_cases(user).order_by(Case.opened_at.desc(), Case.id.desc())


@dataclass(frozen=True)
class WorkerHome:
    """The social worker's section."""

    tasks: Item  # the count only: the list is "today" below
    today: Item
    overdue: Item
    returned: Item
    referrals: Item
    recent: Item
    intake: Item  # reports waiting for a decision in the worker's communes
    late_reports: int  # of those, past their emergency deadline (listed on the overdue page)


def worker_home(user: User, now: dt.datetime) -> WorkerHome:
    """Task count, tasks due today and overdue, returned plans, waiting referrals, recent cases,
    intake reports waiting."""
    mine = tasks.tasks_query(user, mine=True, now=now)
    today = item(tasks.tasks_query(user, mine=True, due_today=True, now=now), scalars=False)
    late = tasks.tasks_query(user, overdue_only=True, now=now)
    tasks_item = Item(count_of(mine))
    overdue_item = item(late, scalars=False)
    returned = item(returned_plans(user), scalars=False)
    unseal_returns(returned.rows)
    home = WorkerHome(
        tasks=tasks_item,
        today=Item(today.count, tasks.as_tasks(today.rows)),
        overdue=Item(overdue_item.count, tasks.as_tasks(overdue_item.rows)),
        returned=returned,
        referrals=item(referral_list(user, local_date(now), waiting_only=True), scalars=False),
        recent=case_item(recent_cases(user)),
        **intake_items(user, now),
    )
    # The page names cases and shows return comments: read like a list of cases.
    supervision.audit_list(user, "home page")
    return home


# -- supervisor ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SupervisorHome:
    """The supervisor's section."""

    approvals: Item
    overdue_by_worker: list[tuple[int, str, int]]
    alerts: Item
    transfers: Item
    intake: Item  # reports waiting for a decision in the supervised units
    late_reports: int  # of those, past their emergency deadline (listed on the overdue page)

    @property
    def overdue_total(self) -> int:
        """All overdue deadlines of the units and late intake reports (the overdue page's)."""
        return sum(count for _id, _name, count in self.overdue_by_worker) + self.late_reports


def supervisor_home(user: User, now: dt.datetime) -> SupervisorHome:
    """Approvals waiting, overdue deadlines per worker, open alerts, transfers and intake
    reports waiting."""
    transfers = item(incoming_transfers(user), scalars=False)
    home = SupervisorHome(
        approvals=case_item(supervision.approvals(user)),
        overdue_by_worker=supervision.overdue_by_worker(user, now),
        alerts=open_alerts(user),
        transfers=Item(transfers.count, incoming_rows(user, transfers.rows)),
        **intake_items(user, now),
    )
    supervision.audit_list(user, "home page")
    return home


def open_alerts(user: User) -> Item:
    """Open alerts the user reviews (the alerts page's default view)."""
    statement = audit_queries.alerts(AlertStatus.OPEN, None, supervision.alert_scope(user))
    return item(statement)


# -- auditor ---------------------------------------------------------------------------------


def last_verification() -> AuditEvent | None:
    """The latest chain verification recorded in the trail.

    A full one (by the CLI or a user), or a failed tail check by the app's automatic
    checkpoints (channel "system"); a passed tail check is the checkpoint itself.
    """
    return _last_event("audit.verify")


def last_checkpoint() -> AuditEvent | None:
    """The latest signed checkpoint: the events before it were verified when it was signed."""
    return _last_event("audit.checkpoint")


def _last_event(action: str) -> AuditEvent | None:
    return db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == action)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class AuditorHome:
    """The auditor's section."""

    alerts: Item
    verification: AuditEvent | None
    checkpoint: AuditEvent | None


def auditor_home(user: User) -> AuditorHome:
    """Open alerts, the last chain verification and the last signed checkpoint."""
    return AuditorHome(
        alerts=open_alerts(user), verification=last_verification(), checkpoint=last_checkpoint()
    )


# -- administrator ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AdminHome:
    """The administrator's section."""

    setup: Item
    disabled_owners: Item


def admin_home() -> AdminHome:
    """Users who must change their password or enrol MFA; disabled users owning open cases."""
    return AdminHome(
        setup=item(admin_queries.user_list(show=admin_queries.SETUP)),
        disabled_owners=item(admin_queries.user_list(show=admin_queries.DISABLED_OWNERS)),
    )


# -- the page --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Home:
    """The sections of every role the user holds (None for the others)."""

    worker: WorkerHome | None
    supervisor: SupervisorHome | None
    auditor: AuditorHome | None
    admin: AdminHome | None


def home(user: User, now: dt.datetime | None = None) -> Home:
    """Build the home page of a user: one section per role they hold."""
    now = now or utcnow()
    roles = user.role_set()
    return Home(
        worker=worker_home(user, now) if Role.SOCIAL_WORKER in roles else None,
        supervisor=supervisor_home(user, now) if Role.SUPERVISOR in roles else None,
        auditor=auditor_home(user) if Role.AUDITOR in roles else None,
        admin=admin_home() if Role.ADMINISTRATOR in roles else None,
    )
