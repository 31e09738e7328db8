"""Services delivered, referrals and statuses obey the case's dates (casemgr/cases/dates.py):
the browser walk saved a service dated 01/01/2005 for a child born in 2012 whose case was opened
in December 2026, and refused a referral of that date as "consent missing" (403) although the
consent was on file: the date was the problem, and is now said under "Ngày gửi"."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from casemgr.audit.models import AuditEvent
from casemgr.cases import dates
from casemgr.clock import local_date, today
from casemgr.people.relations import ConsentGiver
from casemgr.support import referrals, services
from casemgr.support.models import Referral, ServiceDelivery, ServiceType, VictimStatus
from tests.support.conftest import consent, open_case
from tests.validation.browser_form import errors_under

GIVEN = dt.date(2026, 12, 1)  # the consent's day in the walk


def _type(db, group: str, code: str) -> ServiceType:
    return db.session.scalar(
        select(ServiceType).where(ServiceType.group_code == group, ServiceType.code == code)
    )


def _psy(db) -> ServiceType:
    return _type(db, "child", "psychosocial")


def _count(db, model, case) -> int:
    return db.session.scalar(
        select(func.count()).select_from(model).where(model.case_id == case.id)
    )


@pytest.fixture
def child(db, support):
    """The walk's child: born 04/03/2012, a case opened today, both referral consents on file."""
    cw = support.cw
    case = open_case(cw.worker, cw.commune, "child", birth_year=2012, given="Lan", opened_at=None)
    case.person.date_of_birth = "2012-03-04"
    consent(cw.worker, case, ConsentGiver.SUBJECT, on=min(GIVEN, today()))
    consent(cw.worker, case, ConsentGiver.GUARDIAN, on=min(GIVEN, today()))
    db.session.flush()
    return case


def _deliver(db, support, case, day):
    cw = support.cw
    return services.deliver_service(
        cw.worker, case, cw.access(cw.worker, case), service_type=_psy(db),
        delivered_on=day, provider="Trung tâm CTXH",
    )  # fmt: skip


def _send(db, support, case, day):
    cw = support.cw
    return referrals.send_referral(
        cw.worker, case, cw.access(cw.worker, case), partner=support.shelter,
        service_type=_psy(db), reason="Cần hỗ trợ tâm lý.", sent_on=day,
    )  # fmt: skip


# -- the services --------------------------------------------------------------------------------


def test_a_service_before_the_case_was_opened_is_refused(db, support, child):
    opened = local_date(child.opened_at)
    with pytest.raises(dates.CaseDateRefused) as refused:
        _deliver(db, support, child, dt.date(2005, 1, 1))
    assert (refused.value.field, refused.value.bound) == ("delivered_on", dates.Bound.OPENED)
    assert refused.value.day == opened
    with pytest.raises(dates.CaseDateRefused) as refused:
        _deliver(db, support, child, today() + dt.timedelta(days=1))
    assert refused.value.bound == dates.Bound.FUTURE
    assert _count(db, ServiceDelivery, child) == 0
    assert _deliver(db, support, child, opened).delivered_on == opened


def test_a_referral_dated_before_the_case_is_refused_for_its_date_not_for_consent(
    db, support, child
):
    with pytest.raises(dates.CaseDateRefused) as refused:
        _send(db, support, child, dt.date(2005, 1, 1))
    assert refused.value.field == "sent_on" and refused.value.bound == dates.Bound.OPENED
    assert not isinstance(refused.value, referrals.ConsentMissing)
    denied = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "referral.send", AuditEvent.case_id == child.id
        )
    )
    assert denied is None  # no "consent missing" refusal recorded either
    assert _count(db, Referral, child) == 0
    assert _send(db, support, child, today()).sent_on == today()


def test_consent_is_still_judged_on_a_date_within_the_case(db, support):
    """A date after the opening but before the consent: that one is a missing consent."""
    cw = support.cw
    case = open_case(cw.worker, cw.commune, "child", birth_year=2012, given="Mai")  # 1 Jan 2025
    consent(cw.worker, case, ConsentGiver.SUBJECT, on=dt.date(2026, 3, 2))
    consent(cw.worker, case, ConsentGiver.GUARDIAN, on=dt.date(2026, 3, 2))
    with pytest.raises(referrals.ConsentMissing):
        _send(db, support, case, dt.date(2026, 3, 1))
    assert _send(db, support, case, dt.date(2026, 3, 2))


