"""A refused enrolment or leaving date comes back with the message under the date (issue 10)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from casemgr import clock
from casemgr.extensions import db
from casemgr.programmes import services
from casemgr.programmes.models import Enrolment
from tests.validation.browser_form import errors_under


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    moment = dt.datetime(2026, 12, 4, 5, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(clock, "utcnow", lambda: moment)


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Enrolment))


def test_enrolment_dated_in_the_future_is_refused_under_the_date(client, programmes):
    cw = programmes.cw
    client.login(cw.worker)
    before = _count()
    response = client.post_form(
        f"/cases/{cw.case.id}/programmes/enrol",
        {"model_id": programmes.commune_model.id, "enrolled_on": "2027-02-01"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert _count() == before
    assert errors_under(html, "enrolled_on")
    assert 'value="2027-02-01"' in html


def test_leaving_dated_in_the_future_is_refused_under_the_date(client, programmes):
    cw = programmes.cw
    enrolment = services.enrol_case(
        cw.worker, cw.case, cw.access(cw.worker), programmes.commune_model, dt.date(2026, 3, 2)
    )
    db.session.commit()
    client.login(cw.worker)
    response = client.post_form(
        f"/cases/{cw.case.id}/programmes/leave",
        {"enrolment_id": enrolment.id, "left_on": "2027-01-01"},
    )
    assert response.status_code == 400
    assert db.session.get(Enrolment, enrolment.id).left_on is None
    assert errors_under(response.get_data(as_text=True), "left_on")


def test_the_shortest_activity_the_form_offers_is_accepted(client, programmes):
    """min="0.1" is rendered; 0.1 hours was refused (a Decimal compared with the float 0.1)."""
    cw, model = programmes.cw, programmes.commune_model
    client.login(cw.supervisor)
    response = client.post_form(
        f"/programmes/{model.id}/activities/new",
        {
            "kind": "community_session",
            "held_on": "2026-05-04",
            "area_id": programmes.commune_area.id,
            "title": "Sinh hoạt cộng đồng",
            "men": 1,
            "women": 1,
            "unspecified": 0,
            "duration_hours": "0.1",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
