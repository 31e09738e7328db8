"""Canaries (SECURITY.md E1, L2, A3): a marker in every encrypted field of the world's rows
appears in API answers only for a caller allowed to read it, and in no log line and no audit
row, whoever asks."""

from __future__ import annotations

import json

from sqlalchemy import select, text

from casemgr.audit.models import AuditEvent
from tests.api.conftest import bearer, token_for
from tests.ops.test_logs import NATIONAL_ID, PHONE, captured_lines, marker, seed_canaries

# The fields the API shows, per model: each of their markers must reach the allowed caller.
SHOWN = {
    "Person": ("surname", "middle_name", "given_name", "street_address"),
    "Case": ("summary",),
    "CaseNote": ("body",),
    "ServiceDelivery": ("provider", "note"),
    "Referral": ("reason",),
}


def reads(world) -> list[tuple[str, str, dict | None]]:
    case = world.case
    base = f"/api/v1/cases/{case.id}"
    return [
        ("GET", f"/api/v1/persons/{case.person_id}", None),
        ("POST", "/api/v1/persons/search", {"national_id": NATIONAL_ID}),
        ("POST", "/api/v1/persons/search", {"phone": PHONE}),
        ("GET", base, None),
        ("GET", "/api/v1/cases", None),
        ("GET", f"{base}/notes", None),
        ("GET", f"{base}/services", None),
        ("GET", f"{base}/referrals", None),
        ("GET", f"{base}/referrals/{world.referral.id}", None),
        ("GET", "/api/v1/tasks", None),
        ("GET", "/api/v1/audit/events?limit=100", None),
        ("GET", "/api/v1/audit/alerts", None),
    ]


def fetch(client, world, token: str) -> str:
    bodies = []
    for method, url, body in reads(world):
        if method == "GET":
            answer = client.get(url, headers=bearer(token))
        else:
            answer = client.post(url, json=body, headers=bearer(token))
        assert answer.status_code < 500, url
        bodies.append(json.dumps(answer.json, ensure_ascii=False))
    return "\n".join(bodies)


def test_markers_reach_only_allowed_callers_and_never_logs_or_audit(app, client, db, world):
    from casemgr.crypto.fields import ENCRYPTED_MODELS

    markers, _rows = seed_canaries(db)
    db.session.commit()
    models = {m.__name__: m for m in ENCRYPTED_MODELS}
    shown = {marker(models[name], f) for name, fields in SHOWN.items() for f in fields}
    assert shown <= set(markers)
    cw = world.cw
    with captured_lines() as lines:
        allowed = fetch(client, world, token_for(cw.worker))
        refused = {
            "outsider": fetch(client, world, token_for(cw.outsider)),
            "auditor": fetch(client, world, token_for(cw.auditor, scopes=("read", "audit"))),
            "admin": fetch(client, world, token_for(cw.admin)),
            "intake": fetch(client, world, token_for(cw.worker, scopes=("intake",))),
        }
    assert {m for m in shown if m not in allowed} == set()  # the control: they do travel
    assert NATIONAL_ID in allowed and PHONE in allowed
    for who, body in refused.items():
        assert [m for m in markers if m in body] == [], who
    assert [m for m in markers for line in lines if m in line] == []
    audit_rows = "\n".join(map(repr, db.session.execute(select(AuditEvent)).all()))
    assert [m for m in markers if m in audit_rows] == []
    assert db.session.execute(text("select count(*) from audit_events")).scalar() > 50
