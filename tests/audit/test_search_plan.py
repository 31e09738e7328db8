"""The auditor's search by username reads its index, not the whole chain (migrations 0023, 0025)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from casemgr.audit.queries import EventFilter, search_events
from tests.plans import plan


def test_search_by_username_is_served_by_the_actor_name_index(db):
    statement = search_events(EventFilter(user="Worker.One"), ZoneInfo("Asia/Ho_Chi_Minh"))
    found = plan(db, statement.limit(50))
    assert "ix_audit_events_actor_name_seq" in found
    assert "SORT" not in found.upper()  # newest first straight from the index


def test_a_users_events_are_counted_from_the_index_alone(db):
    statement = search_events(EventFilter(user="Worker.One"), ZoneInfo("Asia/Ho_Chi_Minh"))
    count = select(func.count()).select_from(statement.order_by(None).subquery())  # as paginate
    found = plan(db, count)
    assert "ix_audit_events_actor_name_seq" in found
    if db.session.get_bind().dialect.name == "sqlite":
        assert "COVERING INDEX" in found
    else:  # the table's rows are not visited (0023's index alone could not do this)
        assert "Index Only Scan" in found, found
