"""Blind indexes: truncated HMAC-SHA256 of normalised values, one derived key per index.

Equality search without plaintext: a row's entries are HMAC(k_index, normalised value)
truncated to WIDTH_BITS (see docs/encryption.md for how the width was chosen). Truncation
makes unrelated rows collide now and then, so lookups return *candidates* that the caller
confirms after decryption; a genuine match is never missed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from casemgr.crypto.keyring import KeyRing
from casemgr.crypto.models import BlindIndexEntry

# Chosen for 10^6 rows: about 0.06 false candidates per lookup (10^6 / 2^24), while a single
# index value still stands for many possible plaintexts if the index key ever leaked.
WIDTH_BITS = 24
_WIDTH_BYTES = WIDTH_BITS // 8
entries = BlindIndexEntry.__table__


@dataclass(frozen=True)
class BlindIndex:
    """A named index over one or more encrypted fields of a model.

    `terms` receives the fields' plaintexts (in order) and returns the normalised terms to
    index: none (nothing to find), one (national id, whole name) or several (name tokens).
    """

    name: str  # "<table>.<index>": unique across the database
    fields: tuple[str, ...]
    terms: Callable[..., Iterable[str]]


def value_of(key: bytes, term: str) -> int:
    """The truncated keyed hash of one normalised term."""
    digest = hmac.new(key, term.encode("utf-8"), hashlib.sha256).digest()
    return int.from_bytes(digest[:_WIDTH_BYTES], "big")


def rows_for(
    ring: KeyRing, key_ids: Iterable[str], table: str, row_id: int, index: BlindIndex, terms
) -> list[dict]:
    """Entry rows for one row's terms of one index under each given index key."""
    out = []
    distinct = sorted(set(terms))
    for key_id in key_ids:
        key = ring.index_key(key_id, index.name)
        values = {value_of(key, term) for term in distinct}
        out.extend(
            {
                "table_name": table,
                "row_id": row_id,
                "index_name": index.name,
                "key_id": key_id,
                "value": value,
            }
            for value in sorted(values)
        )
    return out


def replace_entries(
    session: Session,
    table: str,
    row_ids: list[int],
    index_names: list[str],
    rows: list[dict],
    key_ids: list[str] | None = None,
) -> None:
    """Delete the given rows' entries of the given indexes (under `key_ids`, or all), then
    insert `rows`."""
    if row_ids and index_names:
        condition = sa.and_(
            entries.c.table_name == table,
            entries.c.row_id.in_(row_ids),
            entries.c.index_name.in_(index_names),
        )
        if key_ids is not None:
            condition = sa.and_(condition, entries.c.key_id.in_(key_ids))
        session.execute(entries.delete().where(condition))
    if rows:
        session.execute(entries.insert(), rows)


def delete_row_entries(session: Session, table: str, row_id: int) -> None:
    """Remove every entry of one row (erasure: the person can no longer be found)."""
    session.execute(
        entries.delete().where(entries.c.table_name == table, entries.c.row_id == row_id)
    )


# Aliases are immutable and costly to build (their column collections): made once, reused.
_DRIVER = entries.alias("driver")
_OTHERS: list[sa.Alias] = []


def _other(position: int) -> sa.Alias:
    while len(_OTHERS) <= position:
        _OTHERS.append(entries.alias(f"term{len(_OTHERS)}"))
    return _OTHERS[position]


def candidates(
    session: Session, ring: KeyRing, table: str, index: BlindIndex, terms: Iterable[str]
) -> sa.Select | None:
    """A select of row ids whose entries hold *every* term (under the active index key).

    The last term drives the lookup and the others are checked per candidate row: callers pass
    the most selective term last (for names as typed in Vietnamese order, the given name).
    None when there is no term to look for.
    """
    key = ring.active_index
    derived = ring.index_key(key.id, index.name)
    values = list(dict.fromkeys(value_of(derived, t) for t in terms))
    if not values:
        return None
    driver = _DRIVER
    # Index names carry their table ("persons.phone"): the driver needs no table_name
    # condition, and so uses the (index_name, key_id, value) index alone.
    statement = sa.select(driver.c.row_id).where(
        driver.c.index_name == index.name,
        driver.c.key_id == key.id,
        driver.c.value == values[-1],
    )
    for position, value in enumerate(values[:-1]):
        other = _other(position)
        # One probe of the (index_name, key_id, value, row_id) index per candidate row. OFFSET
        # keeps PostgreSQL from turning this into a semi-join, which without fresh statistics
        # it runs as a full inner scan per driver row.
        probe = (
            sa.select(sa.literal(1))
            .where(
                other.c.index_name == index.name,
                other.c.key_id == key.id,
                other.c.value == value,
                other.c.row_id == driver.c.row_id,
            )
            .offset(0)
        )
        statement = statement.where(sa.exists(probe))
    return statement


def any_candidates(
    session: Session, ring: KeyRing, index: BlindIndex, terms: Iterable[str]
) -> sa.Select | None:
    """A select of row ids whose entries hold *any* of the terms (under the active index key);
    None when there is no term to look for."""
    key = ring.active_index
    derived = ring.index_key(key.id, index.name)
    values = sorted({value_of(derived, t) for t in terms})
    if not values:
        return None
    return sa.select(entries.c.row_id).where(
        entries.c.index_name == index.name,
        entries.c.key_id == key.id,
        entries.c.value.in_(values),
    )
