"""API resources over the screens' services: persons, cases (cursor pages, moves with If-Match),
notes, services, referrals, tasks, audit; problem documents in the caller's language."""

from __future__ import annotations

import datetime as dt

from casemgr.clock import today
from casemgr.people.services import register_person
from tests.api.conftest import bearer, token_for
from tests.cases.conftest import open_child_case


def test_person_registered_read_and_found_by_id_phone_and_name(client, db, casework):
    value = token_for(casework.worker)
    body = {"unit_id": casework.commune.id, "sex": "female", "surname": "Trần",
            "middle_name": "Thị", "given_name": "Hoà", "date_of_birth": "2012-05-04",
            "national_id": "045312000123", "phone": "0912 345 678"}  # fmt: skip
    made = client.post("/api/v1/persons", json=body, headers=bearer(value))
    assert made.status_code == 201, made.json
    person = made.json
    assert (person["given_name"], person["national_id"], person["birth_year"]) == (
        "Hoà", "045312000123", 2012)  # fmt: skip
    read = client.get(f"/api/v1/persons/{person['id']}", headers=bearer(value))
    assert read.status_code == 200 and read.headers["ETag"] == '"1"'
    for term in ({"national_id": "045312000123"}, {"phone": "+84912345678"}, {"name": "hoa tran"}):
        found = client.post("/api/v1/persons/search", json=term, headers=bearer(value))
        assert [p["id"] for p in found.json["items"]] == [person["id"]], term
    url = f"/api/v1/persons/{person['id']}"
    assert client.patch(url, json={"phone": "0987654321"}, headers=bearer(value)).status_code == 428
    fixed = client.patch(
        url, json={"phone": "0987654321"}, headers=bearer(value, **{"If-Match": '"1"'})
    )
    assert fixed.status_code == 200 and fixed.json["phone"] == "0987654321"
    assert fixed.json["national_id"] == "045312000123" and fixed.headers["ETag"] == '"2"'
    stale = client.patch(
        url, json={"phone": "0911111111"}, headers=bearer(value, **{"If-Match": '"1"'})
    )
    assert stale.status_code == 412 and stale.json["current_version"] == 2
    # Another commune's worker finds nobody and reads nothing, even with persons of their own
    # in scope (a scope given as a row rather than a condition once let every match through).
    outsider = casework.outsider
    register_person(outsider, sex="female", given_name="Hoà", surname="Lê",
                    registered_unit_id=outsider.roles[0].unit_id,
                    registered_by_id=outsider.id)  # fmt: skip
    db.session.commit()
    other = token_for(outsider)
    found = client.post("/api/v1/persons/search", json={"name": "Hoà"}, headers=bearer(other))
    assert [p["surname"] for p in found.json["items"]] == ["Lê"]
    assert client.get(f"/api/v1/persons/{person['id']}", headers=bearer(other)).status_code == 404


def test_erased_person_reads_as_erased(client, db, casework):
    from casemgr.people.services import confirm_erasure, request_erasure

    case = casework.case
    request = request_erasure(casework.supervisor, case.person, "entered_in_error")
    confirm_erasure(casework.lead, request)
    db.session.commit()
    value = token_for(casework.worker)
    answer = client.get(f"/api/v1/persons/{case.person_id}", headers=bearer(value))
    assert answer.status_code == 200, answer.json
    assert answer.json["erased"] is True
    assert [answer.json[k] for k in ("surname", "given_name", "national_id")] == [None] * 3
    assert client.get(f"/api/v1/cases/{case.id}", headers=bearer(value)).status_code == 200


def test_validation_errors_list_fields_in_the_callers_language(client, casework):
    value = token_for(casework.worker)
    vi = client.post("/api/v1/persons", json={"sex": "x", "extra": 1}, headers=bearer(value))
    assert vi.status_code == 422 and vi.content_type == "application/problem+json"
    assert vi.headers["Content-Language"] == "vi"
    assert vi.json["title"] == "Một số trường không hợp lệ."
    fields = {e["field"]: e["detail"] for e in vi.json["errors"]}
    assert set(fields) == {"sex", "extra", "unit_id", "given_name"}
    assert fields["unit_id"] == "Trường này là bắt buộc."
    en = client.post("/api/v1/persons", json={"sex": "x"},
                     headers=bearer(value, **{"Accept-Language": "en-GB,en;q=0.8"}))  # fmt: skip
    assert (
        en.headers["Content-Language"] == "en" and en.json["title"] == "Some fields are not valid."
    )
    assert "Traceback" not in en.get_data(as_text=True)
    refused = client.post("/api/v1/persons", json={"unit_id": casework.commune.id, "sex": "male",
                          "given_name": "An", "national_id": "12"},
                          headers=bearer(value))  # fmt: skip
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json["errors"]] == ["national_id"]


