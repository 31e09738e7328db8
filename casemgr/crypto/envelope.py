"""Per-person data keys: created at random, kept only wrapped, unwrapped once per request.

A data key is wrapped with AES-256-GCM under a master key, bound by associated data to the
person id and the master key id, so a wrapped key copied to another person does not open.
Unwrapped keys live only in a request-scoped cache (the ORM session's) and are never logged.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from casemgr.clock import utcnow
from casemgr.crypto import ids, keycheck, rowseal
from casemgr.crypto.errors import IntegrityFailure, KeyUnavailable
from casemgr.crypto.keyring import KeyRing
from casemgr.crypto.models import DataKey
from casemgr.ops import metrics

DATA_KEY_BYTES = 32
WRAP_NONCE_BYTES = 12
CACHE_LIMIT = 4096  # a long CLI job must not keep every key it ever opened
_data_keys = DataKey.__table__


class OpenKey:
    """An unwrapped data key, ready to seal and open values; its repr shows no key."""

    __slots__ = ("aead", "key_id", "revoked", "row_key", "row_mac")

    def __init__(self, key_id: int, raw: bytes) -> None:
        self.key_id = key_id
        # Set when the key leaves the request's cache (destroyed, forgotten, evicted): values
        # kept on objects after it opened them are then read again (crypto.fields).
        self.revoked = False
        self.aead = AESGCM(raw)
        self.row_key = rowseal.row_key(raw)  # for row seals (crypto.rowseal)
        self.row_mac = rowseal.RowMac(self.row_key)  # the same MAC, its key blocks hashed once

    def aead_for(self, key_id: int) -> AESGCM:
        """This key's cipher, for a value that names this key; IntegrityFailure otherwise."""
        if key_id != self.key_id:
            raise IntegrityFailure("value names another data key")
        return self.aead

    def __repr__(self) -> str:
        return f"<OpenKey {self.key_id}>"


class _Destroyed:
    """Cache marker: the person's data key was destroyed."""

    def __repr__(self) -> str:
        return "<destroyed data key>"


DESTROYED = _Destroyed()


class Failed:
    """Cache marker: the person's key could not be opened (every read re-raises the failure)."""

    __slots__ = ("failure",)

    def __init__(self, failure: IntegrityFailure) -> None:
        self.failure = failure

    def __repr__(self) -> str:
        return f"<failed data key {self.failure.reason}>"


# Who the data subjects are and which of them the erasure record says were erased: set by
# crypto.fields from the DataSubject model (this module imports no model but its own).
SUBJECT_TABLE = "persons"
erased_by_record: Callable[[Session, list[int]], set[int]] | None = None


def _key_failure(person_id: int, reason: str, message: str) -> Failed:
    return Failed(
        IntegrityFailure(
            message, table=SUBJECT_TABLE, column="data_key", row_id=person_id, reason=reason
        )
    )


def keyring() -> KeyRing:
    """The app's key ring."""
    return current_app.extensions["casemgr.keyring"]


def _wrap_aad(person_id: int, master_key_id: str) -> bytes:
    return b"casemgr data key v1" + struct.pack(">Q", person_id) + master_key_id.encode()


def wrap(ring: KeyRing, master_key_id: str, person_id: int, raw: bytes) -> bytes:
    """Wrap a data key under a master key, bound to the person and the master key id."""
    nonce = os.urandom(WRAP_NONCE_BYTES)
    aead = ring.master_aead(master_key_id)
    metrics.KEY_OPERATIONS.labels("wrap").inc()
    return nonce + aead.encrypt(nonce, raw, _wrap_aad(person_id, master_key_id))


def unwrap(ring: KeyRing, master_key_id: str, person_id: int, wrapped: bytes) -> bytes:
    """Unwrap a data key; IntegrityFailure if it is not this person's under this master key."""
    aead = ring.master_aead(master_key_id)
    wrapped = bytes(wrapped)
    metrics.KEY_OPERATIONS.labels("unwrap").inc()
    try:
        return aead.decrypt(
            wrapped[:WRAP_NONCE_BYTES],
            wrapped[WRAP_NONCE_BYTES:],
            _wrap_aad(person_id, master_key_id),
        )
    except InvalidTag:
        raise IntegrityFailure(
            "wrapped data key failed to authenticate", table="data_keys", column="wrapped_key"
        ) from None


# -- the request-scoped cache ---------------------------------------------------------------
# Unwrapped keys live in the ORM session's info dict: Flask-SQLAlchemy's session lasts one
# request (or one CLI command) and is discarded at its end, and a rollback empties the cache.

_CACHE = "casemgr.data_keys"


def _cache(session: Session) -> dict[int, Any]:
    cache = session.info.get(_CACHE)
    if cache is None:
        cache = session.info[_CACHE] = {}
    return cache


def _revoke(value: Any) -> None:
    if isinstance(value, OpenKey):
        value.revoked = True


