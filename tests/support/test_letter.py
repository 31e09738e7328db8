"""The printable referral letter: who may print it, what it shows, the consent it needs, and
an audit trail that names fields, never values."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from casemgr import clock
from casemgr.audit.models import AuditEvent
from casemgr.people.registration import withdraw_consent
from casemgr.people.relations import ConsentGiver
from casemgr.support import referrals
from casemgr.support.models import Referral, ServiceType
from tests.support.conftest import DAY, consent, open_case

CANARY = "Canaryletter"
TODAY = dt.date(2026, 3, 10)


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    moment = dt.datetime(2026, 3, 10, 3, 0, tzinfo=dt.UTC)  # 10:00 in Hà Nội
    monkeypatch.setattr(clock, "utcnow", lambda: moment)


def _service(db) -> ServiceType:
    return db.session.scalar(
        select(ServiceType).where(ServiceType.group_code == "violence").order_by(ServiceType.id)
    )


@pytest.fixture
def letter_case(db, support):
    """A violence case of the worker's, its person named with the canary, born 14/02/1990,
    who consented to referral; one referral sent to the shelter."""
    cw = support.cw
    case = open_case(cw.worker, cw.commune, "violence", birth_year=1990, given=CANARY)
    case.person.date_of_birth = "1990-02-14"
    given = consent(cw.worker, case, ConsentGiver.SUBJECT, on=dt.date(2026, 2, 20))
    referral = referrals.send_referral(
        cw.worker,
        case,
        cw.access(cw.worker, case),
        partner=support.shelter,
        service_type=_service(db),
        reason="Lý do chuyển gửi.",
        sent_on=DAY,
    )
    db.session.flush()
    return case, referral, given


def _url(case, referral) -> str:
    return f"/support/cases/{case.id}/referral/letter?id={referral.id}"


def _letter_events(db, case) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "referral.letter", AuditEvent.case_id == case.id)
            .order_by(AuditEvent.seq)
        )
    )


def test_letter_shows_the_referral_to_the_worker_and_is_audited_without_values(
    client, db, support, letter_case
):
    case, referral, _given = letter_case
    client.login(support.cw.worker)
    response = client.get(_url(case, referral))
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:500]
    assert response.headers["Cache-Control"] == "no-store"
    assert CANARY in html and "14/02/1990" in html  # decrypted, dd/mm/yyyy
    assert "10/03/2026" in html  # the day it is printed
    assert case.number in html and support.shelter.name in html and case.unit.name in html
    assert _service(db).label in html
    assert "20/02/2026" in html  # the consent it rests on
    assert 'href="/static/css/letter.css"' in html and "<script" not in html.split("</main>")[0]
    [event] = _letter_events(db, case)
    assert event.outcome == "allowed" and event.object_id == str(referral.id)
    assert "given_name" in event.fields and "date_of_birth" in event.fields
    rows = db.session.execute(text("SELECT * FROM audit_events")).all()
    dump = " ".join(str(v) for row in rows for v in row)
    assert CANARY not in dump and "1990-02-14" not in dump and "14/02/1990" not in dump


def test_letter_is_offered_on_the_referral_and_the_case_page(client, db, support, letter_case):
    case, referral, _given = letter_case
    client.login(support.cw.worker)
    href = _url(case, referral)
    for page in (f"/support/cases/{case.id}/referral?id={referral.id}", f"/cases/{case.id}"):
        assert href in client.get(page).get_data(as_text=True), page


def test_the_units_supervisor_may_print_it(client, db, support, letter_case):
    case, referral, _given = letter_case
    client.login(support.cw.supervisor)
    response = client.get(_url(case, referral))
    assert response.status_code == 200 and CANARY in response.get_data(as_text=True)


def test_another_units_worker_gets_404_and_sees_nothing(client, db, support, letter_case):
    case, referral, _given = letter_case
    client.login(support.cw.outsider)
    response = client.get(_url(case, referral))
    assert response.status_code == 404 and CANARY not in response.get_data(as_text=True)
    assert _letter_events(db, case) == []


def test_another_cases_referral_is_404_on_ones_own_case(client, db, support, letter_case):
    _case, referral, _given = letter_case
    client.login(support.cw.worker)
    response = client.get(_url(support.case, referral))
    assert response.status_code == 404 and CANARY not in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_auditors_and_administrators_never_print_it(client, db, support, letter_case, role):
    case, referral, _given = letter_case
    client.login(getattr(support.cw, role))
    response = client.get(_url(case, referral))
    assert response.status_code == 403 and CANARY not in response.get_data(as_text=True)


def test_refused_with_a_message_once_consent_is_withdrawn(client, db, support, letter_case):
    case, referral, given = letter_case
    withdraw_consent(support.cw.worker, given, dt.date(2026, 3, 5))
    db.session.flush()
    client.login(support.cw.worker)
    response = client.get(_url(case, referral))
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert 'data-testid="letter-refused"' in html and CANARY not in html
    assert 'data-testid="referral-letter"' not in html
    [event] = _letter_events(db, case)
    assert (event.outcome, event.reason, event.fields or "") == ("denied", "consent missing", "")
    page = client.get(f"/support/cases/{case.id}/referral?id={referral.id}").get_data(as_text=True)
    assert "/referral/letter" not in page  # no link to a letter that would be refused


def test_a_referral_sent_under_a_supervisors_override_prints_that_basis(client, db, support):
    cw = support.cw
    case = open_case(cw.worker, cw.commune, "violence", given=CANARY)
    referral = referrals.send_referral(
        cw.supervisor,
        case,
        cw.access(cw.supervisor, case),
        partner=support.shelter,
        service_type=_service(db),
        reason="Khẩn cấp.",
        sent_on=DAY,
        override_reason="Không thể chờ: người này đang bị đe dọa ngay lúc này.",
    )
    db.session.flush()
    client.login(cw.worker)
    html = client.get(_url(case, referral)).get_data(as_text=True)
    assert CANARY in html and cw.supervisor.display_name in html
    assert "Không thể chờ" not in html  # the sealed reason stays on the referral page
    [event] = _letter_events(db, case)
    assert event.reason == "consent override"


def test_a_declined_referral_prints_no_letter(client, db, support, letter_case):
    case, referral, _given = letter_case
    referrals.answer_referral(
        support.cw.worker,
        case,
        support.cw.access(support.cw.worker, case),
        referral,
        accepted=False,
        answered_on=DAY,
        decline_reason="Hết chỗ.",
    )
    db.session.flush()
    client.login(support.cw.worker)
    response = client.get(_url(case, referral))
    assert response.status_code == 403 and CANARY not in response.get_data(as_text=True)
    assert db.session.get(Referral, referral.id).status == "declined"