def test_an_answer_or_outcome_in_the_future_is_refused_by_the_service(db, support, child):
    cw = support.cw
    access = cw.access(cw.worker, child)
    referral = _send(db, support, child, today())
    with pytest.raises(dates.CaseDateRefused) as refused:
        referrals.answer_referral(
            cw.worker, child, access, referral, accepted=True,
            answered_on=today() + dt.timedelta(days=1),
        )  # fmt: skip
    assert refused.value.field == "answered_on"
    referrals.answer_referral(cw.worker, child, access, referral, accepted=True,
                              answered_on=today())  # fmt: skip
    with pytest.raises(dates.CaseDateRefused) as refused:
        referrals.complete_referral(
            cw.worker, child, access, referral, completed_on=today() + dt.timedelta(days=3),
            outcome="Xong",
        )  # fmt: skip
    assert refused.value.field == "completed_on"


def test_a_status_may_predate_the_case_but_never_the_birth(db, support):
    """A victim identified before the office opened the case: the status stands from then."""
    cw = support.cw
    case = open_case(cw.worker, cw.commune, birth_year=1998, given="Hằng", opened_at=None)
    access = cw.access(cw.worker, case)
    services.record_trafficking_status(
        cw.worker, case, access, status=VictimStatus.IDENTIFIED, valid_from=dt.date(2025, 7, 1)
    )
    with pytest.raises(dates.CaseDateRefused) as refused:
        services.record_trafficking_status(
            cw.worker, case, access, status=VictimStatus.IDENTIFIED,
            valid_from=dt.date(1997, 12, 31),
        )  # fmt: skip
    assert refused.value.bound == dates.Bound.BIRTH_YEAR and refused.value.field == "valid_from"


# -- the pages -----------------------------------------------------------------------------------


def test_the_service_form_refuses_the_walks_date_under_the_field(client, db, support, child):
    db.session.commit()
    client.login(support.cw.worker)
    url = f"/support/cases/{child.id}/services/new"
    service_type = _psy(db)
    response = client.post_form(
        url,
        {"service_type_id": service_type.id, "delivered_on": "2005-01-01",
         "provider": "Trung tâm CTXH tỉnh", "quantity": "2", "note": "Buổi tư vấn đầu"},
    )  # fmt: skip
    html = response.get_data(as_text=True)
    opened = local_date(child.opened_at)
    assert errors_under(html, "delivered_on") == [
        f"Ngày không thể trước ngày mở hồ sơ ({opened:%d/%m/%Y})."
    ]
    assert "Đã ghi nhận dịch vụ." not in html
    for kept in ('value="2005-01-01"', "Trung tâm CTXH tỉnh", 'value="2"', "Buổi tư vấn đầu",
                 f'<option selected value="{service_type.id}">'):  # fmt: skip
        assert kept in html, kept
    assert _count(db, ServiceDelivery, child) == 0
    empty = client.post_form(url, {"service_type_id": service_type.id, "delivered_on": ""})
    assert errors_under(empty.get_data(as_text=True), "delivered_on") == ["Trường này là bắt buộc."]
    good = client.post_form(
        url, {"service_type_id": service_type.id, "delivered_on": today().isoformat()}
    )
    assert good.status_code == 302 and _count(db, ServiceDelivery, child) == 1


def test_the_referral_form_says_the_date_not_the_consent(client, db, support, child):
    db.session.commit()
    client.login(support.cw.worker)
    url = f"/support/cases/{child.id}/referrals/new"
    data = {"partner_id": support.shelter.id, "service_type_id": _psy(db).id,
            "sent_on": "2005-01-01", "reason": "Cần hỗ trợ tâm lý sau sự việc."}  # fmt: skip
    response = client.post_form(url, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200  # not the 403 of a missing consent
    opened = local_date(child.opened_at)
    assert errors_under(html, "sent_on") == [
        f"Ngày không thể trước ngày mở hồ sơ ({opened:%d/%m/%Y})."
    ]
    assert "chưa có sự đồng ý" not in html and 'data-testid="consent-missing"' not in html
    assert 'value="2005-01-01"' in html and "Cần hỗ trợ tâm lý sau sự việc." in html
    assert _count(db, Referral, child) == 0
    good = client.post_form(url, {**data, "sent_on": today().isoformat()})
    assert good.status_code == 302 and _count(db, Referral, child) == 1


def test_an_answer_dated_before_the_case_is_said_under_its_field(client, db, support, child):
    referral = _send(db, support, child, today())
    db.session.commit()
    client.login(support.cw.worker)
    response = client.post_form(
        f"/support/cases/{child.id}/referral/answer",
        {"referral_id": referral.id, "answer": "accept", "answered_on": "2005-01-02"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert errors_under(html, "answered_on") == [
        f"Ngày không thể trước ngày mở hồ sơ ({local_date(child.opened_at):%d/%m/%Y})."
    ]
    assert 'value="2005-01-02"' in html
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).answered_on is None
