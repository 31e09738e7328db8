"""The target groups a partner serves: the referral and service forms offer a case only the
partners serving its group (or with no group recorded yet, marked so), a forged choice is
refused under the field with everything typed kept, and the point form records the groups."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from casemgr.audit.models import AuditEvent
from casemgr.demo import load_demo_data
from casemgr.people.relations import ConsentGiver
from casemgr.support import queries, referrals, services
from casemgr.support.demo import DEMO_POINTS
from casemgr.support.models import Referral, ServiceDelivery, ServicePoint, ServicePointKind
from tests.support.conftest import DAY, consent, open_case

NOT_RECORDED = "(chưa ghi nhóm đối tượng)"
NOT_OFFERED = "Hãy chọn một đối tác đang hoạt động và phục vụ nhóm đối tượng của hồ sơ."


@pytest.fixture
def child(support):
    """An 11-year-old's case with both referral consents, a methadone clinic (drugs) and a
    children's centre (child); the fixture's shelter has no group recorded."""
    cw = support.cw
    case = open_case(cw.worker, cw.commune, "child", birth_year=DAY.year - 11)
    consent(cw.worker, case, ConsentGiver.SUBJECT)
    consent(cw.worker, case, ConsentGiver.GUARDIAN)
    clinic = services.create_service_point(
        cw.admin, kind=ServicePointKind.HEALTH_FACILITY, name="Cơ sở điều trị Methadone",
        area=support.area, address=None, contact=None, groups=["drugs"],
    )  # fmt: skip
    centre = services.create_service_point(
        cw.admin, kind=ServicePointKind.SOCIAL_PROTECTION_CENTRE, name="Trung tâm CTXH",
        area=support.area, address=None, contact=None, groups=["child", "violence"],
    )  # fmt: skip
    return case, clinic, centre


def _options(page: str) -> dict[int, str]:
    field = re.search(r'<select[^>]*name="partner_id".*?</select>', page, re.S).group(0)
    return {
        int(value): label.strip()
        for value, label in re.findall(r'<option[^>]*value="(\d+)"[^>]*>([^<]*)<', field)
        if value != "0"
    }


def _feedback(page: str, name: str) -> str:
    found = re.search(
        rf'name="{name}".*?</select>\s*<div class="invalid-feedback[^"]*">([^<]+)<', page, re.S
    )
    return found.group(1).strip() if found else ""


def _health(case):
    return next(t for t in queries.offered_services(case, DAY) if t.code == "health")


def test_a_child_is_offered_only_partners_serving_children(client, support, child):
    case, clinic, centre = child
    client.login(support.cw.worker)
    base = f"/support/cases/{case.id}"
    for url in (f"{base}/referrals/new", f"{base}/services/new"):
        offered = _options(client.get(url).get_data(as_text=True))
        assert clinic.id not in offered, url
        assert centre.id in offered and NOT_RECORDED not in offered[centre.id], url
        assert offered[support.shelter.id].endswith(NOT_RECORDED), url  # no group recorded


def test_a_forged_referral_to_another_groups_partner_is_refused_under_the_field(
    client, db, support, child
):
    case, clinic, centre = child
    client.login(support.cw.worker)
    url = f"/support/cases/{case.id}/referrals/new"
    data = {
        "partner_id": clinic.id,
        "service_type_id": _health(case).id,
        "sent_on": DAY.isoformat(),
        "reason": "Trẻ cần khám sức khỏe định kỳ.",
    }
    response = client.post_form(url, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:300]
    assert _feedback(page, "partner_id") == NOT_OFFERED
    assert "Trẻ cần khám sức khỏe định kỳ." in page  # what was typed is kept
    assert db.session.scalars(select(Referral).where(Referral.case_id == case.id)).all() == []
    assert client.post_form(url, {**data, "partner_id": centre.id}).status_code == 302


def test_a_forged_service_from_another_groups_partner_is_refused_under_the_field(
    client, db, support, child
):
    case, clinic, _centre = child
    client.login(support.cw.worker)
    url = f"/support/cases/{case.id}/services/new"
    data = {
        "service_type_id": _health(case).id,
        "delivered_on": DAY.isoformat(),
        "partner_id": clinic.id,
        "note": "Khám tại trạm y tế.",
    }
    response = client.post_form(url, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:300]
    assert _feedback(page, "partner_id") == NOT_OFFERED
    assert "Khám tại trạm y tế." in page
    deliveries = select(ServiceDelivery).where(ServiceDelivery.case_id == case.id)
    assert db.session.scalars(deliveries).all() == []
    assert client.post_form(url, {**data, "partner_id": support.shelter.id}).status_code == 302


def test_the_services_refuse_another_groups_partner_and_audit_it(db, support, child):
    case, clinic, _centre = child
    cw = support.cw
    access = cw.access(cw.worker, case)
    with pytest.raises(services.SupportError, match="partner of another group"):
        referrals.send_referral(
            cw.worker, case, access, partner=clinic, service_type=_health(case),
            reason="Trẻ cần khám.", sent_on=DAY,
        )  # fmt: skip
    with pytest.raises(services.SupportError, match="partner of another group"):
        services.deliver_service(
            cw.worker, case, access, service_type=_health(case), delivered_on=DAY, partner=clinic
        )
    refused = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.outcome == "denied", AuditEvent.reason == "partner of another group"
        )
    ).all()
    assert {e.action for e in refused} == {"referral.send", "service.deliver"}
    assert {e.object_id for e in refused} == {str(clinic.id)}


def test_the_point_form_records_the_groups_and_the_pages_show_them(client, db, support):
    client.login(support.cw.admin)
    form = client.get("/support/points/new").get_data(as_text=True)
    assert "Nhóm đối tượng được phục vụ" in form and 'value="child"' in form
    response = client.post_form(
        "/support/points/new",
        {"kind": "ngo", "name": "Nhóm tự lực", "area_id": support.area.parent_id,
         "groups": ["drugs", "sex_work"], "is_active": "y"},
    )  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    point = db.session.scalar(select(ServicePoint).where(ServicePoint.name == "Nhóm tự lực"))
    assert [g.code for g in point.groups] == ["drugs", "sex_work"]
    page = client.get(f"/support/points/view?id={point.id}").get_data(as_text=True)
    shown = re.search(r'data-testid="point-groups">(.*?)</dd>', page, re.S).group(1)
    assert "Người sử dụng trái phép chất ma túy" in shown and "Người bán dâm" in shown
    edit = client.get(f"/support/points/edit?id={point.id}").get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*value="drugs"|value="drugs"[^>]*checked', edit)
    response = client.post_form(
        f"/support/points/edit?id={point.id}",
        {"kind": "ngo", "name": "Nhóm tự lực", "area_id": support.area.parent_id,
         "groups": ["sex_work"], "is_active": "y"},
    )  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    assert [g.code for g in db.session.get(ServicePoint, point.id).groups] == ["sex_work"]
    event = db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "service_point.update")
        .order_by(AuditEvent.seq.desc())
    )
    assert event.fields == "groups"
    listing = client.get("/support/points").get_data(as_text=True)
    row = next(row for row in listing.split("</tr>") if ">Nhà tạm lánh tỉnh</a>" in row)
    assert NOT_RECORDED in row  # the offices see which points still need their groups


def test_demo_partners_serve_their_groups_and_an_older_demo_gets_them(db):
    load_demo_data()
    wanted = {name: group for group, _kind, name, _commune in DEMO_POINTS}
    points = db.session.scalars(select(ServicePoint).where(ServicePoint.name.in_(wanted))).all()
    assert {p.name: [g.code for g in p.groups] for p in points} == {
        name: [group] for name, group in wanted.items()
    }
    for point in points:  # as a demo loaded before points kept their groups
        point.groups = []
    db.session.commit()
    load_demo_data()
    db.session.expire_all()
    points = db.session.scalars(select(ServicePoint).where(ServicePoint.name.in_(wanted))).all()
    assert all([g.code for g in p.groups] == [wanted[p.name]] for p in points)


def test_correcting_a_service_offers_the_partners_serving_the_group_and_its_own(
    client, db, support, child
):
    case, clinic, centre = child
    cw = support.cw
    item = services.deliver_service(
        cw.worker, case, cw.access(cw.worker, case), service_type=_health(case),
        delivered_on=DAY, partner=centre,
    )  # fmt: skip
    db.session.commit()
    client.login(cw.worker)
    page = client.get(f"/corrections/service/{item.id}/correct").get_data(as_text=True)
    offered = _options(page)
    assert centre.id in offered and clinic.id not in offered


def test_the_partners_are_listed_by_name_in_vietnamese_order(client, support, child):
    from casemgr.collation import sort_key

    case, _clinic, _centre = child
    cw = support.cw
    services.create_service_point(
        cw.admin, kind=ServicePointKind.SCHOOL, name="Trường THCS xã",
        area=support.area, address=None, contact=None, groups=["child"],
    )  # fmt: skip
    client.login(cw.worker)
    offered = _options(client.get(f"/support/cases/{case.id}/referrals/new").get_data(as_text=True))
    names = [label.split(" (", 1)[0] for label in offered.values()]
    assert names == sorted(names, key=sort_key)  # "Trung tâm" before "Trường" (u before ư)
    assert names.index("Trung tâm CTXH") < names.index("Trường THCS xã")
