"""The case's stored last contact follows its current notes: added, corrected, voided, removed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from casemgr.cases import contact
from casemgr.cases import services as case_services
from casemgr.cases.models import Case, CaseNote, NoteKind
from casemgr.clock import today
from casemgr.corrections import services as corrections
from casemgr.extensions import db
from tests.cases.conftest import backdate


def stored(case: Case) -> dt.date | None:
    """The column as committed to the database, not the loaded object's copy."""
    return db.session.scalar(select(Case.last_contact_on).where(Case.id == case.id))


@pytest.fixture(autouse=True)
def _opened_a_month_ago(casework):
    """The notes below are of the last weeks: the case began before them."""
    backdate(casework.case, today() - dt.timedelta(days=30))


def add(work, days_ago: int) -> CaseNote:
    return case_services.add_note(
        work.worker, work.case, work.access(work.worker), kind=NoteKind.VISIT,
        occurred_on=today() - dt.timedelta(days=days_ago), body="Thăm nhà.",
    )  # fmt: skip


def test_notes_set_the_latest_current_date(casework):
    work, day = casework, today()
    assert stored(work.case) is None  # no note: the dashboard counts from the opening date
    version = work.case.version
    latest = add(work, 3)
    assert stored(work.case) == day - dt.timedelta(days=3)
    add(work, 9)  # an older visit recorded later does not move it back
    assert stored(work.case) == day - dt.timedelta(days=3)
    assert work.case.last_contact_on == day - dt.timedelta(days=3)  # the loaded case reads it
    assert work.case.version == version  # a note does not make an open case form stale

    corrected = corrections.correct(
        work.worker, latest, {"occurred_on": day - dt.timedelta(days=1)}, "Sai ngày",
        access=work.access(work.worker),
    )  # fmt: skip
    assert stored(work.case) == day - dt.timedelta(days=1)

    corrections.void(work.worker, corrected, "Ghi nhầm hồ sơ", access=work.access(work.worker))
    assert stored(work.case) == day - dt.timedelta(days=9)  # the voided visit no longer counts


def test_a_removed_note_and_a_rollback(casework):
    work = casework
    note = add(work, 2)
    db.session.commit()
    db.session.delete(note)
    db.session.flush()
    assert stored(work.case) is None
    db.session.rollback()
    assert stored(work.case) == today() - dt.timedelta(days=2)


def test_refresh_of_every_case_matches_the_notes(casework):
    work = casework
    add(work, 4)
    db.session.execute(Case.__table__.update().values(last_contact_on=None))
    contact.refresh(db.session)
    assert stored(work.case) == today() - dt.timedelta(days=4)