def test_case_opened_moved_with_if_match_and_noted(client, db, casework):
    worker = casework.worker
    value = token_for(worker)
    person = register_person(worker, sex="female", given_name="Mai", surname="Đỗ",
                             registered_unit_id=casework.commune.id,
                             registered_by_id=worker.id)  # fmt: skip
    db.session.commit()
    opened = client.post("/api/v1/cases", headers=bearer(value), json={
        "person_id": person.id, "unit_id": casework.commune.id, "group_code": "child",
        "protection_level": "support", "risk_level": "medium",
        "summary": "Tin báo 111"})  # fmt: skip
    assert opened.status_code == 201, opened.json
    case = opened.json
    assert case["status"] == "intake" and case["summary"] == "Tin báo 111"
    assert "verify" in case["transitions"]
    url = f"/api/v1/cases/{case['id']}"
    etag = client.get(url, headers=bearer(value)).headers["ETag"]
    move = {"name": "verify"}
    missing = client.post(f"{url}/transitions", json=move, headers=bearer(value))
    assert missing.status_code == 428
    stale = client.post(f"{url}/transitions", json=move,
                        headers=bearer(value, **{"If-Match": '"99"'}))  # fmt: skip
    assert stale.status_code == 412
    assert stale.json["current_version"] == case["version"] and stale.headers["ETag"] == etag
    assert client.get(url, headers=bearer(value)).json["status"] == "intake"  # nothing moved
    moved = client.post(
        f"{url}/transitions", json=move, headers=bearer(value, **{"If-Match": etag})
    )
    assert moved.status_code == 200 and moved.json["status"] == "verification"
    assert moved.headers["ETag"] != etag
    again = client.post(
        f"{url}/transitions", json=move, headers=bearer(value, **{"If-Match": etag})
    )
    assert again.status_code == 412  # the old ETag is stale now
    wrong = client.post(f"{url}/transitions", json={"name": "approve_plan"},
                        headers=bearer(value, **{"If-Match": moved.headers["ETag"]}))  # fmt: skip
    assert wrong.status_code == 403
    etag = moved.headers["ETag"]
    assert client.patch(url, json={"risk_level": "high"}, headers=bearer(value)).status_code == 428
    change = {"risk_level": "high", "reason": "Gia đình chuyển đi nơi khác."}
    patched = client.patch(url, json=change, headers=bearer(value, **{"If-Match": etag}))
    assert patched.status_code == 200 and patched.json["risk_level"] == "high"
    assert patched.json["summary"] == "Tin báo 111"  # left out: unchanged
    stale = client.patch(
        url, json={"risk_level": "low"}, headers=bearer(value, **{"If-Match": etag})
    )
    assert stale.status_code == 412 and stale.json["current_version"] == patched.json["version"]
    note = client.post(f"{url}/notes", headers=bearer(value), json={
        "kind": "phone", "occurred_on": today().isoformat(), "body": "Gọi cho mẹ"})  # fmt: skip
    assert note.status_code == 201
    notes = client.get(f"{url}/notes", headers=bearer(value)).json["items"]
    assert [n["body"] for n in notes] == ["Gọi cho mẹ"]
    future = client.post(f"{url}/notes", headers=bearer(value), json={
        "kind": "phone", "occurred_on": (today() + dt.timedelta(days=2)).isoformat(),
        "body": "x"})  # fmt: skip
    assert future.status_code == 422 and future.json["errors"][0]["field"] == "occurred_on"


def test_an_adult_cannot_be_opened_as_a_child_case(client, db, world):
    value = token_for(world.cw.worker)
    refused = client.post("/api/v1/cases", headers=bearer(value), json={
        "person_id": world.case.person_id, "unit_id": world.cw.commune.id, "group_code": "child",
        "protection_level": "support", "risk_level": "low"})  # fmt: skip
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json["errors"]] == ["group_code"]


def test_case_list_filters_and_cursor_pages(client, db, casework):
    worker = casework.worker
    for given in ("An", "Bình", "Chi", "Dung"):
        open_child_case(worker, casework.commune, given=given)
    db.session.commit()
    value = token_for(worker)
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/cases", query_string=query, headers=bearer(value)).json
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5 and seen == sorted(seen, reverse=True)
    high = client.get("/api/v1/cases?risk=high&status=intake", headers=bearer(value)).json
    assert len(high["items"]) == 5
    assert client.get("/api/v1/cases?risk=low", headers=bearer(value)).json["items"] == []
    assert client.get("/api/v1/cases?cursor=!!", headers=bearer(value)).status_code == 422
    assert client.get("/api/v1/cases?limit=0", headers=bearer(value)).status_code == 422


