"""The caseload's page of ids is read from the scope's indexes alone (migration 0026)."""

from __future__ import annotations

from sqlalchemy import text

from casemgr.auth.roles import Role
from casemgr.cases.queries import filtered_caseload


def plan(db, statement) -> str:
    """The database's plan for a statement, as one string (as tests/audit/test_search_plan)."""
    session = db.session
    sql = str(statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
    if session.get_bind().dialect.name == "sqlite":
        rows = session.execute(text("EXPLAIN QUERY PLAN " + sql))
        return "\n".join(str(row[-1]) for row in rows)
    # A test database is small: forbid the table scans so that the plan shows whether an index
    # can serve the query alone.
    session.execute(text("SET LOCAL enable_seqscan = off"))
    session.execute(text("SET LOCAL enable_bitmapscan = off"))
    rows = session.execute(text("EXPLAIN " + sql))
    return "\n".join(row[0] for row in rows)


def _ids_page(db, user):
    ids = filtered_caseload(user, status=None, group=None, risk=None, sort="updated")
    db.session.rollback()  # the list's audit event is not what is looked at here
    return ids.limit(25)


def test_a_workers_page_of_case_ids_comes_from_the_owner_index_alone(db, make):
    worker = make.user(Role.SOCIAL_WORKER)
    found = plan(db, _ids_page(db, worker))
    assert "ix_cases_owner_id_updated_at" in found, found
    if db.session.get_bind().dialect.name == "sqlite":
        assert "COVERING INDEX ix_cases_owner_id_updated_at" in found, found
    else:  # the cases' rows are not visited (0020's index without the id could not do this)
        assert "Index Only Scan using ix_cases_owner_id_updated_at" in found, found


def test_a_supervisors_page_of_case_ids_comes_from_the_unit_index_alone(db, make):
    supervisor = make.user(Role.SUPERVISOR)
    found = plan(db, _ids_page(db, supervisor))
    assert "ix_cases_unit_id_updated_at" in found, found
    if db.session.get_bind().dialect.name == "sqlite":
        assert "COVERING INDEX ix_cases_unit_id_updated_at" in found, found
    else:
        assert "Index Only Scan using ix_cases_unit_id_updated_at" in found, found
