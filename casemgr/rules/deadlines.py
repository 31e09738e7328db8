"""Stored deadlines: computed once per change from the rules and the calendar, read everywhere.

Each deadline source (the child-protection clocks, plan actions, referral answers, drug
programme decisions, no-contact orders) is a function `fn(case_ids)` yielding a `Due` for every
deadline of those cases, met or not. `refresh(case_ids)` stores what the sources say in the
`deadlines` table; the tasks, overdue, dashboard, caseload and report views read only that
table, with the SQL conditions below, so they cannot disagree.

Rows are kept up to date without any service having to remember it: a flush that touches a
case or a row a source watches (a plan action, a referral, ...) refreshes that case's rows
right after it, in the same transaction, so they commit (or roll back) with the change. A
new rule version or a change to the days off refreshes the cases it may move; `flask deadlines
recompute` refreshes every case (after an upgrade, or a change made outside the app).

Other packages register their sources at import time:

    from casemgr.rules.deadlines import Due, register_deadline_source

    @register_deadline_source(kinds={"referral.answer": _l("Referral answer")}, watches=(Referral,))
    def referral_answers(case_ids):
        ...  # select(...).where(Referral.case_id.in_(case_ids)) -> yield Due(...)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask import has_app_context
from sqlalchemy import ColumnElement, and_, delete, event, insert, inspect, select, update
from sqlalchemy.orm import Session

from casemgr.cases.models import Case
from casemgr.clock import end_of_local_day, local_date, utcnow
from casemgr.extensions import db
from casemgr.rules.models import Deadline

# Changes to these columns of a case can move its deadlines (intake time, unit, risk, ...).
CASE_COLUMNS = ("opened_at", "unit_id", "group_code", "risk_level", "status", "plan_cycle")
DIRTY_KEY = "casemgr.deadlines.dirty"
BUSY_KEY = "casemgr.deadlines.busy"
BATCH = 500  # cases refreshed per round: a few queries per source each


@dataclass(frozen=True)
class Due:
    """What a source says about one deadline of one case (`met_at` None while it is open)."""

    case_id: int
    kind: str
    due_at: dt.datetime | None
    met_at: dt.datetime | None = None
    object_id: int = 0
    lapses: bool = False


DeadlineFn = Callable[[list[int]], Iterable[Due]]


@dataclass(frozen=True)
class Source:
    """A registered deadline source: the kinds it yields (with their labels) and the models
    whose changes move them (each with a `case_id`)."""

    fn: DeadlineFn
    kinds: dict[str, object]
    watches: tuple[type, ...] = field(default=())


_SOURCES: dict[str, Source] = {}


def register_deadline_source(
    *, kinds: dict[str, object], watches: tuple[type, ...] = ()
) -> Callable[[DeadlineFn], DeadlineFn]:
    """Decorator: add a source of deadlines; registering it again replaces it."""

    def add(fn: DeadlineFn) -> DeadlineFn:
        _SOURCES[f"{fn.__module__}.{fn.__qualname__}"] = Source(fn, dict(kinds), tuple(watches))
        return fn

    return add


def deadline_sources() -> list[DeadlineFn]:
    """The registered source functions, in registration order."""
    return [source.fn for source in _SOURCES.values()]


def kind_labels() -> dict[str, object]:
    """Every known deadline kind with what it says is due."""
    return {kind: label for source in _SOURCES.values() for kind, label in source.kinds.items()}


def due_by_end_of(day: dt.date | None) -> dt.datetime | None:
    """A deadline "by that day": the last second of the local day (None stays None)."""
    return None if day is None else end_of_local_day(day)


# -- the conditions every view uses ------------------------------------------------------------


def open_clause(now: dt.datetime) -> ColumnElement[bool]:
    """SQL: the deadline is still to be met (a lapsing reminder only until its time)."""
    return and_(
        Deadline.met_at.is_(None),
        Deadline.due_at.is_not(None),
        ~Deadline.lapses | (Deadline.due_at > now),
    )


def due_today_clause(now: dt.datetime) -> ColumnElement[bool]:
    """SQL: open, not yet overdue, and due by the end of the local day of `now`."""
    return and_(
        open_clause(now),
        Deadline.due_at >= now,
        Deadline.due_at <= end_of_local_day(local_date(now)),
    )


def overdue_clause(now: dt.datetime) -> ColumnElement[bool]:
    """SQL: the deadline has passed at `now` and is not met. For a deadline counted in days,
    `due_at` is the end of its local due day: overdue from the next day on (due_on < today)."""
    return and_(Deadline.met_at.is_(None), ~Deadline.lapses, Deadline.due_at < now)


def overdue_case_ids(now: dt.datetime | None = None) -> ColumnElement:
    """SQL: ids of the cases with an overdue deadline (refine with the caller's scope)."""
    sync()
    return select(Deadline.case_id).where(overdue_clause(now or utcnow()))


# -- keeping the rows up to date ---------------------------------------------------------------


def refresh(case_ids: Iterable[int]) -> int:
    """Store what the sources say about these cases' deadlines; return how many rows changed.

    Rows of kinds no registered source yields are left alone. Rows are written in bulk (one
    statement per batch and change), and never loaded as objects: nothing in the session goes
    stale.
    """
    ids = sorted(set(case_ids))
    changed = 0
    session = db.session()
    session.info[BUSY_KEY] = True
    try:
        sources = list(_SOURCES.values())
        kinds = {kind for source in sources for kind in source.kinds}
        for start in range(0, len(ids), BATCH):
            changed += _refresh_batch(session, ids[start : start + BATCH], sources, kinds)
    finally:
        session.info.pop(BUSY_KEY, None)
    return changed


COLUMNS = ("due_at", "due_on", "met_at", "lapses")


def _refresh_batch(session: Session, ids: list[int], sources: list[Source], kinds: set) -> int:
    wanted = {}
    for source in sources:
        for due in source.fn(ids):
            wanted[due.case_id, due.kind, due.object_id] = {
                "due_at": due.due_at,
                "due_on": local_date(due.due_at) if due.due_at else None,
                "met_at": due.met_at,
                "lapses": due.lapses,
            }
    stored = {
        (row.case_id, row.kind, row.object_id): row
        for row in session.execute(
            select(Deadline.id, Deadline.case_id, Deadline.kind, Deadline.object_id,
                   *(getattr(Deadline, name) for name in COLUMNS))
            .where(Deadline.case_id.in_(ids), Deadline.kind.in_(kinds))
        )
    }  # fmt: skip
    gone = [row.id for key, row in stored.items() if key not in wanted]
    new = [
        {"case_id": case_id, "kind": kind, "object_id": object_id, **values}
        for (case_id, kind, object_id), values in wanted.items()
        if (case_id, kind, object_id) not in stored
    ]
    moved = [
        {"id": stored[key].id, **values}
        for key, values in wanted.items()
        if key in stored
        and any(getattr(stored[key], name) != value for name, value in values.items())
    ]
    if gone:
        session.execute(delete(Deadline).where(Deadline.id.in_(gone)))
    if new:
        session.execute(insert(Deadline), new)
    if moved:
        session.execute(update(Deadline), moved)
    return len(gone) + len(new) + len(moved)


def refresh_all() -> int:
    """Recompute the deadlines of every case (a new rule version; after an upgrade)."""
    return refresh(db.session.scalars(select(Case.id)))


def refresh_due_from(day: dt.date) -> int:
    """Recompute the cases with a deadline due on or after `day`: a day off added or removed
    on `day` can only move a count of working days that runs across it."""
    sync()
    return refresh(
        db.session.scalars(select(Deadline.case_id).where(Deadline.due_on >= day).distinct())
    )


def sync() -> None:
    """Flush pending changes, which stores their deadlines (see the listeners below); reads
    call it first so that a change not yet flushed is seen with its deadlines."""
    session = db.session()
    if session.info.get(BUSY_KEY):
        return
    session.flush()
    dirty = session.info.pop(DIRTY_KEY, None)
    if dirty:  # marked by a session that was not the app's own when it flushed
        refresh(dirty)


def _watched() -> dict[type, None]:
    return {model: None for source in _SOURCES.values() for model in source.watches}


def _case_of(obj: object, watched: dict[type, None], *, is_new: bool) -> int | None:
    if isinstance(obj, Case):
        changed = is_new or any(
            inspect(obj).attrs[name].history.has_changes() for name in CASE_COLUMNS
        )
        return obj.id if changed else None
    if type(obj) in watched:
        return getattr(obj, "case_id", None)
    return None


@event.listens_for(Session, "after_flush")
def _mark_changed_cases(session: Session, flush_context) -> None:
    # Only the ids are noted here: the refresh runs once the flush is complete (below).
    watched = _watched()
    marked = {_case_of(obj, watched, is_new=True) for obj in session.new}
    marked |= {_case_of(obj, watched, is_new=False) for obj in (*session.dirty, *session.deleted)}
    marked.discard(None)
    if marked:
        session.info.setdefault(DIRTY_KEY, set()).update(marked)


@event.listens_for(Session, "after_flush_postexec")
def _refresh_after_flush(session: Session, flush_context) -> None:
    # The flush is complete: store the marked cases' deadlines in the same transaction, so
    # no read, request or commit ever sees a change without its deadlines. The app's own
    # session only: the sources read through db.session.
    if session.info.get(BUSY_KEY) or not session.info.get(DIRTY_KEY):
        return
    if not has_app_context() or session is not db.session():
        return
    refresh(session.info.pop(DIRTY_KEY))
