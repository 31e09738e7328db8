"""No-contact orders: the 12-hour decision, the 3-day validity, status from dates, deadline
sources, sealed details, pages and scope."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from casemgr.audit.models import AuditEvent
from casemgr.groups import queries, services
from casemgr.groups.models import NoContactOrder, NoContactStatus
from casemgr.groups.services import RecordError
from casemgr.rules.tasks import open_tasks
from tests.groups.conftest import open_group_case

UTC = dt.UTC
REQUESTED = dt.datetime(2026, 3, 10, 1, 0, tzinfo=UTC)  # 08:00 in Viet Nam
HOUR = dt.timedelta(hours=1)
DETAILS = "Ông Canary Bình không được đến gần bà Canary Mai trong bán kính 100 m."


def _request(groups, case=None, at=REQUESTED):
    case = case or groups.violence
    return services.request_no_contact_order(
        groups.work.worker, case, groups.access(case), requested_at=at, details=DETAILS
    )


def _decide(groups, order, decision="granted", at=REQUESTED + 2 * HOUR, until=None):
    return services.decide_no_contact_order(
        groups.work.worker, groups.violence, groups.access(groups.violence), order,
        decision=decision, decided_at=at, valid_until=until,
    )  # fmt: skip


def _sign_in(client, user) -> None:
    client._cookies.clear()
    assert client.login(user).status_code == 302


def test_a_granted_order_expires_three_days_after_the_decision(groups):
    order = _request(groups)
    assert order.status(REQUESTED) == NoContactStatus.REQUESTED
    decided = REQUESTED + 2 * HOUR
    _decide(groups, order, at=decided)
    assert order.valid_until == decided + dt.timedelta(days=3)
    assert order.status(decided + dt.timedelta(days=2)) == NoContactStatus.GRANTED
    assert order.status(order.valid_until - dt.timedelta(seconds=1)) == NoContactStatus.GRANTED
    assert order.status(order.valid_until) == NoContactStatus.EXPIRED


def test_validity_is_capped_at_three_days(groups):
    decided = REQUESTED + HOUR
    longest = decided + dt.timedelta(days=3)
    order = _request(groups)
    for until in (longest + dt.timedelta(minutes=1), decided):
        with pytest.raises(RecordError, match="validity out of range"):
            _decide(groups, order, at=decided, until=until)
        assert order.decision is None  # a refused change leaves nothing behind
    _decide(groups, order, at=decided, until=decided + dt.timedelta(days=1))
    assert order.status(decided + dt.timedelta(days=2)) == NoContactStatus.EXPIRED
    with pytest.raises(RecordError, match="already decided"):
        _decide(groups, order, at=decided)


def test_decision_due_twelve_hours_after_the_request(groups):
    on_time, late, refused = _request(groups), _request(groups), _request(groups)
    _decide(groups, on_time, at=REQUESTED + 12 * HOUR)
    _decide(groups, late, at=REQUESTED + 13 * HOUR)
    _decide(groups, refused, decision="refused", at=REQUESTED + 3 * HOUR)
    with pytest.raises(RecordError, match="before request"):
        _decide(groups, _request(groups), at=REQUESTED - HOUR)
    views = {v.order.id: v for v in queries.orders(groups.violence, REQUESTED + 20 * HOUR)}
    assert views[on_time.id].decision_due == REQUESTED + 12 * HOUR
    assert (views[on_time.id].decision_late, views[late.id].decision_late) == (False, True)
    assert views[refused.id].status == NoContactStatus.REFUSED
    assert refused.valid_until is None


def test_deadline_sources_undecided_requests_and_orders_in_force(groups):
    worker = groups.work.worker
    waiting, granted = _request(groups), _request(groups, at=REQUESTED - 24 * HOUR)
    _decide(groups, granted, at=REQUESTED - 20 * HOUR)  # in force until +52 h from REQUESTED

    def kinds(now, *, overdue_only=False, user=worker):
        return [
            (t.kind, t.due_at)
            for t in open_tasks(user, now=now, overdue_only=overdue_only)
            if t.kind.startswith("dv.")
        ]

    ends = REQUESTED + 52 * HOUR
    assert kinds(REQUESTED + HOUR) == [
        ("dv.no_contact.decision", REQUESTED + 12 * HOUR),
        ("dv.no_contact.expiry", ends),
    ]
    assert kinds(REQUESTED + 13 * HOUR, overdue_only=True) == [
        ("dv.no_contact.decision", REQUESTED + 12 * HOUR)
    ]
    _decide(groups, waiting, decision="refused", at=REQUESTED + 13 * HOUR)
    assert kinds(REQUESTED + 14 * HOUR) == [("dv.no_contact.expiry", ends)]
    assert kinds(ends) == []  # expired orders are no longer a task
    assert kinds(REQUESTED + HOUR, user=groups.work.outsider) == []


def test_orders_belong_to_violence_and_child_cases(groups):
    drugs = groups.drugs
    with pytest.raises(RecordError, match="not applicable"):
        _request(groups, case=drugs)
    assert _request(groups, case=groups.work.case).case_id == groups.work.case.id


def test_page_flow_with_sealed_details(client, groups, db):
    case_id = groups.violence.id
    _sign_in(client, groups.work.worker)
    url = f"/cases/{case_id}/no-contact-orders"
    assert client.post_form(url, {"requested_at": "2026-03-10T08:00"}).status_code == 400
    response = client.post_form(url, {"requested_at": "2026-03-10T08:00", "details": DETAILS})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    order = db.session.scalar(select(NoContactOrder).where(NoContactOrder.case_id == case_id))
    assert order.requested_at == REQUESTED  # typed in local time, stored in UTC
    response = client.post_form(
        f"{url}/decision",
        {"order_id": order.id, "decision": "granted", "decided_at": "2026-03-10T10:00"},
    )
    assert response.status_code == 302
    html = client.get(url).get_data(as_text=True)
    assert DETAILS in html
    assert "13/03/2026 10:00" in html  # in force until 3 days after the decision, local time
    raw = db.session.execute(
        text("SELECT details_enc FROM no_contact_orders WHERE id = :id"), {"id": order.id}
    ).scalar_one()
    assert b"Canary" not in bytes(raw)
    trail = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("no_contact.%")))
    events = list(trail)
    assert [e.action for e in events] == ["no_contact.request", "no_contact.decide"]
    assert all("Canary" not in f"{e.fields}{e.reason}{e.object_id}" for e in events)


def test_other_units_get_404_and_ids_of_other_cases_are_refused(client, groups, db):
    work = groups.work
    other = open_group_case(work.worker, work.commune, "violence")
    foreign = _request(groups, case=other)
    db.session.commit()
    url = f"/cases/{groups.violence.id}/no-contact-orders"
    _sign_in(client, work.outsider)
    assert client.get(url).status_code == 404
    data = {"requested_at": "2026-03-10T08:00", "details": DETAILS}
    assert client.post_form(url, data).status_code == 404
    _sign_in(client, work.worker)
    response = client.post_form(
        f"{url}/decision",
        {"order_id": foreign.id, "decision": "granted", "decided_at": "2026-03-10T10:00"},
    )
    assert response.status_code == 404
    assert db.session.get(NoContactOrder, foreign.id).decision is None
