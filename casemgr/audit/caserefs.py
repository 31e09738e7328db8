"""Case numbers for the auditor's screens: number -> id and ids -> numbers, nothing else.

Reads only the `id` and `number` columns of the cases table (a plain table reference, so the
audit package imports no domain package and never loads case content). Until the cases table
exists the screens work with case ids alone.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from sqlalchemy import column, inspect, select, table

from casemgr.extensions import db

_cases = table("cases", column("id"), column("number"))
_FLAG = "casemgr.audit.has_cases"


def _has_cases() -> bool:
    known = current_app.extensions.get(_FLAG)
    if known is None:
        known = inspect(db.session.connection()).has_table("cases")
        if known:  # once the table exists it stays; a missing one is checked again next time
            current_app.extensions[_FLAG] = True
    return known


def case_ids_for(reference: str) -> tuple[int, ...]:
    """Ids matching a reference typed by an auditor: a case number, or a numeric case id."""
    reference = reference.strip()
    ids: set[int] = set()
    if reference.isdigit():
        ids.add(int(reference))
    if _has_cases():
        found = db.session.scalars(
            select(_cases.c.id).where(_cases.c.number == reference.upper())
        ).all()
        ids.update(found)
    return tuple(sorted(ids))


def case_numbers(ids: Iterable[int | None]) -> dict[int, str]:
    """Case numbers for the given ids, in one query (no query per row)."""
    wanted = {case_id for case_id in ids if case_id is not None}
    if not wanted or not _has_cases():
        return {}
    rows = db.session.execute(
        select(_cases.c.id, _cases.c.number).where(_cases.c.id.in_(wanted))
    ).all()
    return {row.id: row.number for row in rows}
