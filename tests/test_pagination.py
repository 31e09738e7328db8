"""Page numbers: missing, zero, negative, huge or not numbers fall back to a page that exists."""

from __future__ import annotations

import pytest

from casemgr.audit import record
from casemgr.auth.roles import Role
from casemgr.web.pagination import paginate, requested_page

HOSTILE = ["0", "-1", "abc", str(10**12), str(10**30), "9" * 5000, "", " 2 ", "٣", "1e3"]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_list_answers_its_own_page_whatever_the_page_number(client, make, value):
    auditor = make.user(Role.AUDITOR)
    client.login(auditor)
    response = client.get("/audit/events", query_string={"page": value})
    assert response.status_code == 200


def test_a_page_beyond_the_last_shows_the_last(app, db):
    for number in range(30):
        record("test.page", actor=None, object_type="thing", object_id=number)
    from sqlalchemy import select

    from casemgr.audit.models import AuditEvent

    statement = select(AuditEvent).where(AuditEvent.action == "test.page").order_by(AuditEvent.seq)
    with app.test_request_context("/?page=1000000000000"):
        page = paginate(statement)
    assert (page.page, page.pages, len(page.items)) == (2, 2, 5)
    cases = [("2", 2), ("-1", 1), ("abc", 1), (str(10**30), 10**30), ("٣", 1), ("9" * 5000, 1)]
    for raw, expected in cases:
        with app.test_request_context("/", query_string={"page": raw}):
            assert requested_page() == expected