def test_referral_sent_answered_and_completed(client, db, world):
    cw, case = world.cw, world.case
    value = token_for(cw.worker)
    url = f"/api/v1/cases/{case.id}/referrals"
    sent = client.post(url, headers=bearer(value), json={
        "partner_id": world.partner_id, "service_type_id": world.service_type_id,
        "reason": "Cần tư vấn", "sent_on": today().isoformat()})  # fmt: skip
    assert sent.status_code == 201, sent.json
    item = f"{url}/{sent.json['id']}"
    assert client.get(item, headers=bearer(value)).headers["ETag"] == '"sent"'
    answer = {"accepted": True, "answered_on": today().isoformat()}
    assert client.post(f"{item}/answer", json=answer, headers=bearer(value)).status_code == 428
    accepted = client.post(f"{item}/answer", json=answer,
                           headers=bearer(value, **{"If-Match": '"sent"'}))  # fmt: skip
    assert accepted.status_code == 200 and accepted.json["status"] == "accepted"
    twice = client.post(f"{item}/answer", json=answer,
                        headers=bearer(value, **{"If-Match": '"sent"'}))  # fmt: skip
    assert twice.status_code == 412 and twice.json["current_version"] == "accepted"
    done = client.post(f"{item}/complete", headers=bearer(value, **{"If-Match": '"accepted"'}),
                       json={"completed_on": today().isoformat(),
                             "outcome": "Đã tư vấn"})  # fmt: skip
    assert done.status_code == 200 and done.json["outcome"] == "Đã tư vấn"
    listed = client.get(url, headers=bearer(value)).json["items"]
    assert {r["status"] for r in listed} == {"sent", "completed"}
    services = client.get(f"/api/v1/cases/{case.id}/services", headers=bearer(value)).json
    assert [s["provider"] for s in services["items"]] == ["Trung tâm CTXH"]
    given = client.post(f"/api/v1/cases/{case.id}/services", headers=bearer(value), json={
        "service_type_id": world.service_type_id, "delivered_on": today().isoformat(),
        "quantity": 2})  # fmt: skip
    assert given.status_code == 201 and given.json["quantity"] == 2


def test_tasks_and_auditor_views(client, db, casework):
    tasks = client.get("/api/v1/tasks", headers=bearer(token_for(casework.worker)))
    assert tasks.status_code == 200
    assert {t["case_id"] for t in tasks.json["items"]} <= {casework.case.id}
    auditor = token_for(casework.auditor, scopes=("audit",))
    events = client.get("/api/v1/audit/events?limit=1&action=case.*", headers=bearer(auditor))
    assert events.status_code == 200 and len(events.json["items"]) == 1
    assert all(e["action"].startswith("case.") for e in events.json["items"])
    nxt = client.get("/api/v1/audit/events", query_string={
        "limit": 3, "cursor": events.json["next_cursor"]}, headers=bearer(auditor))  # fmt: skip
    assert max(e["seq"] for e in nxt.json["items"]) < min(e["seq"] for e in events.json["items"])
    alerts = client.get("/api/v1/audit/alerts", headers=bearer(auditor))
    assert alerts.status_code == 200 and "items" in alerts.json


def test_openapi_document_and_viewer(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    assert "/api/v1/cases/{case_id}/transitions" in paths
    post = paths["/api/v1/cases/{case_id}/transitions"]["post"]
    assert {"412", "428"} <= set(post["responses"])
    assert any(p["name"] == "If-Match" and p["required"] for p in post["parameters"])
    assert post["requestBody"]["content"]["application/json"]["example"]["name"] == "verify"
    viewer = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/static/swagger-ui/swagger-ui-bundle.js" in viewer and "http" not in viewer.split(
        "<body>")[1]  # fmt: skip
    assert client.get("/static/swagger-ui/LICENSE").status_code == 200


def test_referral_choices_are_listed_and_a_listed_pair_can_be_referred(client, db, world):
    cw, case = world.cw, world.case
    value = token_for(cw.worker)
    url = f"/api/v1/cases/{case.id}"
    types = client.get(f"{url}/service-types", headers=bearer(value))
    partners = client.get(f"{url}/partners", headers=bearer(value))
    assert types.status_code == 200 and partners.status_code == 200
    assert world.service_type_id in {t["id"] for t in types.json["items"]}
    assert all(t["label"] for t in types.json["items"])
    listed = [p["id"] for p in partners.json["items"]]
    assert world.partner_id in listed
    sent = client.post(f"{url}/referrals", headers=bearer(value), json={
        "partner_id": listed[0], "service_type_id": types.json["items"][0]["id"],
        "reason": "Cần tư vấn", "sent_on": today().isoformat()})  # fmt: skip
    assert sent.status_code == 201, sent.json
