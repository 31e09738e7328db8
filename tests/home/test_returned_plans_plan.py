"""The home's returned plans are found through the history's code index (migration 0027).

The open cases' index of the same migration is proven by tests/test_migrations.py (built on
PostgreSQL, not on SQLite); what it saves is measured in bench/, over a province: on a test
database of a few rows PostgreSQL's cheapest plan is anything."""

from __future__ import annotations

import pytest

from casemgr.auth.roles import Role
from casemgr.home.queries import returned_plans
from tests.plans import plan


def test_returned_plans_are_found_by_the_history_code_index(db, make):
    if db.session.get_bind().dialect.name == "sqlite":
        pytest.skip("SQLite plans a small test database without statistics otherwise")
    worker = make.user(Role.SOCIAL_WORKER)
    found = plan(db, returned_plans(worker))
    assert "ix_case_events_code" in found, found
