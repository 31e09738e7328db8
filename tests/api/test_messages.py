"""API errors in the caller's language: every marshmallow default message translated, stable
refusal codes, all of a person's field problems at once, a 409 that says how to go on."""

from __future__ import annotations

import inspect
import re

import marshmallow.fields
import marshmallow.validate
import pytest
from flask_babel import force_locale

from casemgr.api.common import REFUSALS, refusal_code
from casemgr.cases.models import Case, ProtectionLevel, RiskLevel
from casemgr.people.services import register_person
from casemgr.web.problems import _message
from tests.api.conftest import bearer, token_for

SAMPLE = {"awareness": "aware", "obj_type": "datetime", "min": 1, "max": 9, "equal": 3,
          "choices": "a, b", "values": "a", "labels": "a", "other": "x", "input": "x",
          "min_op": "greater than", "max_op": "less than"}  # fmt: skip


def _defaults() -> list[str]:
    found = set()
    for _name, cls in inspect.getmembers(marshmallow.fields, inspect.isclass):
        found.update(getattr(cls, "default_error_messages", {}).values())
    for _name, cls in inspect.getmembers(marshmallow.validate, inspect.isclass):
        for attr in ("default_message", "message_min", "message_max", "message_all",
                     "message_equal", "default_error"):  # fmt: skip
            if isinstance(getattr(cls, attr, None), str):
                found.add(getattr(cls, attr))
    found.update(marshmallow.Schema._default_error_messages.values())
    # "cannot be formatted" are answer (dump) errors, never a caller's input.
    return sorted(m for m in found if "cannot be formatted" not in m)


@pytest.mark.parametrize("message", _defaults())
def test_every_marshmallow_default_message_is_translated(app, message):
    text = message.format(**SAMPLE).replace("{min}", "1").replace("{max}", "9")
    with app.test_request_context(), force_locale("vi"):
        assert _message(text) != text, text


def test_a_datetime_without_offset_is_refused_in_vietnamese(client, casework):
    token = token_for(casework.worker, scopes=("intake",))
    body = {"unit_code": casework.commune.code, "source": "hotline", "situation": "Trẻ bị đánh.",
            "location": "Thôn 3", "received_at": "2026-12-01T09:30:00"}  # fmt: skip
    refused = client.post("/api/v1/intake/reports", json=body, headers=bearer(token))
    assert refused.status_code == 422
    detail = {e["field"]: e["detail"] for e in refused.json["errors"]}["received_at"]
    assert "Not a valid" not in detail and "+07:00" in detail


def test_refusal_codes_are_stable_identifiers():
    codes = [refusal_code(code) for code in REFUSALS]
    assert all(re.fullmatch(r"[a-z][a-z_-]*[a-z]", c) and len(c) <= 40 for c in codes), codes
    assert len(set(codes)) == len(codes)
    assert refusal_code("national id must have 12 digits (or 9 for a legacy id)") == (
        "national_id_format"
    )


def test_a_person_is_refused_with_all_field_problems_at_once(client, casework):
    value = token_for(casework.worker)
    refused = client.post("/api/v1/persons", headers=bearer(value), json={
        "unit_id": casework.commune.id, "sex": "male", "national_id": "12",
        "phone": "12345"})  # fmt: skip
    assert refused.status_code == 422
    fields = {e["field"]: e["detail"] for e in refused.json["errors"]}
    assert set(fields) == {"national_id", "phone", "given_name"}
    assert "The ID number" not in fields["national_id"]  # Vietnamese, the default


def test_a_probable_duplicate_says_how_to_register_a_new_person(client, db, casework):
    worker = casework.worker
    register_person(worker, sex="female", given_name="Mai", surname="Đỗ",
                    registered_unit_id=casework.commune.id, registered_by_id=worker.id)  # fmt: skip
    db.session.commit()
    value = token_for(worker)
    body = {"unit_id": casework.commune.id, "sex": "female", "surname": "Đỗ", "given_name": "Mai"}
    conflict = client.post("/api/v1/persons", json=body, headers=bearer(value))
    assert conflict.status_code == 409, conflict.json
    assert conflict.json["code"] == "possible_duplicates"
    assert "confirmed_new" in conflict.json["detail"] and conflict.json["duplicates"]
    made = client.post("/api/v1/persons", json={**body, "confirmed_new": True},
                       headers=bearer(value))  # fmt: skip
    assert made.status_code == 201


def test_an_unknown_transition_is_a_field_error(client, db, casework):
    value = token_for(casework.worker)
    url = f"/api/v1/cases/{casework.case.id}"
    etag = client.get(url, headers=bearer(value)).headers["ETag"]
    wrong = client.post(f"{url}/transitions", json={"name": "fly_to_the_moon"},
                        headers=bearer(value, **{"If-Match": etag}))  # fmt: skip
    assert wrong.status_code == 422
    assert [e["field"] for e in wrong.json["errors"]] == ["name"]


def test_a_second_open_case_for_a_person_is_confirmed_first(client, db, casework):
    """As on the New case screen: the open cases the caller may see, by number; those of the
    same group in caseloads the caller cannot see, counted and never named; nothing opened
    until the caller confirms."""
    from sqlalchemy import func, select

    from casemgr.cases import services

    worker = casework.worker
    person = register_person(worker, sex="female", birth_year=2015, surname="Đỗ",
                             given_name="Mai", registered_unit_id=casework.commune.id,
                             registered_by_id=worker.id)  # fmt: skip
    case = services.open_case(
        worker, person=person, group_code="child", sub_groups=[],
        protection_level=ProtectionLevel.SUPPORT, risk_level=RiskLevel.LOW,
        unit=casework.commune, summary=None,
    )  # fmt: skip
    db.session.commit()
    # The colleague sees the person (registered in their commune), not the worker's case.
    body = {"person_id": case.person_id, "unit_id": casework.commune.id,
            "group_code": case.group_code, "protection_level": "support",
            "risk_level": "low"}  # fmt: skip
    count = select(func.count()).select_from(Case).where(Case.person_id == case.person_id)
    before = db.session.scalar(count)
    own = client.post("/api/v1/cases", json=body, headers=bearer(token_for(casework.worker)))
    assert own.status_code == 409, own.json
    assert own.json["code"] == "open_cases" and "confirm_another" in own.json["detail"]
    assert (own.json["open_cases"], own.json["elsewhere"]) == ([case.number], 0)
    colleague = bearer(token_for(casework.colleague))
    hidden = client.post("/api/v1/cases", json=body, headers=colleague)
    assert hidden.status_code == 409, hidden.json
    assert (hidden.json["open_cases"], hidden.json["elsewhere"]) == ([], 1)
    assert case.number not in hidden.get_data(as_text=True)
    assert db.session.scalar(count) == before
    made = client.post("/api/v1/cases", json={**body, "confirm_another": True}, headers=colleague)
    assert made.status_code == 201, made.json
    assert db.session.scalar(count) == before + 1
