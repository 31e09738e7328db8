"""Record ids named in query strings (`?worker=`, `?upto=`, `?id=`): an edited link with a
number past any id, or not a number, is read as naming nothing, never a 500 (the database's
integers overflow on such a number: a 500 on both databases before web.ids.id_arg)."""

from __future__ import annotations

import pytest

from casemgr.auth.roles import Role
from casemgr.org.models import UnitKind
from tests.cases.conftest import open_child_case

HOSTILE = [str(2**53 + 1), str(2**63), str(10**30), "9" * 5000, "-3", "0", "١٢", "abc"]


@pytest.fixture
def office(make):
    province = make.unit(kind=UnitKind.PROVINCIAL_DEPARTMENT)
    commune = make.unit(province)
    worker = make.user(Role.SOCIAL_WORKER, commune)
    return {
        "worker": worker,
        "supervisor": make.user(Role.SUPERVISOR, commune),
        "auditor": make.user(Role.AUDITOR, province),
        "case": open_child_case(worker, commune),
    }


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize(
    "role, url, answers",
    [
        ("supervisor", "/rules/overdue?worker={}", {404}),  # names no worker of the scope
        ("supervisor", "/supervision/reassign?worker={}", {404}),  # as the overdue list
        ("auditor", "/audit/events?upto={}", {200}),  # the list as it is now
        ("auditor", "/audit/events?user={}", {200}),  # a user so named: none
        ("auditor", "/audit/export.csv?user={}", {200, 400}),  # 400: too long a name
        ("worker", "/support/points/view?id={}", {404}),
        ("worker", "/support/cases/{case}/referral?id={}", {404}),
        ("worker", "/support/cases/{case}/document?id={}", {404}),
    ],
)
def test_an_id_past_any_record_names_nothing(client, db, office, role, url, answers, value):
    client.login(office[role])
    response = client.get(url.format(value, case=office["case"].id))
    assert response.status_code in answers, response.status_code


def test_an_id_in_range_still_names_its_record(client, db, office):
    """The bound does not refuse a real id: the worker's overdue list under its own id."""
    client.login(office["supervisor"])
    assert client.get(f"/rules/overdue?worker={office['worker'].id}").status_code == 200


@pytest.mark.parametrize("value", [str(10**30), "9" * 5000, "0", "abc"])
def test_a_forged_day_off_number_removes_nothing(client, db, make, value):
    """The calendar's remove form posts a day off's id: one past any id is refused with the
    page's message, never a 500."""
    client.login(make.user(Role.ADMINISTRATOR))
    response = client.post_form("/rules/days-off/remove", {"day_off_id": value})
    assert response.status_code == 302
