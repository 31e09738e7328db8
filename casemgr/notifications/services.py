"""Verbs of the notification centre: tell users about a case, count, list and mark read.

`notify` is called by the services that change a case, in the same flush as the change (and by
the scheduled reminders of the task queue later). A notification names a kind and a case only:
the page shows the case number and the kind in the reader's language, never a name or a reason.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, bindparam, func, select, update

from casemgr.audit import record
from casemgr.auth.models import RoleAssignment, User
from casemgr.auth.roles import Role
from casemgr.cases.models import Case
from casemgr.cases.policy import case_access
from casemgr.cases.queries import live_grant
from casemgr.clock import utcnow
from casemgr.extensions import db
from casemgr.notifications.models import Notification, NotificationKind


def notify(
    recipients: Iterable[User | int | None],
    kind: NotificationKind,
    case: Case,
    *,
    actor: User | None = None,
) -> list[Notification]:
    """Add one unread notification of `kind` about `case` for each recipient (once each).

    Nobody is told about their own act (`actor`); the caller flushes with its change."""
    ids = {r.id if isinstance(r, User) else r for r in recipients} - {None}
    if actor is not None:
        ids.discard(actor.id)
    now = utcnow()
    made = [
        Notification(user_id=user_id, kind=kind, case_id=case.id, created_at=now)
        for user_id in sorted(ids)
    ]
    db.session.add_all(made)
    return made


def unit_supervisors(unit_id: int) -> list[int]:
    """The ids of the enabled supervisors of a unit."""
    return list(
        db.session.scalars(
            select(User.id)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(
                RoleAssignment.unit_id == unit_id,
                RoleAssignment.role == Role.SUPERVISOR,
                User.is_enabled.is_(True),
            )
            .distinct()
        )
    )


# The header's badge runs this on every page: built once, the user's id bound per call.
UNREAD_COUNT = (
    select(func.count())
    .select_from(Notification)
    .where(Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None))
)


def unread_count(user: User) -> int:
    """How many of the user's notifications are unread."""
    return db.session.scalar(UNREAD_COUNT, {"user_id": user.id})


def for_user(user: User) -> Select:
    """The user's notifications, unread first, newest first within each."""
    return (
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(
            Notification.read_at.is_not(None),
            Notification.created_at.desc(),
            Notification.id.desc(),
        )
    )


def linkable(user: User, notifications: Iterable[Notification]) -> set[int]:
    """Ids of the notifications whose case the user may open now. Scope is checked now, not
    when the notification was written: a case handed on since is named but not linked."""
    now = utcnow()
    return {
        n.id
        for n in notifications
        if case_access(user, n.case, live_grant(user, n.case_id, now), now).can_read
    }


def mark_read(user: User, notification_id: int) -> bool:
    """Mark one of the user's own notifications read; False (and a refusal audited) if it is
    not theirs or unknown."""
    note = db.session.get(Notification, notification_id)
    if note is None or note.user_id != user.id:
        record(
            "notification.read",
            actor=user,
            object_type="notification",
            object_id=notification_id,
            outcome="denied",
            reason="not found",
        )
        return False
    if note.read_at is None:
        note.read_at = utcnow()
        db.session.flush()
    return True


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the user read; return how many."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return result.rowcount
