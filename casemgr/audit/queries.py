"""Reads over the audit trail for the auditor's screens: filtered search, per-case and per-user
summaries, batched export. Metadata only: ids, usernames, actions, outcomes, times, addresses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, fields
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, case, func, select

from casemgr.audit.models import AlertKind, AlertStatus, AuditAlert, AuditEvent, Outcome
from casemgr.extensions import db
from casemgr.web.ids import parse_id


def account_exists(user: str) -> bool:
    """Whether an account has this username (any case) or number today (the search by user
    also finds events recorded under a username since changed)."""
    from casemgr.auth.models import User

    user_id = parse_id(user)
    if user_id is not None:
        return db.session.get(User, user_id) is not None
    found = select(User.id).where(func.lower(User.username) == user.lower())
    return db.session.scalar(found) is not None


@dataclass(frozen=True)
class EventFilter:
    """Search criteria; None means "any". Dates are local calendar days, both inclusive."""

    user: str | None = None  # a username, or a numeric user id
    case_ids: tuple[int, ...] | None = None  # from a case id or a case number
    action: str | None = None  # exact, or a prefix ending in "*" ("case.*")
    outcome: Outcome | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    client_addr: str | None = None  # exact, or a prefix ending in "*" ("10.1.*")
    break_glass: bool = False
    seq_from: int | None = None
    seq_to: int | None = None

    def used(self) -> list[str]:
        """The names of the criteria set (recorded in the audit event; never their values)."""
        return [f.name for f in fields(self) if getattr(self, f.name) not in (None, False)]


def _like_prefix(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _match(column, value: str) -> ColumnElement[bool]:
    if value.endswith("*"):
        return column.like(_like_prefix(value[:-1]), escape="\\")
    return column == value


def _local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)


def event_conditions(criteria: EventFilter, zone: ZoneInfo) -> list[ColumnElement[bool]]:
    """SQL conditions for the criteria (each served by an index on user, case, action or time)."""
    conditions: list[ColumnElement[bool]] = []
    if criteria.user:
        user_id = parse_id(criteria.user)
        if user_id is not None:
            conditions.append(AuditEvent.actor_id == user_id)
        else:
            conditions.append(func.lower(AuditEvent.actor_name) == criteria.user.lower())
    if criteria.case_ids is not None:
        conditions.append(AuditEvent.case_id.in_(criteria.case_ids))
    if criteria.action:
        conditions.append(_match(AuditEvent.action, criteria.action))
    if criteria.outcome:
        conditions.append(AuditEvent.outcome == criteria.outcome)
    if criteria.date_from:
        conditions.append(AuditEvent.occurred_at >= _local_midnight(criteria.date_from, zone))
    if criteria.date_to:
        next_day = criteria.date_to + dt.timedelta(days=1)
        conditions.append(AuditEvent.occurred_at < _local_midnight(next_day, zone))
    if criteria.client_addr:
        conditions.append(_match(AuditEvent.client_addr, criteria.client_addr))
    if criteria.break_glass:
        conditions.append(AuditEvent.is_break_glass.is_(True))
    if criteria.seq_from is not None:
        conditions.append(AuditEvent.seq >= criteria.seq_from)
    if criteria.seq_to is not None:
        conditions.append(AuditEvent.seq <= criteria.seq_to)
    return conditions


def search_events(criteria: EventFilter, zone: ZoneInfo) -> Select:
    """Matching events, newest first (paginate the statement)."""
    return (
        select(AuditEvent).where(*event_conditions(criteria, zone)).order_by(AuditEvent.seq.desc())
    )


def export_batches(criteria: EventFilter, zone: ZoneInfo, batch_size: int = 1000) -> Iterator[list]:
    """Matching events as plain rows, newest first, in keyset batches.

    Rows rather than ORM objects: nothing accumulates in the session whatever the export's
    size, and a batch stays readable after the request's session has closed (the response
    is streamed after the edge commit).
    """
    table = AuditEvent.__table__
    conditions = event_conditions(criteria, zone)
    below: int | None = None
    while True:
        statement = select(table).where(*conditions)
        if below is not None:
            statement = statement.where(table.c.seq < below)
        batch = db.session.execute(statement.order_by(table.c.seq.desc()).limit(batch_size)).all()
        if not batch:
            return
        yield batch
        below = batch[-1].seq


@dataclass(frozen=True)
class AccessSummary:
    """One user's accesses to one case (or overall activity): counts and first/last time."""

    actor_id: int | None
    actor_name: str | None
    events: int
    denied: int
    break_glass: int
    first_at: dt.datetime
    last_at: dt.datetime


def _summary_columns() -> list:
    return [
        func.count().label("events"),
        func.sum(case((AuditEvent.outcome == Outcome.DENIED, 1), else_=0)).label("denied"),
        func.sum(case((AuditEvent.is_break_glass.is_(True), 1), else_=0)).label("break_glass"),
        func.min(AuditEvent.occurred_at).label("first_at"),
        func.max(AuditEvent.occurred_at).label("last_at"),
    ]


def who_accessed(case_ids: tuple[int, ...]) -> list[AccessSummary]:
    """Per user: how often, when first and last, denied and break-glass counts, for the case."""
    rows = db.session.execute(
        select(AuditEvent.actor_id, func.max(AuditEvent.actor_name), *_summary_columns())
        .where(AuditEvent.case_id.in_(case_ids))
        .group_by(AuditEvent.actor_id)
        .order_by(func.max(AuditEvent.occurred_at).desc())
    ).all()
    return [AccessSummary(*row) for row in rows]


@dataclass(frozen=True)
class ActionCount:
    """How many events of one action and outcome."""

    action: str
    outcome: Outcome
    events: int


def user_activity(user_id: int) -> tuple[list[ActionCount], int, str | None]:
    """A user's events by action and outcome, the number of distinct cases, the latest username."""
    counts = db.session.execute(
        select(AuditEvent.action, AuditEvent.outcome, func.count())
        .where(AuditEvent.actor_id == user_id)
        .group_by(AuditEvent.action, AuditEvent.outcome)
        .order_by(func.count().desc(), AuditEvent.action)
    ).all()
    cases = db.session.scalar(
        select(func.count(func.distinct(AuditEvent.case_id))).where(
            AuditEvent.actor_id == user_id, AuditEvent.case_id.is_not(None)
        )
    )
    name = db.session.scalar(
        select(AuditEvent.actor_name)
        .where(AuditEvent.actor_id == user_id)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )
    return [ActionCount(*row) for row in counts], cases or 0, name


def alerts(
    status: AlertStatus | None,
    kind: AlertKind | None,
    scope: ColumnElement[bool] | None,
) -> Select:
    """Alerts, newest first, optionally by status and kind, within a scope condition."""
    conditions = []
    if status is not None:
        conditions.append(AuditAlert.status == status)
    if kind is not None:
        conditions.append(AuditAlert.kind == kind)
    if scope is not None:
        conditions.append(scope)
    return (
        select(AuditAlert)
        .where(and_(True, *conditions))
        .order_by(AuditAlert.window_end.desc(), AuditAlert.id.desc())
    )


def open_alert_counts(scope: ColumnElement[bool] | None) -> dict[AlertKind, int]:
    """How many open alerts of each kind (for the alerts page header)."""
    statement = (
        select(AuditAlert.kind, func.count())
        .where(AuditAlert.status == AlertStatus.OPEN)
        .group_by(AuditAlert.kind)
    )
    if scope is not None:
        statement = statement.where(scope)
    return {AlertKind(kind): count for kind, count in db.session.execute(statement).all()}
