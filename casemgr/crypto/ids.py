"""Row ids assigned before insert, so that a new row's ciphertexts can be bound to its id."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

_HIGH_WATER = "casemgr.ids.high_water"
_sequences: dict[tuple[str, str], str] = {}  # (database, table) -> sequence name


def allocate(session: Session, table: sa.Table, count: int) -> list[int]:
    """Reserve `count` new ids of `table` (whose primary key column is `id`)."""
    if count <= 0:
        return []
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        # The serial column's own sequence: the same ids an INSERT would have drawn.
        engine = getattr(bind, "engine", bind)
        cache_key = (engine.url.render_as_string(), table.name)
        sequence = _sequences.get(cache_key)
        if sequence is None:
            sequence = _sequences[cache_key] = session.execute(
                sa.text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table.name}
            ).scalar_one()
        rows = session.execute(
            sa.text("SELECT nextval(CAST(:seq AS regclass)) FROM generate_series(1, :n)"),
            {"seq": sequence, "n": count},
        ).scalars()
        return list(rows)
    # SQLite: a no-op write takes the database write lock first, so that max(id) cannot move
    # under us before our rows are inserted; ids reserved earlier in this transaction count too.
    session.execute(sa.update(table).where(sa.false()).values(id=table.c.id))
    current = session.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0
    high_water = session.info.setdefault(_HIGH_WATER, {})
    start = max(current, high_water.get(table.name, 0)) + 1
    high_water[table.name] = start + count - 1
    return list(range(start, start + count))
