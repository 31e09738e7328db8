"""The caseload's page of ids is read from the scope's indexes alone (migration 0026)."""

from __future__ import annotations

import pytest

from casemgr.auth.roles import Role
from casemgr.cases.queries import filtered_caseload
from tests.plans import plan


@pytest.mark.parametrize(
    ("role", "index"),
    [
        (Role.SOCIAL_WORKER, "ix_cases_owner_id_updated_at"),  # the worker's own cases
        (Role.SUPERVISOR, "ix_cases_unit_id_updated_at"),  # the supervisor's units
    ],
)
def test_a_page_of_case_ids_comes_from_the_scope_index_alone(db, make, role, index):
    user = make.user(role)
    ids = filtered_caseload(user, status=None, group=None, risk=None, sort="updated")
    db.session.rollback()  # the list's audit event is not what is looked at here
    found = plan(db, ids.limit(25))
    if db.session.get_bind().dialect.name == "sqlite":
        assert f"COVERING INDEX {index}" in found, found
    else:  # the cases' rows are not visited (0020's indexes, without the id, could not)
        assert f"Index Only Scan using {index}" in found, found
