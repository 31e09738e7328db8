"""Key rotation: re-wrap data keys under a new master key, re-index under a new index key.

Both run in batches, each committed by the caller, and pick up where they stopped: re-wrapping
selects the data keys not yet under the active master key; re-indexing keeps its last row id.
The app keeps serving throughout: a data key row is either under the old key or the new one,
and both can unwrap until the old key is retired.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casemgr.clock import utcnow
from casemgr.crypto import blind, envelope, fields
from casemgr.crypto.keyring import KeyRing
from casemgr.crypto.models import BlindIndexEntry, DataKey, IndexJob

_keys = DataKey.__table__
_entries = BlindIndexEntry.__table__


class RotationRefused(RuntimeError):
    """A key operation that would leave data unreadable or unsearchable; the message says why."""


def live_keys_not_on(ring: KeyRing) -> sa.ColumnElement[bool]:
    """Data keys not destroyed and not yet wrapped under the active master key."""
    return sa.and_(_keys.c.destroyed_at.is_(None), _keys.c.master_key_id != ring.active_master.id)


def data_key_counts(session: Session) -> list[tuple[str, str, int]]:
    """(master key id, "live" or "destroyed", count) for every data key."""
    state = sa.case((_keys.c.destroyed_at.is_(None), "live"), else_="destroyed")
    rows = session.execute(
        sa.select(_keys.c.master_key_id, state, sa.func.count())
        .group_by(_keys.c.master_key_id, state)
        .order_by(_keys.c.master_key_id)
    ).all()
    return [tuple(row) for row in rows]


def pending_rewrap(session: Session, ring: KeyRing) -> int:
    """How many live data keys are still wrapped under a key other than the active one."""
    return session.execute(
        sa.select(sa.func.count()).select_from(_keys).where(live_keys_not_on(ring))
    ).scalar_one()


def rewrap_batch(session: Session, ring: KeyRing, batch_size: int) -> int:
    """Re-wrap up to `batch_size` data keys under the active master key; return how many."""
    active = ring.active_master.id
    statement = (
        sa.select(_keys.c.id, _keys.c.person_id, _keys.c.wrapped_key, _keys.c.master_key_id)
        .where(live_keys_not_on(ring))
        .order_by(_keys.c.id)
        .limit(batch_size)
    )
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)  # two runners share the work
    rows = session.execute(statement).all()
    if not rows:
        return 0
    params = []
    for row in rows:
        raw = envelope.unwrap(ring, row.master_key_id, row.person_id, row.wrapped_key)
        params.append(
            {
                "b_id": row.id,
                "b_old": row.master_key_id,
                "b_wrapped": envelope.wrap(ring, active, row.person_id, raw),
                "b_new": active,
            }
        )
    # The conditions make a concurrent erasure win: a destroyed key is never re-wrapped.
    session.execute(
        _keys.update()
        .where(
            _keys.c.id == sa.bindparam("b_id"),
            _keys.c.master_key_id == sa.bindparam("b_old"),
            _keys.c.destroyed_at.is_(None),
        )
        .values(wrapped_key=sa.bindparam("b_wrapped"), master_key_id=sa.bindparam("b_new")),
        params,
    )
    return len(rows)


def rewrap_all(
    session: Session,
    ring: KeyRing,
    *,
    batch_size: int = 1000,
    commit: Callable[[], None],
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Re-wrap every remaining data key, committing after each batch; return how many."""
    total = 0
    while True:
        done = rewrap_batch(session, ring, batch_size)
        if not done:
            return total
        commit()
        total += done
        if on_batch is not None:
            on_batch(done)


def check_master_retirable(session: Session, ring: KeyRing, key_id: str) -> None:
    """Refuse to retire the active master key, or one that still wraps a live data key."""
    if key_id == ring.active_master.id:
        raise RotationRefused(f"master key {key_id} is the active key; rotate first")
    users = session.execute(
        sa.select(sa.func.count())
        .select_from(_keys)
        .where(_keys.c.master_key_id == key_id, _keys.c.destroyed_at.is_(None))
    ).scalar_one()
    if users:
        raise RotationRefused(
            f"master key {key_id} still wraps {users} data keys; run 'keys rotate' to finish"
        )


# -- blind-index keys ------------------------------------------------------------------------


def indexed_models() -> list[type]:
    """Models that declare blind indexes."""
    return [model for model in fields.ENCRYPTED_MODELS if model.__blind_indexes__]


def index_rows_total(session: Session) -> int:
    """Rows a re-index goes through (for the progress bar)."""
    return sum(
        session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()
        for model in indexed_models()
    )


def reindex_batch(
    session: Session, ring: KeyRing, key_id: str, model: type, batch_size: int
) -> int:
    """Fill the next `batch_size` rows' entries under `key_id`; return how many rows."""
    table = model.__tablename__
    job = session.get(IndexJob, (key_id, table))
    if job is None:
        job = IndexJob(key_id=key_id, table_name=table, last_row_id=0)
        session.add(job)
    if job.finished_at is not None:
        return 0
    objs = list(
        session.scalars(
            sa.select(model).where(model.id > job.last_row_id).order_by(model.id).limit(batch_size)
        )
    )
    envelope.preload(session, [obj.encryption_person_id() for obj in objs])
    names: set[str] = {index.name for index in model.__blind_indexes__}
    rows: list[dict] = []
    for obj in objs:
        _, obj_rows = fields.index_entry_rows(obj, [key_id])
        rows.extend(obj_rows)
    blind.replace_entries(
        session, table, [obj.id for obj in objs], sorted(names), rows, key_ids=[key_id]
    )
    if objs:
        job.last_row_id = objs[-1].id
    if len(objs) < batch_size:
        job.finished_at = utcnow()
    session.flush()
    for obj in objs:  # a long run must not hold every row it has seen
        session.expunge(obj)
    return len(objs)


def reindex_all(
    session: Session,
    ring: KeyRing,
    key_id: str,
    *,
    batch_size: int = 1000,
    commit: Callable[[], None],
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Fill every indexed table's entries under `key_id`, committing after each batch."""
    total = 0
    for model in indexed_models():
        while True:
            done = reindex_batch(session, ring, key_id, model, batch_size)
            commit()
            total += done
            if on_batch is not None and done:
                on_batch(done)
            if done < batch_size:
                break
    return total


def drop_index_entries(session: Session, key_id: str) -> int:
    """Delete every entry under a retired index key; return how many."""
    result = session.execute(_entries.delete().where(_entries.c.key_id == key_id))
    return result.rowcount


def check_index_retirable(ring: KeyRing, key_id: str) -> None:
    """Refuse to retire the active index key or the one being filled in."""
    entry = next((e for e in ring.material.index_keys if e.id == key_id), None)
    if entry is None:
        raise RotationRefused(f"no index key {key_id}")
    if entry.state in ("active", "pending"):
        raise RotationRefused(f"index key {key_id} is {entry.state}; it is still needed")
