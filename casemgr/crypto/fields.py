"""Encrypted model attributes: code reads `person.given_name`, the row stores a bound ciphertext.

A model mixes in EncryptedModel (or DataSubject, for the person who owns a data key) and
declares `given_name = EncryptedField("given_name_enc")` next to the LargeBinary column.
Reading decrypts with the person's data key for this table, column and row; writing seals.
New rows get their ids before the flush (crypto.ids), so their values can be bound to them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, ClassVar

import sqlalchemy as sa
from flask import has_app_context, has_request_context
from markupsafe import escape
from sqlalchemy import event
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.attributes import instance_state

from casemgr.crypto import blind, envelope, ids
from casemgr.crypto.errors import IntegrityFailure, PersonErased
from casemgr.crypto.models import DataKey
from casemgr.crypto.valueformat import ValueContext, open_value, seal

_PENDING = "_casemgr_pending"  # plaintexts of a row without an id yet, sealed at flush
_CHANGED = "_casemgr_changed"  # encrypted fields set since the last flush (blind indexes)
_CONTEXTS = "_casemgr_contexts"  # per column: what its values are bound to
_NEW_KEYS = "casemgr.new_data_keys"

ENCRYPTED_MODELS: list[type[EncryptedModel]] = []


class Erased:
    """What an erased person's fields read as: explicit, never blank, never a value."""

    __slots__ = ()

    def __str__(self) -> str:
        if has_app_context():
            from flask_babel import gettext

            return gettext("[erased]")
        return "[erased]"

    def __repr__(self) -> str:
        return "<erased>"

    def __html__(self) -> str:
        return str(escape(str(self)))


ERASED = Erased()


class EncryptedField:
    """Descriptor for one encrypted attribute stored in the LargeBinary column `column`."""

    def __init__(self, column: str, *, kind: type = str) -> None:
        self.column = column
        self.kind = kind
        self.name = column

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        fields = dict(owner.__dict__.get("__encrypted_fields__", {}))
        fields[name] = self
        owner.__encrypted_fields__ = fields

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        pending = obj.__dict__.get(_PENDING)
        if pending and self.name in pending:
            return pending[self.name]
        blob = getattr(obj, self.column)
        person_id = obj.encryption_person_id()
        row_id = obj.id
        if row_id is None or person_id is None:
            return None  # a row not flushed yet, with nothing set on this field
        key = envelope.open_key(_session(obj), person_id)
        if key is envelope.DESTROYED:
            return ERASED
        if blob is None:
            return None
        context = _context(obj, self.column, row_id, person_id)
        try:
            plaintext = open_value(key.aead_for, blob, context)
            return plaintext.decode("utf-8") if self.kind is str else plaintext
        except (IntegrityFailure, UnicodeDecodeError) as exc:
            failure = IntegrityFailure(
                str(exc) if isinstance(exc, IntegrityFailure) else "value is not text",
                table=context.table,
                column=context.column,
                row_id=context.row_id,
            )
            report_integrity_failure(failure)
            raise failure from None

    def __set__(self, obj: Any, value: Any) -> None:
        if value is not None and not isinstance(value, self.kind):
            raise TypeError(f"{self.name} takes {self.kind.__name__} or None")
        changed = obj.__dict__.get(_CHANGED)
        if changed is None:
            changed = obj.__dict__[_CHANGED] = set()
        changed.add(self.name)
        if obj.id is not None and instance_state(obj).has_identity:
            person_id = obj.encryption_person_id()
            key = envelope.open_key(_session(obj), person_id)
            if key is envelope.DESTROYED:
                raise PersonErased("this person was erased")
            setattr(obj, self.column, _seal(key, self, obj, person_id, value))
        else:
            obj.__dict__.setdefault(_PENDING, {})[self.name] = value


def _session(obj: Any) -> Session:
    session = object_session(obj)
    if session is None:
        from casemgr.extensions import db

        session = db.session
    return session


def _seal(key: Any, field: EncryptedField, obj: Any, person_id: int, value: Any) -> bytes | None:
    if value is None:
        return None
    data = value.encode("utf-8") if field.kind is str else bytes(value)
    return seal(key.aead, key.key_id, data, _context(obj, field.column, obj.id, person_id))


def _context(obj: Any, column: str, row_id: int, person_id: int) -> ValueContext:
    # Built once per object and column: the binding never changes for a persistent row.
    contexts = obj.__dict__.get(_CONTEXTS)
    if contexts is None:
        contexts = obj.__dict__[_CONTEXTS] = {}
    context = contexts.get(column)
    if context is None or context.row_id != row_id or context.person_id != person_id:
        context = contexts[column] = ValueContext(
            type(obj).__tablename__, column, row_id, person_id
        )
    return context


def report_integrity_failure(failure: IntegrityFailure) -> None:
    """Audit a value that failed to authenticate (where it lives, never what it holds)."""
    from casemgr.audit import record

    actor = None
    if has_request_context():
        from flask_login import current_user

        if current_user.is_authenticated:
            actor = current_user
    try:
        record(
            "crypto.integrity_failure",
            actor=actor,
            object_type=failure.table,
            object_id=failure.row_id,
            fields=[failure.column] if failure.column else [],
            outcome="error",
        )
    except Exception:  # the failure itself is still raised: nothing is shown either way
        import logging

        logging.getLogger(__name__).exception("could not audit an integrity failure")


