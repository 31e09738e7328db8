"""Fixtures for rules tests: the case-work world of tests/cases, and a helper to date a case."""

from __future__ import annotations

import datetime as dt

import pytest

from casemgr.clock import LOCAL_TZ
from tests.cases.conftest import Casework, casework, open_child_case  # noqa: F401


def local(*args: int) -> dt.datetime:
    """An aware moment given as Viet Nam local time, in UTC (as the database stores it)."""
    return dt.datetime(*args, tzinfo=LOCAL_TZ).astimezone(dt.UTC)


@pytest.fixture
def dated(db):
    """dated(case, opened_at): move a case's intake to a chosen moment (travel in time)."""

    def move(case, opened_at: dt.datetime):
        case.opened_at = opened_at
        db.session.flush()
        return case

    return move
