"""The database's plan for a statement, for tests that check an index serves a query."""

from __future__ import annotations

from sqlalchemy import text


def plan(db, statement) -> str:
    """The plan as one string: SQLite's EXPLAIN QUERY PLAN, or PostgreSQL's EXPLAIN with the
    table scans forbidden (a test database is small: the plan then shows whether an index can
    serve the query at all)."""
    session = db.session
    sql = str(statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
    if session.get_bind().dialect.name == "sqlite":
        rows = session.execute(text("EXPLAIN QUERY PLAN " + sql))
        return "\n".join(str(row[-1]) for row in rows)
    session.execute(text("SET LOCAL enable_seqscan = off"))
    session.execute(text("SET LOCAL enable_bitmapscan = off"))
    rows = session.execute(text("EXPLAIN " + sql))
    return "\n".join(row[0] for row in rows)