class EncryptedModel:
    """Mixin for models with encrypted fields, sealed under the data key of `person_id`."""

    __encrypted_fields__: ClassVar[dict[str, EncryptedField]] = {}
    __blind_indexes__: ClassVar[tuple[blind.BlindIndex, ...]] = ()
    __person_id_attribute__: ClassVar[str] = "person_id"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__tablename__" in cls.__dict__:
            ENCRYPTED_MODELS.append(cls)

    @classmethod
    def encrypted_columns(cls) -> tuple[str, ...]:
        """The LargeBinary columns that hold this model's sealed values."""
        return tuple(field.column for field in cls.__encrypted_fields__.values())

    def encryption_person_id(self) -> int | None:
        """The id of the person whose data key seals this row's values."""
        return getattr(self, self.__person_id_attribute__)


class DataSubject(EncryptedModel):
    """Mixin for the person model itself: each new row gets its own data key at flush."""

    __person_id_attribute__ = "id"


def forget_plaintexts(obj: Any) -> None:
    """Drop unsealed values held on an object (erasure)."""
    obj.__dict__.pop(_PENDING, None)
    obj.__dict__.pop(_CHANGED, None)


# -- blind-index entries ---------------------------------------------------------------------


def index_entry_rows(
    obj: Any, key_ids: list[str], only: set[str] | None = None
) -> tuple[list[str], list[dict]]:
    """The blind-index entry rows of one object under `key_ids` (and the index names covered)."""
    ring = envelope.keyring()
    table = type(obj).__tablename__
    names: list[str] = []
    rows: list[dict] = []
    for index in type(obj).__blind_indexes__:
        if only is not None and not only.intersection(index.fields):
            continue
        values = [getattr(obj, name) for name in index.fields]
        names.append(index.name)
        if any(value is ERASED for value in values):
            continue
        rows.extend(blind.rows_for(ring, key_ids, table, obj.id, index, index.terms(*values)))
    return names, rows


def _update_indexes(session: Session, objs: list[Any], new: set[int]) -> None:
    ring = envelope.keyring()
    key_ids = [entry.id for entry in ring.index_write_keys()]
    grouped: dict[str, tuple[list[int], set[str], list[dict]]] = defaultdict(
        lambda: ([], set(), [])
    )
    for obj in objs:
        changed = obj.__dict__.pop(_CHANGED, None)
        if not changed or not type(obj).__blind_indexes__:
            continue
        names, rows = index_entry_rows(obj, key_ids, changed)
        row_ids, all_names, all_rows = grouped[type(obj).__tablename__]
        if id(obj) not in new:
            row_ids.append(obj.id)
        all_names.update(names)
        all_rows.extend(rows)
    for table, (row_ids, names, rows) in grouped.items():
        blind.replace_entries(session, table, row_ids, sorted(names), rows)


# -- flush hooks ----------------------------------------------------------------------------


def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    new = [obj for obj in session.new if isinstance(obj, EncryptedModel)]
    dirty = [
        obj
        for obj in session.dirty
        if isinstance(obj, EncryptedModel) and obj.__dict__.get(_CHANGED)
    ]
    if not new and not dirty:
        return
    without_id: dict[sa.Table, list[Any]] = defaultdict(list)
    for obj in new:
        if obj.id is None:
            without_id[type(obj).__table__].append(obj)
    # Data subjects first: other new rows may belong to a person created in the same flush.
    subjects_first = sorted(
        without_id.items(), key=lambda item: not isinstance(item[1][0], DataSubject)
    )
    for table, objs in subjects_first:
        for obj, new_id in zip(objs, ids.allocate(session, table, len(objs)), strict=True):
            obj.id = new_id
    subjects = [obj.id for obj in new if isinstance(obj, DataSubject)]
    session.info.setdefault(_NEW_KEYS, []).extend(envelope.new_data_keys(session, subjects))
    _update_indexes(session, new + dirty, {id(obj) for obj in new})
    for obj in new:
        pending = obj.__dict__.pop(_PENDING, None)
        if not pending:
            continue
        person_id = obj.encryption_person_id()
        key = envelope.open_key(session, person_id)
        if key is envelope.DESTROYED:
            raise PersonErased("this person was erased")
        fields = type(obj).__encrypted_fields__
        for name, value in pending.items():
            setattr(obj, fields[name].column, _seal(key, fields[name], obj, person_id, value))


def _after_flush(session: Session, flush_context: Any) -> None:
    rows = session.info.pop(_NEW_KEYS, None)
    if rows:
        session.connection().execute(DataKey.__table__.insert(), rows)


def _after_rollback(session: Session, previous_transaction: Any) -> None:
    # Ids (and so cached keys) may be reused after a rollback on SQLite: start afresh.
    session.info.pop(_NEW_KEYS, None)
    envelope.forget(session)


def install_events() -> None:
    """Attach the flush hooks to every ORM session (idempotent)."""
    for name, handler in (
        ("before_flush", _before_flush),
        ("after_flush", _after_flush),
        ("after_soft_rollback", _after_rollback),
    ):
        if not event.contains(Session, name, handler):
            event.listen(Session, name, handler)
