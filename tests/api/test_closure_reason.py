"""The API requests closure as the case page does: a coded reason is required (422 on
`closure_reason` when missing, unknown, of another group, or sent with another move)."""

from __future__ import annotations

from casemgr.cases.workflow import Status
from tests.api.conftest import bearer, token_for
from tests.cases.test_closure_reasons import COMMENT, _take, _to_review


def _move(client, value: str, case_id: int, body: dict, language: str = "vi"):
    url = f"/api/v1/cases/{case_id}"
    etag = client.get(url, headers=bearer(value)).headers["ETag"]
    return client.post(
        f"{url}/transitions", json=body,
        headers=bearer(value, **{"If-Match": etag, "Accept-Language": language}),
    )  # fmt: skip


def _fields(answer) -> dict[str, str]:
    return {e["field"]: e["detail"] for e in answer.json.get("errors", [])}


def test_a_closure_request_needs_a_known_reason_fitting_the_case(client, casework, db):
    case = _to_review(casework)
    db.session.commit()
    value = token_for(casework.worker)
    request = {"name": "request_closure", "comment": COMMENT}
    missing = _move(client, value, case.id, request)
    assert missing.status_code == 422
    assert _fields(missing) == {"closure_reason": "Chọn lý do có thể đóng hồ sơ."}
    assert missing.json["code"] == "closure_reason_required"
    unknown = _move(client, value, case.id, request | {"closure_reason": "flying_away"})
    assert unknown.status_code == 422 and set(_fields(unknown)) == {"closure_reason"}
    other_group = _move(client, value, case.id, request | {"closure_reason": "term_completed"},
                        language="en")  # fmt: skip
    assert other_group.status_code == 422
    assert _fields(other_group) == {
        "closure_reason": "This reason does not fit the case's target group."
    }
    stray = _move(client, value, case.id, {"name": "new_plan_cycle", "closure_reason": "died"})
    assert stray.status_code == 422 and set(_fields(stray)) == {"closure_reason"}
    db.session.expire_all()
    assert (case.status, case.closure_reason) == (Status.REVIEW, None)
    done = _move(client, value, case.id, request | {"closure_reason": "goals_met"})
    assert done.status_code == 200, done.json
    assert (done.json["status"], done.json["closure_reason"]) == ("closure_requested", "goals_met")
    read = client.get(f"/api/v1/cases/{case.id}", headers=bearer(value)).json
    assert read["closure_reason"] == "goals_met"


def test_the_combined_move_listed_in_transitions_is_accepted(client, casework, db):
    """`transitions` lists combined moves (review_and_request_closure); the API takes them."""
    case = _to_review(casework)
    _take(casework, "worker", "new_plan_cycle")
    from tests.cases.conftest import record_detailed_assessment

    record_detailed_assessment(casework.worker, case)
    _take(casework, "worker", "submit_plan")
    _take(casework, "supervisor", "approve_plan")
    _take(casework, "worker", "implement")
    db.session.commit()
    value = token_for(casework.worker)
    listed = client.get(f"/api/v1/cases/{case.id}", headers=bearer(value)).json["transitions"]
    assert "review_and_request_closure" in listed
    body = {"name": "review_and_request_closure", "comment": COMMENT}
    refused = _move(client, value, case.id, body)
    assert refused.status_code == 422 and set(_fields(refused)) == {"closure_reason"}
    done = _move(client, value, case.id, body | {"closure_reason": "moved_away"})
    assert done.status_code == 200, done.json
    assert (done.json["status"], done.json["closure_reason"]) == (
        "closure_requested", "moved_away")  # fmt: skip


def test_the_api_document_lists_the_reasons(client, casework):
    spec = client.get("/api/v1/openapi.json").json
    schema = spec["components"]["schemas"]["Transition"]["properties"]["closure_reason"]
    assert "goals_met" in schema["enum"] and "aged_out" in schema["enum"]
