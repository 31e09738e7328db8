"""Corrections obey the dates of a case (casemgr/cases/dates.py) for the dates they change: a
corrected note, service or due date never moves before the case; a record saved before the rule
stays correctable."""

from __future__ import annotations

import datetime as dt

import pytest

from casemgr.cases import dates
from casemgr.cases import services as case_services
from casemgr.cases.models import CaseNote, NoteKind
from casemgr.clock import local_date, today
from casemgr.corrections import services as corrections
from casemgr.extensions import db as _db
from tests.validation.browser_form import errors_under


def _note(work, day: dt.date) -> CaseNote:
    return case_services.add_note(
        work.worker, work.case, work.access(work.worker), kind=NoteKind.PHONE,
        occurred_on=day, body="Gọi điện cho mẹ.",
    )  # fmt: skip


def test_a_correction_cannot_move_a_date_before_the_case(casework):
    access = casework.access(casework.worker)
    note = _note(casework, today())
    with pytest.raises(dates.CaseDateRefused) as refused:
        corrections.correct(
            casework.worker, note, {"occurred_on": dt.date(2010, 5, 5)}, "Sai ngày",
            access=access,
        )  # fmt: skip
    assert refused.value.field == "occurred_on"
    assert note.is_current  # nothing written


def test_a_record_saved_before_the_rule_stays_correctable(casework):
    """A note already dated before the case (saved before this rule) is left as it is, and its
    text can still be corrected; only a changed date is judged."""
    old = CaseNote(case_id=casework.case.id, person_id=casework.case.person_id,
                   kind=NoteKind.VISIT, occurred_on=dt.date(2010, 5, 5),
                   author_id=casework.worker.id)  # fmt: skip
    old.body = "Ghi chép cũ."
    _db.session.add(old)
    _db.session.flush()
    new = corrections.correct(
        casework.worker, old, {"body": "Ghi chép cũ, đã sửa."}, "Sửa chính tả",
        access=casework.access(casework.worker),
    )  # fmt: skip
    assert new.occurred_on == dt.date(2010, 5, 5) and new.body == "Ghi chép cũ, đã sửa."


def test_a_plan_actions_due_date_cannot_be_corrected_to_before_the_case(casework):
    case, worker = casework.case, casework.worker
    access = casework.access(worker)
    for name in ("verify", "assess"):
        case_services.take_transition(worker, case, access, name, expected_version=case.version)
    item = case_services.add_plan_action(
        worker, case, access, goal="An toàn", action="Thăm", responsible="Cán bộ",
        due_on=today() + dt.timedelta(days=5),
    )  # fmt: skip
    with pytest.raises(dates.CaseDateRefused) as refused:
        corrections.correct(worker, item, {"due_on": dt.date(2020, 1, 1)}, "Sai", access=access)
    assert (refused.value.field, refused.value.bound) == ("due_on", dates.Bound.OPENED)


def test_the_correction_page_shows_the_refusal_under_the_date(client, casework, db):
    note = _note(casework, today())
    db.session.commit()
    client.login(casework.worker)
    response = client.post_form(
        f"/corrections/note/{note.id}/correct",
        {"kind": "visit", "occurred_on": "2010-05-05", "body": "Thăm nhà.", "reason": "Sai ngày"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    opened = local_date(casework.case.opened_at)
    assert errors_under(html, "occurred_on") == [
        f"Ngày không thể trước ngày mở hồ sơ ({opened:%d/%m/%Y})."
    ]
    assert 'value="2010-05-05"' in html and "Sai ngày" in html
    db.session.expire_all()
    assert db.session.get(CaseNote, note.id).is_current
