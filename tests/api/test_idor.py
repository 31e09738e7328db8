"""No IDOR through the API (SECURITY.md A2): another unit's worker replays the ids of a case,
its person and its referral on every id-bearing route, reading and writing with valid bodies:
404 every time, and the database is unchanged."""

from __future__ import annotations

import re

from casemgr.clock import today
from tests.api.conftest import bearer, token_for
from tests.test_access_matrix import fingerprint

DAY = today().isoformat()


def bodies(world) -> dict[str, dict]:
    """A body each write route would accept from the case's own worker."""
    return {
        "api.transition_case": {"name": "verify"},
        "api.update_case": {"risk_level": "low", "summary": "Sửa"},
        "api.update_person": {"phone": "0987654321"},
        "api.create_note": {"kind": "visit", "occurred_on": DAY, "body": "Thăm"},
        "api.create_service": {"service_type_id": world.service_type_id, "delivered_on": DAY},
        "api.create_referral": {"partner_id": world.partner_id,
                                "service_type_id": world.service_type_id,
                                "reason": "Cần hỗ trợ", "sent_on": DAY},
        "api.answer_referral": {"accepted": True, "answered_on": DAY},
        "api.complete_referral": {"completed_on": DAY, "outcome": "Xong"},
    }  # fmt: skip


def id_routes(app) -> list[tuple[str, str, str]]:
    return sorted(
        (rule.endpoint, method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.arguments
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


def test_another_units_worker_gets_404_everywhere_and_changes_nothing(app, client, db, world):
    ids = {"case_id": world.case.id, "person_id": world.case.person_id,
           "referral_id": world.referral.id}  # fmt: skip
    # (and "number": an intake report's, below)
    writes = bodies(world)
    routes = id_routes(app)
    assert {e for e, m, _ in routes if m != "GET"} == set(writes), "a write route without a body"
    outsider = token_for(world.cw.outsider)
    # Control: the case's own worker is allowed on the same reads.
    owner = token_for(world.cw.worker)
    # The intake status route: a report sent with the worker's intake token, asked for with the
    # outsider's (intake tokens read back only their own reports).
    intake = {"owner": token_for(world.cw.worker, scopes=("intake",)),
              "outsider": token_for(world.cw.outsider, scopes=("intake",))}  # fmt: skip
    sent = client.post("/api/v1/intake/reports", headers=bearer(intake["owner"]), json={
        "unit_code": world.cw.commune.code, "source": "hotline", "situation": "Trẻ bị bỏ rơi",
        "location": "Chợ xã"})  # fmt: skip
    ids["number"] = sent.json["number"]
    before = fingerprint(db)
    for endpoint, method, rule in routes:
        url = re.sub(r"<[^:>]+:(\w+)>", lambda m: str(ids[m.group(1)]), rule)
        by_intake = endpoint == "api.get_intake_report"
        mine, theirs = (intake["owner"], intake["outsider"]) if by_intake else (owner, outsider)
        # If-Match is the right one, so that only scope can refuse.
        headers = bearer(theirs, **{"If-Match": "*"})
        if method == "GET":
            assert client.get(url, headers=bearer(mine)).status_code == 200, url
            answer = client.get(url, headers=headers)
        else:
            answer = client.open(url, method=method, json=writes[endpoint], headers=headers)
        assert answer.status_code == 404, (endpoint, method, answer.status_code, answer.json)
        assert answer.content_type == "application/problem+json"
    assert fingerprint(db) == before
