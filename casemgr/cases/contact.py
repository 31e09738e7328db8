"""A case's last contact (the latest current note's date), stored on the case when notes change.

The supervision dashboard counts the open cases with no contact in N days. Reading the latest
note of each case there cost one index look-up per open case (2,800 for a commune, 58,000 for
a province at 10^5 cases); `cases.last_contact_on` holds it instead. Like the stored deadlines
(casemgr/rules/deadlines.py), no service has to remember it: a flush that adds, corrects,
voids or removes a note sets the date of its cases again, right after it, in the same
transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from casemgr.cases.models import Case, CaseNote

_MARKED = "casemgr.cases.contact.marked"


def _latest_note_date():
    """SQL: the date of the case's latest current note (None without one), for `cases`."""
    return (
        select(func.max(CaseNote.occurred_on))
        .where(CaseNote.case_id == Case.id, CaseNote.current())
        .scalar_subquery()
    )


def refresh(session: Session, case_ids: Iterable[int] | None = None) -> None:
    """Set `last_contact_on` of these cases (every case when None) from their notes."""
    statement = update(Case).values(last_contact_on=_latest_note_date())
    if case_ids is not None:
        case_ids = sorted(set(case_ids))
        if not case_ids:
            return
        statement = statement.where(Case.id.in_(case_ids))
    # A bulk UPDATE: it does not move the cases' versions (a note never makes someone's open
    # case form stale); the loaded cases read the new date on their next access.
    session.execute(statement.execution_options(synchronize_session=False))
    if case_ids is None:
        session.expire_all()
        return
    for case_id in case_ids:
        loaded = session.identity_map.get(identity_key(Case, case_id))
        if loaded is not None:
            session.expire(loaded, ["last_contact_on"])


@event.listens_for(Session, "after_flush")
def _mark_cases(session: Session, flush_context) -> None:
    marked = {
        obj.case_id
        for obj in (*session.new, *session.dirty, *session.deleted)
        if isinstance(obj, CaseNote)
    }
    if marked:
        session.info.setdefault(_MARKED, set()).update(marked)


@event.listens_for(Session, "after_flush_postexec")
def _refresh_marked(session: Session, flush_context) -> None:
    marked = session.info.pop(_MARKED, None)
    if marked:
        refresh(session, marked)


@event.listens_for(Session, "after_soft_rollback")
def _forget_marked(session: Session, previous_transaction) -> None:
    session.info.pop(_MARKED, None)
