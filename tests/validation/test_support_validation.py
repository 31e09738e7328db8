"""Support records: a refused answer or service comes back with the message under its field."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from casemgr import clock
from casemgr.support.models import Referral, ServiceDelivery
from tests.validation.browser_form import defaults, errors_under


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    moment = dt.datetime(2026, 12, 4, 5, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(clock, "utcnow", lambda: moment)


def test_answer_dated_in_the_future_comes_back_under_the_date(client, db, support, records):
    _status, _delivery, referral = records
    db.session.commit()
    client.login(support.cw.worker)
    response = client.post_form(
        f"/support/cases/{support.case.id}/referral/answer",
        {"referral_id": referral.id, "answer": "accept", "answered_on": "2027-01-10"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert errors_under(html, "answered_on")
    assert 'value="2027-01-10"' in html
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).answered_on is None


def test_service_form_starts_without_a_service_and_refuses_a_future_date(
    client,
    db,
    support,
    records,
):
    db.session.commit()
    client.login(support.cw.worker)
    url = f"/support/cases/{support.case.id}/services/new"
    assert defaults(client.get(url).get_data(as_text=True))["service_type_id"] == "0"
    count = select(func.count()).select_from(ServiceDelivery)
    before = db.session.scalar(count)
    response = client.post_form(url, {"service_type_id": "0", "delivered_on": "2027-01-10"})
    html = response.get_data(as_text=True)
    assert db.session.scalar(count) == before
    assert errors_under(html, "service_type_id") and errors_under(html, "delivered_on")
