"""targets_vs_actuals aggregates in SQL: the number of queries does not grow with the models."""

from __future__ import annotations

import contextlib

from sqlalchemy import event

from casemgr.extensions import db
from casemgr.programmes import queries
from tests.programmes.factories import add_model


@contextlib.contextmanager
def counted():
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE")):
            statements.append(statement)

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_query_count_is_constant(programmes):
    cw = programmes.cw
    queries.targets_vs_actuals(cw.lead, 2026)  # warm the users' role assignments
    queries.targets_vs_actuals(cw.supervisor, 2026)
    with counted() as few:
        assert len({r.model.id for r in queries.targets_vs_actuals(cw.supervisor, 2026)}) == 2
    for n in range(5):
        add_model(cw.other_commune, cw.other_supervisor, name=f"Extra {n}")
    db.session.expire_all()
    queries.targets_vs_actuals(cw.lead, 2026)
    with counted() as many:
        assert len({r.model.id for r in queries.targets_vs_actuals(cw.lead, 2026)}) == 8
    assert len(many) == len(few) <= 7, many
