"""Deadline reminders: tasks due tomorrow and overdue tasks, told once to the people concerned.

The daily duty finds the open deadlines of open cases that fall due on the local day after
today, and those already overdue, from the stored `deadlines` rows (the same SQL conditions
as "My tasks" and the overdue lists). Each is told to the case's worker, its co-workers and
the supervisors of its unit through the notification centre, once per person, deadline and
kind: the notification names the kind and the case (its number on the page), nothing more.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError

from casemgr.auth.models import User
from casemgr.cases.models import Case, CaseWorker
from casemgr.cases.workflow import Status
from casemgr.clock import local_date
from casemgr.extensions import db
from casemgr.notifications.models import Notification, NotificationKind
from casemgr.notifications.services import unit_supervisors
from casemgr.rules.deadlines import open_clause, overdue_clause, sync
from casemgr.rules.models import Deadline


def due_deadlines(now: dt.datetime) -> list[tuple[Deadline, NotificationKind]]:
    """Open deadlines of open cases due tomorrow (local), and overdue ones, with their kind."""
    sync()
    tomorrow = local_date(now) + dt.timedelta(days=1)
    open_case = Deadline.case_id.in_(select(Case.id).where(Case.status != Status.CLOSED))
    found = []
    for kind, condition in (
        (NotificationKind.DUE_TOMORROW, and_(open_clause(now), Deadline.due_on == tomorrow)),
        (NotificationKind.OVERDUE, overdue_clause(now)),
    ):
        rows = db.session.scalars(
            select(Deadline).where(condition, open_case).order_by(Deadline.id)
        )
        found.extend((deadline, kind) for deadline in rows)
    return found


def recipients(case: Case) -> set[int]:
    """The enabled worker and co-workers of the case, and the supervisors of its unit."""
    co_workers = select(CaseWorker.user_id).where(CaseWorker.case_id == case.id)
    workers = set(
        db.session.scalars(
            select(User.id).where(
                User.is_enabled.is_(True),
                or_(User.id == case.owner_id, User.id.in_(co_workers)),
            )
        )
    )
    return workers | set(unit_supervisors(case.unit_id))


def send_reminders(now: dt.datetime) -> int:
    """Add the reminders not sent yet; return how many were added."""
    made = 0
    due = due_deadlines(now)
    sent = {
        tuple(row)
        for row in db.session.execute(
            select(Notification.user_id, Notification.kind, Notification.deadline_id).where(
                Notification.deadline_id.in_({deadline.id for deadline, _kind in due})
            )
        )
    }
    for deadline, kind in due:
        case = db.session.get(Case, deadline.case_id)
        for user_id in sorted(recipients(case)):
            if (user_id, kind, deadline.id) in sent:
                continue
            note = Notification(
                user_id=user_id,
                kind=kind,
                case_id=case.id,
                deadline_id=deadline.id,
                created_at=now,
            )
            try:
                with db.session.begin_nested():  # the unique key: sent once, even in a race
                    db.session.add(note)
            except IntegrityError:
                continue
            made += 1
    return made
