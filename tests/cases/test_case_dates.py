"""One rule for the dates recorded on a case (casemgr/cases/dates.py): never in the future, never
before the case's start (its opening, or an earlier intake report about it), never before the
person's birth; refused by the service, shown under the field with what was typed kept."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from casemgr.cases import dates
from casemgr.cases import services as case_services
from casemgr.cases.models import CaseNote, NoteKind
from casemgr.clock import local_date, local_midnight, today
from casemgr.extensions import db as _db
from casemgr.intake.models import IntakeSource
from casemgr.intake.services import link_to_case, receive_report
from tests.cases.conftest import backdate
from tests.intake.conftest import report_data
from tests.validation.browser_form import errors_under


def _note(work, day: dt.date, case=None) -> CaseNote:
    case = case or work.case
    return case_services.add_note(
        work.worker, case, work.access(work.worker, case), kind=NoteKind.PHONE,
        occurred_on=day, body="Gọi điện cho mẹ.",
    )  # fmt: skip


def _notes(case) -> int:
    return _db.session.scalar(
        select(func.count()).select_from(CaseNote).where(CaseNote.case_id == case.id)
    )


def _born(case, *, on: str | None = None, year: int | None = None) -> None:
    person = case.person
    person.date_of_birth, person.birth_year = on, year
    _db.session.flush()


# -- the service -------------------------------------------------------------------------------


def test_a_note_before_the_case_was_opened_is_refused_naming_the_day(casework, app):
    opened = local_date(casework.case.opened_at)
    with pytest.raises(dates.CaseDateRefused) as refused:
        _note(casework, opened - dt.timedelta(days=1))
    assert (refused.value.field, refused.value.bound) == ("occurred_on", dates.Bound.OPENED)
    assert refused.value.day == opened
    with app.test_request_context():  # Vietnamese by default, the day as the app writes it
        assert refused.value.message() == (
            f"Ngày không thể trước ngày mở hồ sơ ({opened:%d/%m/%Y})."
        )
    assert _notes(casework.case) == 0
    assert _note(casework, opened).occurred_on == opened  # the opening day itself is fine


def test_a_note_in_the_future_is_refused_by_the_service(casework):
    with pytest.raises(dates.CaseDateRefused) as refused:
        _note(casework, today() + dt.timedelta(days=1))
    assert refused.value.bound == dates.Bound.FUTURE
    assert _notes(casework.case) == 0


def test_never_before_the_persons_birth_even_in_a_case_opened_earlier(casework, app):
    """The bug: a service dated 2005 was saved for a child born in 2012. A case recorded as
    opened before the birth (data moved from an old register) must not let it through either."""
    case = backdate(casework.case, dt.date(2005, 1, 1))
    _born(case, on="2012-03-04", year=2012)
    with pytest.raises(dates.CaseDateRefused) as refused:
        _note(casework, dt.date(2010, 5, 5))
    assert refused.value.bound == dates.Bound.BIRTH and refused.value.day == dt.date(2012, 3, 4)
    with app.test_request_context():
        assert (
            refused.value.message() == "Ngày không thể trước ngày sinh của người này (04/03/2012)."
        )
    _born(case, year=2012)  # only the year known: not before 1 January of it
    with pytest.raises(dates.CaseDateRefused) as refused:
        _note(casework, dt.date(2011, 12, 31))
    assert refused.value.bound == dates.Bound.BIRTH_YEAR
    with app.test_request_context():
        assert refused.value.message() == "Ngày không thể trước năm sinh của người này (2012)."
    assert _note(casework, dt.date(2012, 1, 1))


def test_the_later_bound_is_the_one_named(casework):
    """Born 2012, case opened today: a date of 2005 breaks both; the case's opening is named."""
    _born(casework.case, on="2012-03-04", year=2012)
    with pytest.raises(dates.CaseDateRefused) as refused:
        _note(casework, dt.date(2005, 1, 1))
    assert refused.value.bound == dates.Bound.OPENED


def test_an_earlier_intake_report_linked_to_the_case_is_its_first_contact(casework):
    """A report received before the case was opened and linked to it later: the first call it
    records falls within the case, and the day before it does not."""
    case = casework.case
    received = local_midnight(today() - dt.timedelta(days=3)) + dt.timedelta(hours=9)
    report = receive_report(
        report_data(received_at=received), unit=casework.commune,
        source=IntakeSource.HOTLINE, received_by=casework.worker,
    )  # fmt: skip
    with pytest.raises(dates.CaseDateRefused):  # not linked yet: the opening bounds the case
        _note(casework, local_date(received))
    link_to_case(casework.worker, report, expected_version=report.version, case=case)
    assert dates.case_start(case) == dates.Floor(local_date(received), dates.Bound.INTAKE)
    assert _note(casework, local_date(received)).occurred_on == local_date(received)
    with pytest.raises(dates.CaseDateRefused) as refused:
        _note(casework, local_date(received) - dt.timedelta(days=1))
    assert refused.value.bound == dates.Bound.INTAKE
    # A report received after the opening does not move the start.
    later = receive_report(
        report_data(), unit=casework.commune, source=IntakeSource.HOTLINE,
        received_by=casework.worker,
    )  # fmt: skip
    link_to_case(casework.worker, later, expected_version=later.version, case=case)
    assert dates.case_start(case).day == local_date(received)


def test_a_case_accepted_from_a_report_starts_at_the_report(casework):
    case = casework.case
    received = case.opened_at - dt.timedelta(days=2)
    case.opened_at = received  # what accept_into_new_case does (intake/services.py)
    _db.session.flush()
    assert dates.case_start(case) == dates.Floor(local_date(received), dates.Bound.OPENED)


# -- the pages -----------------------------------------------------------------------------------


def test_the_notes_form_shows_the_refusal_under_the_date_and_keeps_what_was_typed(
    client, casework, db
):
    """The bug: a contact note dated 05/05/2010 was saved ("Đã lưu ghi chép.")."""
    case = casework.case
    _born(case, on="2012-03-04", year=2012)
    db.session.commit()
    client.login(casework.worker)
    response = client.post_form(
        f"/cases/{case.id}/notes",
        {"kind": "phone", "occurred_on": "2010-05-05", "body": "Gọi điện cho mẹ lúc 9 giờ."},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    opened = local_date(case.opened_at)
    assert errors_under(html, "occurred_on") == [
        f"Ngày không thể trước ngày mở hồ sơ ({opened:%d/%m/%Y})."
    ]
    assert 'value="2010-05-05"' in html and "Gọi điện cho mẹ lúc 9 giờ." in html
    assert "Đã lưu ghi chép." not in html and _notes(case) == 0
    # A date the form itself refuses gets one message, the form's.
    response = client.post_form(
        f"/cases/{case.id}/notes",
        {"kind": "phone", "occurred_on": "1999-05-05", "body": "Gọi điện."},
    )
    assert errors_under(response.get_data(as_text=True), "occurred_on") == [
        "Nhập ngày từ năm 2000 trở về sau."
    ]
    ok = client.post_form(
        f"/cases/{case.id}/notes",
        {"kind": "phone", "occurred_on": today().isoformat(), "body": "Gọi điện cho mẹ."},
    )
    assert ok.status_code == 302 and _notes(case) == 1
