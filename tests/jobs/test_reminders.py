"""Deadline reminders: a task due tomorrow and an overdue task give exactly one notification
each to the case's worker, co-worker and unit supervisors, none to anyone else, and no
personal data (the case carries canaries in every sensitive field)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from casemgr.clock import end_of_local_day, local_date, utcnow
from casemgr.jobs import reminders
from casemgr.notifications.models import Notification, NotificationKind
from casemgr.rules.models import Deadline
from tests.notifications.conftest import CANARY


def add_deadline(case, kind: str, day: dt.date) -> Deadline:
    # A kind no deadline source yields: refresh() leaves such rows alone.
    deadline = Deadline(case_id=case.id, kind=kind, object_id=0, due_at=end_of_local_day(day),
                        due_on=day)  # fmt: skip
    from casemgr.extensions import db

    db.session.add(deadline)
    db.session.flush()
    return deadline


def notes(db, **where) -> list[tuple[int, str, int | None]]:
    rows = db.session.scalars(select(Notification).filter_by(**where).order_by(Notification.id))
    return [(n.user_id, n.kind.value, n.deadline_id) for n in rows]


def test_each_reminder_once_to_the_right_people(db, world):
    now = utcnow()
    today = local_date(now)
    case = world.case
    db.session.execute(Notification.__table__.delete())  # only the reminders below
    tomorrow = add_deadline(case, "test.tomorrow", today + dt.timedelta(days=1))
    overdue = add_deadline(case, "test.overdue", today - dt.timedelta(days=2))
    add_deadline(case, "test.later", today + dt.timedelta(days=5))  # neither: no reminder
    made = reminders.send_reminders(now)
    cw = world.cw
    people = {cw.worker.id, world.co_worker.id, cw.supervisor.id}
    expected = sorted(
        [(u, "due_tomorrow", tomorrow.id) for u in people]
        + [(u, "overdue", overdue.id) for u in people]
    )
    # Only these two deadlines' reminders: the case's own emergency action, due 12 hours after
    # opening, is also due tomorrow when the test runs after local noon.
    made_here = [note for note in notes(db) if note[2] in (tomorrow.id, overdue.id)]
    assert sorted(made_here) == expected and made == len(notes(db))
    # Nobody else: not the colleague off the case, the other commune, the lead, auditors, admins.
    for other in (cw.colleague, cw.outsider, cw.other_supervisor, cw.auditor, cw.admin):
        assert notes(db, user_id=other.id) == []
    # The duty runs again, and the next day: nothing is told twice.
    assert reminders.send_reminders(now) == 0
    reminders.send_reminders(now + dt.timedelta(days=1))
    mine = Notification.deadline_id.in_([tomorrow.id, overdue.id])
    assert db.session.scalar(select(func.count()).where(mine)) == len(expected)


def test_a_met_deadline_or_a_closed_case_is_not_reminded(db, world):
    now = utcnow()
    deadline = add_deadline(world.case, "test.met", local_date(now) - dt.timedelta(days=1))
    deadline.met_at = now
    db.session.flush()
    assert all(d.id != deadline.id for d, _k in reminders.due_deadlines(now))


def test_reminders_hold_no_personal_data(client, db, world):
    now = utcnow()
    add_deadline(world.case, "test.tomorrow", local_date(now) + dt.timedelta(days=1))
    add_deadline(world.case, "test.overdue", local_date(now) - dt.timedelta(days=1))
    reminders.send_reminders(now)
    db.session.commit()
    # The rows hold ids and a kind only; the page shows the kind and the case number.
    columns = {c.name for c in Notification.__table__.columns}
    assert columns == {"id", "user_id", "kind", "case_id", "deadline_id", "created_at", "read_at"}
    for locale in ("vi", "en"):
        client._cookies.clear()
        client.login(world.cw.supervisor)
        client.post_form("/auth/language", {"locale": locale})
        page = client.get("/notifications/").get_data(as_text=True)
        kinds = [NotificationKind.DUE_TOMORROW.value, NotificationKind.OVERDUE.value]
        assert all(f'data-kind="{k}"' in page for k in kinds)
        assert world.case.number in page and CANARY not in page
        label = "Có việc đến hạn ngày mai" if locale == "vi" else "A task is due tomorrow"
        assert label in page
