"""Schemathesis against the served OpenAPI document, with a worker's, an auditor's and a
hotline's (intake) token: no 5xx, and every answer conforms to the document (status, content
type, headers, body).

Bounded: 12 examples per operation and caller (36 per operation), drawn from positive data,
negative data, and positive data on the world's real ids; the file runs in under a minute.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import bearer, token_for

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = 12  # per operation and caller, drawn from the three kinds of data below


def fresh_contexts(app):
    """The app as a WSGI callable with an application context per request, as in production
    (the test's own context would otherwise share `g` between requests)."""

    def wsgi(environ, start_response):
        with app.app_context():
            return list(app(environ, start_response))

    return wsgi


SCOPES = {"worker": ("read", "write"), "auditor": ("read", "audit"), "intake": ("intake",)}


@pytest.mark.parametrize("caller", list(SCOPES))
def test_the_api_keeps_its_contract(app, db, world, caller, monkeypatch):
    monkeypatch.setitem(app.config, "API_LIMIT_PER_TOKEN", "100000/minute")
    monkeypatch.setitem(app.config, "API_INTAKE_LIMIT_PER_TOKEN", "100000/hour")
    user = world.cw.auditor if caller == "auditor" else world.cw.worker
    token = token_for(user, scopes=SCOPES[caller])
    db.session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fresh_contexts(app))
    real = {"case_id": world.case.id, "person_id": world.case.person_id,
            "referral_id": world.referral.id}  # fmt: skip
    # A body that reaches a real commune (generated unit codes never do).
    bodies = {("POST", "/api/v1/intake/reports"): {
        "unit_code": world.cw.commune.code, "source": "hotline",
        "situation": "Trẻ bị bỏ rơi", "location": "Chợ xã"}}  # fmt: skip
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 19
    calls = {"n": 0, "2xx": 0}
    for operation in operations:
        wanted = {p.name: real[p.name] for p in operation.path_parameters if p.name in real}
        fixed = {}
        if (key := (operation.method.upper(), operation.path)) in bodies:
            fixed = {"body": bodies[key], "media_type": "application/json"}
        strategy = st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
            operation.as_strategy(
                generation_mode=GenerationMode.POSITIVE, path_parameters=wanted, **fixed
            ),
        )

        @given(case=strategy)
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        def run(case):
            response = case.call_and_validate(headers=bearer(token), checks=CHECKS)
            calls["n"] += 1
            calls["2xx"] += 200 <= response.status_code < 300

        run()
    assert calls["n"] >= len(operations) * 3
    assert calls["2xx"] > 0  # the control: some calls went through to real data
