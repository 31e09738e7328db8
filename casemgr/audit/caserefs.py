"""Case numbers for the auditor's screens: number -> id and ids -> numbers, nothing else.

Reads only the `id` and `number` columns of the cases table (a plain table reference, so the
audit package imports no domain package and never loads case content), and whether an audit
event names a case id. Until the cases table exists the screens work with case ids alone.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from sqlalchemy import column, inspect, select, table

from casemgr.audit.models import AuditEvent
from casemgr.extensions import db
from casemgr.web.ids import parse_id

_cases = table("cases", column("id"), column("number"))
_FLAG = "casemgr.audit.has_cases"


def _has_cases() -> bool:
    known = current_app.extensions.get(_FLAG)
    if known is None:
        known = inspect(db.session.connection()).has_table("cases")
        if known:  # once the table exists it stays; a missing one is checked again next time
            current_app.extensions[_FLAG] = True
    return known


def _plain_id(reference: str) -> int | None:
    """The id a reference names if it is written as ids are ("7"; not "0007", "+7" or "7.0")."""
    number = parse_id(reference)
    return number if number is not None and str(number) == reference else None


def _known_id(case_id: int) -> bool:
    """A case of this id exists, or existed: the audit log names it (an erased or deleted case
    is still looked up by its id)."""
    if _has_cases() and db.session.scalar(select(_cases.c.id).where(_cases.c.id == case_id)):
        return True
    named = select(AuditEvent.seq).where(AuditEvent.case_id == case_id).limit(1)
    return db.session.scalar(named) is not None


def case_ids_for(reference: str) -> tuple[int, ...]:
    """The case a reference typed by an auditor names: a whole case number, or else a case id
    written as ids are (no leading zeros); empty when neither names a case."""
    reference = reference.strip()
    if _has_cases():
        found = db.session.scalars(
            select(_cases.c.id).where(_cases.c.number == reference.upper())
        ).all()
        if found:
            return tuple(sorted(found))
    case_id = _plain_id(reference)
    return (case_id,) if case_id is not None and _known_id(case_id) else ()


def case_numbers(ids: Iterable[int | None]) -> dict[int, str]:
    """Case numbers for the given ids, in one query (no query per row)."""
    wanted = {case_id for case_id in ids if case_id is not None}
    if not wanted or not _has_cases():
        return {}
    rows = db.session.execute(
        select(_cases.c.id, _cases.c.number).where(_cases.c.id.in_(wanted))
    ).all()
    return {row.id: row.number for row in rows}