def _remember(session: Session, person_id: int, value: Any) -> None:
    cache = _cache(session)
    if len(cache) >= CACHE_LIMIT:
        for stale in list(cache)[: CACHE_LIMIT // 2]:
            _revoke(cache.pop(stale))
    _revoke(cache.get(person_id))
    cache[person_id] = value


def forget(session: Session | None = None, person_id: int | None = None) -> None:
    """Drop one person's unwrapped key, or every key, from the session's cache."""
    if session is None:
        if not has_app_context():
            return
        from casemgr.extensions import db

        session = db.session
    cache = session.info.get(_CACHE)
    if cache is None:
        return
    if person_id is None:
        for value in cache.values():
            _revoke(value)
        cache.clear()
    else:
        _revoke(cache.pop(person_id, None))


# -- creating, opening and destroying ------------------------------------------------------


def new_data_keys(session: Session, person_ids: list[int]) -> list[dict[str, Any]]:
    """Create data keys for new persons; return the rows to insert (the caller inserts them)."""
    if not person_ids:
        return []
    ring = keyring()
    keycheck.ensure_recorded(session, ring)
    master = ring.active_master
    rows = []
    key_ids = ids.allocate(session, _data_keys, len(person_ids))
    for key_id, person_id in zip(key_ids, person_ids, strict=True):
        raw = os.urandom(DATA_KEY_BYTES)
        rows.append(
            {
                "id": key_id,
                "person_id": person_id,
                "wrapped_key": wrap(ring, master.id, person_id, raw),
                "master_key_id": master.id,
                "created_at": utcnow(),
                "destroyed_at": None,
            }
        )
        _remember(session, person_id, OpenKey(key_id, raw))
    return rows


def _open_row(ring: KeyRing, row: Any, erased: bool) -> OpenKey | _Destroyed | Failed:
    """Open one data_keys row. A destroyed key counts only with the erasure record behind it."""
    if row.wrapped_key is None or row.destroyed_at is not None:
        if row.wrapped_key is None and row.destroyed_at is not None and erased:
            return DESTROYED
        if row.wrapped_key is None:
            return _key_failure(row.person_id, "null key", "data key is NULL without erasure")
        return _key_failure(row.person_id, "key state", "data key marked destroyed but present")
    try:
        raw = unwrap(ring, row.master_key_id, row.person_id, row.wrapped_key)
    except KeyUnavailable:
        return _key_failure(row.person_id, "unknown master key", "master key is not available")
    except IntegrityFailure:
        return _key_failure(row.person_id, "bad key", "wrapped data key failed to authenticate")
    return OpenKey(row.id, raw)


def _erased(session: Session, rows: list[Any]) -> set[int]:
    destroyed = [row.person_id for row in rows if row.wrapped_key is None]
    if not destroyed or erased_by_record is None:
        return set()
    with session.no_autoflush:
        return erased_by_record(session, destroyed)


def open_key(session: Session, person_id: int) -> OpenKey | _Destroyed:
    """The person's unwrapped data key (at most one unwrap per request), or DESTROYED.

    Raises IntegrityFailure (reason "null key", "key state", "unknown master key", "bad key"
    or "missing key") when the key cannot be opened; the failure is cached for the request.
    """
    found = _cache(session).get(person_id)
    if found is None:
        with session.no_autoflush:
            row = session.execute(
                sa.select(_data_keys).where(_data_keys.c.person_id == person_id)
            ).first()
        if row is None:
            found = _key_failure(person_id, "missing key", "no data key for this person")
        else:
            found = _open_row(keyring(), row, person_id in _erased(session, [row]))
        _remember(session, person_id, found)
    if isinstance(found, Failed):
        raise found.failure
    return found


def preload(session: Session, person_ids: Iterable[int]) -> None:
    """Unwrap the data keys of many persons with one query (list pages, search results).

    Never raises for one person's key: a key that cannot be opened is cached as failed, and
    raises only when one of that person's values is read.
    """
    cache = _cache(session)
    wanted = {pid for pid in person_ids if pid is not None and pid not in cache}
    if not wanted:
        return
    ring = keyring()
    with session.no_autoflush:
        rows = session.execute(
            sa.select(_data_keys).where(_data_keys.c.person_id.in_(sorted(wanted)))
        ).all()
    erased = _erased(session, rows)
    for row in rows:
        _remember(session, row.person_id, _open_row(ring, row, row.person_id in erased))
    for person_id in wanted.difference(row.person_id for row in rows):
        _remember(
            session,
            person_id,
            _key_failure(person_id, "missing key", "no data key for this person"),
        )


def destroy(session: Session, person_id: int) -> bool:
    """Crypto-shred a person: overwrite the wrapped key and mark it destroyed.

    Returns False if it was already destroyed. On SQLite, secure_delete makes the freed page
    content zeros in the file; PostgreSQL keeps the old row version until VACUUM (see
    docs/encryption.md for what that means for backups).
    """
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        session.execute(sa.text("PRAGMA secure_delete = ON"))
    result = session.execute(
        _data_keys.update()
        .where(_data_keys.c.person_id == person_id, _data_keys.c.destroyed_at.is_(None))
        .values(wrapped_key=None, destroyed_at=utcnow())
    )
    _remember(session, person_id, DESTROYED)
    metrics.KEY_OPERATIONS.labels("destroy").inc()
    return result.rowcount == 1
