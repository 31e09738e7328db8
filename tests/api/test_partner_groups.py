"""The API applies the partners' target groups as the pages do: a child case's partner list
leaves out another group's partner, and a referral or service naming it is a 422 on
`partner_id`."""

from __future__ import annotations

from casemgr.clock import today
from casemgr.people.relations import ConsentGiver
from casemgr.support import queries, services
from casemgr.support.models import ServicePointKind
from tests.api.conftest import bearer, token_for
from tests.support.conftest import consent, open_case

MESSAGE = "Đối tác này không phục vụ nhóm đối tượng của hồ sơ."


def test_a_child_case_gets_and_may_use_only_partners_serving_children(client, db, support):
    cw = support.cw
    case = open_case(cw.worker, cw.commune, "child", birth_year=today().year - 11)
    consent(cw.worker, case, ConsentGiver.SUBJECT, on=today())
    consent(cw.worker, case, ConsentGiver.GUARDIAN, on=today())
    clinic = services.create_service_point(
        cw.admin, kind=ServicePointKind.HEALTH_FACILITY, name="Cơ sở điều trị Methadone",
        area=support.area, address=None, contact=None, groups=["drugs"],
    )  # fmt: skip
    centre = services.create_service_point(
        cw.admin, kind=ServicePointKind.SOCIAL_PROTECTION_CENTRE, name="Trung tâm CTXH",
        area=support.area, address=None, contact=None, groups=["child"],
    )  # fmt: skip
    health = next(t for t in queries.offered_services(case, today()) if t.code == "health")
    db.session.commit()
    value = token_for(cw.worker)
    url = f"/api/v1/cases/{case.id}"
    listed = {
        p["id"]: p for p in client.get(f"{url}/partners", headers=bearer(value)).json["items"]
    }
    assert clinic.id not in listed
    assert listed[centre.id]["groups"] == ["child"]
    assert listed[support.shelter.id]["groups"] == []  # none recorded: offered to every group
    referral = {"partner_id": clinic.id, "service_type_id": health.id, "reason": "Cần khám.",
                "sent_on": today().isoformat()}  # fmt: skip
    service = {"partner_id": clinic.id, "service_type_id": health.id,
               "delivered_on": today().isoformat()}  # fmt: skip
    for path, body in (("referrals", referral), ("services", service)):
        refused = client.post(f"{url}/{path}", headers=bearer(value), json=body)
        assert refused.status_code == 422, (path, refused.json)
        errors = [(e["field"], e["detail"]) for e in refused.json["errors"]]
        assert errors == [("partner_id", MESSAGE)], path
        assert refused.json["code"] == "partner_of_another_group", path
        sent = client.post(f"{url}/{path}", headers=bearer(value),
                           json={**body, "partner_id": centre.id})  # fmt: skip
        assert sent.status_code == 201, (path, sent.json)
