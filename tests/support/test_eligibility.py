"""Eligibility: each trafficking status is offered exactly its supports, on the page and in the
service; the history is kept and eligibility follows the date."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from casemgr.audit.models import AuditEvent
from casemgr.support import eligibility, queries, services
from casemgr.support.catalogue import SERVICE_TYPES, load_service_catalogue
from casemgr.support.models import Location, ServiceDelivery, ServiceType, VictimStatus
from tests.support.conftest import DAY, open_case

# DOMAIN.md §2.2, written out letter by letter rather than derived like the code does.
EXPECTED = {
    (VictimStatus.IDENTIFIED, None): ["a", "b", "c", "d", "đ", "e", "g", "h", "i", "k"],
    (VictimStatus.ACCOMPANYING_MINOR, None): ["a", "b", "c", "d", "đ", "e", "g", "h"],
    (VictimStatus.BEING_IDENTIFIED, Location.IN_VIET_NAM): ["a", "b", "c", "d", "đ", "e", "g"],
    (VictimStatus.BEING_IDENTIFIED, Location.ABROAD): ["a", "b", "c", "d"],
    (VictimStatus.FOREIGN_VICTIM, None): ["a", "b", "c", "d", "đ", "g"],
}
STATUSES = list(EXPECTED)


def _ids(key):
    status, location = key
    return f"{status}-{location}" if location else str(status)


def _type(group: str, code: str) -> ServiceType:
    from casemgr.extensions import db

    return db.session.scalar(
        select(ServiceType).where(ServiceType.group_code == group, ServiceType.code == code)
    )


def _record(support, status, location=None, valid_from=DAY):
    cw = support.cw
    return services.record_trafficking_status(
        cw.worker,
        support.case,
        cw.access(cw.worker, support.case),
        status=status,
        location=location,
        valid_from=valid_from,
    )


def _deliver(support, code, day):
    cw = support.cw
    return services.deliver_service(
        cw.worker,
        support.case,
        cw.access(cw.worker, support.case),
        service_type=_type("trafficking", code),
        delivered_on=day,
        quantity=1,
    )


@pytest.mark.parametrize("key", STATUSES, ids=_ids)
def test_pure_rule_gives_exactly_the_supports_of_the_status(key):
    status, location = key
    got = eligibility.supports_for(status, location, DAY)
    assert sorted(got, key=eligibility.SUPPORTS.index) == EXPECTED[key]


@pytest.mark.parametrize("key", STATUSES, ids=_ids)
def test_each_status_is_offered_exactly_its_supports_and_refused_the_others(
    client, db, support, key
):
    status, location = key
    _record(support, status, location, valid_from=dt.date(2025, 7, 1))
    # The form offers exactly the status's supports...
    client.login(support.cw.worker)
    page = client.get(f"/support/cases/{support.case.id}/services/new").get_data(as_text=True)
    select_html = re.search(r'<select[^>]*name="service_type_id".*?</select>', page, re.S)
    offered = {int(v) for v in re.findall(r'<option[^>]*value="([1-9]\d*)"', select_html.group(0))}
    assert offered == {_type("trafficking", code).id for code in EXPECTED[key]}
    # ...and the service delivers those and refuses every other one.
    for code in eligibility.SUPPORTS:
        if code in EXPECTED[key]:
            assert _deliver(support, code, DAY).id
        else:
            with pytest.raises(services.SupportError, match="not eligible"):
                _deliver(support, code, DAY)
    delivered = db.session.scalars(
        select(ServiceDelivery).where(ServiceDelivery.case_id == support.case.id)
    ).all()
    assert sorted(d.service_type.code for d in delivered) == sorted(EXPECTED[key])


def test_a_crafted_post_of_an_ineligible_support_is_refused_and_audited(client, db, support):
    _record(support, VictimStatus.BEING_IDENTIFIED, Location.ABROAD)
    client.login(support.cw.worker)
    vocational = _type("trafficking", "i")
    response = client.post_form(
        f"/support/cases/{support.case.id}/services/new",
        {"service_type_id": vocational.id, "delivered_on": DAY.isoformat(), "partner_id": 0},
    )
    assert response.status_code == 200  # the form again, with the choice refused
    count = select(func.count()).select_from(ServiceDelivery)
    assert db.session.scalar(count.where(ServiceDelivery.case_id == support.case.id)) == 0
    # Past the form (a choice it would have offered on another day): the service refuses.
    with pytest.raises(services.SupportError, match="not eligible"):
        _deliver(support, "i", DAY)
    refusal = db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "service.deliver")
        .order_by(AuditEvent.seq.desc())
    )
    assert (refusal.outcome, refusal.reason) == ("denied", "not eligible")


def test_history_is_kept_and_eligibility_follows_the_date(db, support):
    abroad = _record(support, VictimStatus.BEING_IDENTIFIED, Location.ABROAD, dt.date(2026, 1, 5))
    home = _record(
        support, VictimStatus.BEING_IDENTIFIED, Location.IN_VIET_NAM, dt.date(2026, 2, 2)
    )
    identified = _record(support, VictimStatus.IDENTIFIED, None, dt.date(2026, 3, 2))
    history = queries.status_history(support.case.id)
    assert [s.id for s in history] == [identified.id, home.id, abroad.id]  # none overwritten
    assert [s.status for s in history][-1] == VictimStatus.BEING_IDENTIFIED

    def codes(day):
        return sorted((t.code for t in queries.offered_services(support.case, day)),
                      key=eligibility.SUPPORTS.index)  # fmt: skip

    assert codes(dt.date(2026, 1, 4)) == []  # before any status
    assert codes(dt.date(2026, 1, 20)) == EXPECTED[(VictimStatus.BEING_IDENTIFIED, "abroad")]
    assert codes(dt.date(2026, 2, 2)) == list("abcdđeg")
    assert codes(dt.date(2026, 3, 2)) == list("abcdđeghik")
    # A service dated while the person was abroad is judged by that day's status.
    with pytest.raises(services.SupportError, match="not eligible"):
        _deliver(support, "e", dt.date(2026, 1, 20))
    assert _deliver(support, "e", dt.date(2026, 2, 3)).id
    assert _deliver(support, "k", dt.date(2026, 3, 2)).id


def test_a_status_row_is_never_rewritten(db, support):
    row = _record(support, VictimStatus.IDENTIFIED)
    row.status = VictimStatus.FOREIGN_VICTIM
    with pytest.raises(ValueError, match="never changed"):
        db.session.flush()


def test_a_person_being_identified_must_have_a_location(support):
    with pytest.raises(services.SupportError, match="location needed"):
        _record(support, VictimStatus.BEING_IDENTIFIED, None)
    # Others do not: a location given with them is dropped.
    assert _record(support, VictimStatus.IDENTIFIED, Location.ABROAD).location is None


def test_the_same_day_correction_wins(support):
    _record(support, VictimStatus.IDENTIFIED)
    _record(support, VictimStatus.FOREIGN_VICTIM)
    assert {t.code for t in queries.offered_services(support.case, DAY)} == set("abcdđg")


def test_other_groups_are_offered_their_whole_catalogue(db, casework):
    for group, size in (("sex_work", 5), ("violence", 4), ("child", 6), ("drugs", 11)):
        case = open_case(casework.worker, casework.commune, group)
        offered = queries.offered_services(case, DAY)
        assert len(offered) == size
        assert {t.group_code for t in offered} == {group}


def test_catalogue_loader_is_idempotent_and_bilingual(db):
    before = db.session.scalar(select(func.count()).select_from(ServiceType))
    assert load_service_catalogue() == len(SERVICE_TYPES)
    assert db.session.scalar(select(func.count()).select_from(ServiceType)) == before
    legal_aid = _type("trafficking", "đ")
    assert (legal_aid.name_vi, legal_aid.name_en) == ("Trợ giúp pháp lý", "Legal aid")
