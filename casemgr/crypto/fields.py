"""Encrypted model attributes: code reads `person.given_name`, the row stores a bound ciphertext.

A model mixes in EncryptedModel (or DataSubject, for the person who owns a data key) and
declares `given_name = EncryptedField("given_name_enc")` next to the LargeBinary column.
Reading decrypts with the person's data key for this table, column and row; writing seals.
New rows get their ids before the flush (crypto.ids), so their values can be bound to them.
Every row also carries `enc_version` and `enc_seal` (crypto.rowseal): each change advances
the version and re-seals the row, and each read checks the seal once per loaded row, so an
older value or a NULL where a value was is refused like a tampered one.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, ClassVar

import sqlalchemy as sa
from flask import has_app_context, has_request_context
from markupsafe import escape
from sqlalchemy import Integer, LargeBinary, event
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, Session, mapped_column, object_session
from sqlalchemy.orm.attributes import flag_modified, instance_state
from sqlalchemy.sql.functions import FunctionElement

from casemgr.crypto import blind, envelope, ids, rowseal
from casemgr.crypto.errors import IntegrityFailure, PersonErased
from casemgr.crypto.models import DataKey
from casemgr.crypto.valueformat import ValueContext, open_value, seal

_PENDING = "_casemgr_pending"  # plaintexts of a row without an id yet, sealed at flush
_CHANGED = "_casemgr_changed"  # encrypted fields set since the last flush (blind indexes)
_CONTEXTS = "_casemgr_contexts"  # per column: what its values are bound to
_VERIFIED = "_casemgr_verified"  # the row seal and values last verified for this object
# Per field: (ciphertext, plaintext) last opened or sealed on this object. An object lives in
# one request's session, so the value is never kept across requests or users; it is reused
# only while the object still holds that very ciphertext (a reload or a change replaces it).
_PLAIN = "_casemgr_plain"
_MISSING = object()
_NEW_KEYS = "casemgr.new_data_keys"
_REPORTED = "casemgr.reported_failures"  # (table, row id) audited in this transaction

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


class Unreadable:
    """What lists show for a person or record whose values failed their integrity check."""

    __slots__ = ()

    def __str__(self) -> str:
        if has_app_context():
            from flask_babel import gettext

            return gettext("[unreadable]")
        return "[unreadable]"

    def __repr__(self) -> str:
        return "<unreadable>"

    def __html__(self) -> str:
        return str(escape(str(self)))

    def __bool__(self) -> bool:
        return True


UNREADABLE = Unreadable()


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
        state = obj.__dict__
        kept = state.get(_PLAIN)
        if kept is not None:
            # The value opened (or sealed) last on this object, while the object still holds
            # that very ciphertext, its row is as verified, and its key is not withdrawn.
            hit = kept.get(self.name)
            if (
                hit is not None
                and state.get(self.column) is hit[0]
                and not hit[2].revoked
                and _still_verified(obj)
            ):
                return hit[1]
        pending = state.get(_PENDING)
        if pending and self.name in pending:
            return pending[self.name]
        blob = getattr(obj, self.column)
        person_id = obj.encryption_person_id()
        row_id = obj.id
        if row_id is None or person_id is None or not instance_state(obj).has_identity:
            return None  # a row not flushed yet, with nothing set on this field
        table = type(obj).__tablename__
        try:
            key = envelope.open_key(_session(obj), person_id)
            if key is envelope.DESTROYED:
                return ERASED
            context = _context(obj, self.column, row_id, person_id)
            plaintext = None if blob is None else open_value(key.aead_for, blob, context)
            verify_row(obj, key)
            if plaintext is None:
                return None
            value = plaintext.decode("utf-8") if self.kind is str else plaintext
            _keep(obj, self.name, blob, value, key)
            return value
        except IntegrityFailure as exc:
            failure = exc if exc.table is not None else exc.located(table, self.column, row_id)
        except UnicodeDecodeError:
            failure = IntegrityFailure(
                "value is not text", table=table, column=self.column, row_id=row_id,
                reason="invalid text",
            )  # fmt: skip
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
            try:
                key = envelope.open_key(_session(obj), person_id)
                if key is envelope.DESTROYED:
                    raise PersonErased("this person was erased")
                verify_row(obj, key)  # never re-seal (and so launder) a tampered row
            except IntegrityFailure as exc:
                failure = (
                    exc
                    if exc.table is not None
                    else exc.located(type(obj).__tablename__, None, obj.id)
                )
                report_integrity_failure(failure)
                raise failure from None
            generation = _advance(obj)
            blob = _seal(key, self, obj, person_id, value, generation)
            setattr(obj, self.column, blob)
            _reseal(obj, key, person_id)
            if blob is not None:
                _keep(obj, self.name, blob, value, key)
        else:
            obj.__dict__.setdefault(_PENDING, {})[self.name] = value


def _keep(obj: Any, name: str, blob: bytes, value: Any, key: envelope.OpenKey) -> None:
    """Remember the plaintext of the ciphertext now on the object (see _PLAIN), with the key
    that opened it: a key withdrawn from the request's cache (an erasure, a rollback) ends it."""
    kept = obj.__dict__.get(_PLAIN)
    if kept is None:
        kept = obj.__dict__[_PLAIN] = {}
    kept[name] = (blob, value, key)


def _advance(obj: Any) -> int:
    """The row's new version: advanced once per flush, however many fields change."""
    if "enc_version" not in instance_state(obj).committed_state:
        obj.enc_version = (obj.enc_version or 0) + 1
    return obj.enc_version


def _row_blobs(obj: Any) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    columns = type(obj).sealed_columns()
    return columns, tuple(getattr(obj, column) for column in columns)


def _reseal(obj: Any, key: envelope.OpenKey, person_id: int) -> None:
    """Recompute the row seal; the UPDATE then carries every encrypted column with it."""
    columns, blobs = _row_blobs(obj)
    obj.enc_seal = rowseal.compute(
        key.row_key, type(obj).__tablename__, obj.id, person_id, obj.enc_version or 0,
        columns, blobs,
    )  # fmt: skip
    state = instance_state(obj)
    if state.has_identity:
        # A concurrent writer of another column must not leave a row whose seal matches
        # neither: the last writer writes the whole encrypted state.
        for column, blob in zip(columns, blobs, strict=True):
            if column in state.committed_state:
                continue  # already changed since the last flush: the UPDATE carries it
            if column in obj.__dict__:
                flag_modified(obj, column)
            else:  # never loaded (a NULL the INSERT left out): set it, so the UPDATE has it
                setattr(obj, column, blob)
    obj.__dict__[_VERIFIED] = (obj.enc_seal, blobs)


def _still_verified(obj: Any) -> bool:
    """Whether the object holds the very seal and values checked last time: nothing was
    reloaded or changed since."""
    state = obj.__dict__
    verified = state.get(_VERIFIED)
    if verified is None or verified[0] is not state.get("enc_seal", _MISSING):
        return False
    for column, blob in zip(type(obj).sealed_columns(), verified[1], strict=True):
        if state.get(column, _MISSING) is not blob:
            return False
    return True


def verify_row(obj: Any, key: envelope.OpenKey) -> None:
    """Check the row seal (once per loaded state of the row); IntegrityFailure if it differs."""
    if _still_verified(obj):
        return
    state = obj.__dict__
    columns, blobs = _row_blobs(obj)
    stored = obj.enc_seal
    table = type(obj).__tablename__
    person_id = obj.encryption_person_id()
    version = obj.enc_version or 0
    if not rowseal.matches(key.row_key, stored, table, obj.id, person_id, version, columns, blobs):
        raise _culprit(obj, key, columns, blobs) or IntegrityFailure(
            "row seal does not match: a value was rolled back, blanked or replaced",
            table=table,
            row_id=obj.id,
            reason="row seal",
        )
    state[_VERIFIED] = (stored, blobs)


def _culprit(
    obj: Any, key: envelope.OpenKey, columns: tuple[str, ...], blobs: tuple[Any, ...]
) -> IntegrityFailure | None:
    """On a seal mismatch, the first value that is not genuine where it is, to name its column
    in the audit trail (None: every value is genuine, so one was rolled back or blanked)."""
    person_id = obj.encryption_person_id()
    for column, blob in zip(columns, blobs, strict=True):
        if blob is None:
            continue
        try:
            open_value(key.aead_for, blob, _context(obj, column, obj.id, person_id))
        except IntegrityFailure as exc:
            return exc.located(type(obj).__tablename__, column, obj.id)
    return None


def ensure_readable(obj: Any) -> None:
    """Open every encrypted field of `obj` (a detail page): IntegrityFailure if one fails."""
    for name in type(obj).__encrypted_fields__:
        getattr(obj, name)


def _session(obj: Any) -> Session:
    session = object_session(obj)
    if session is None:
        from casemgr.extensions import db

        session = db.session
    return session


def _seal(
    key: Any, field: EncryptedField, obj: Any, person_id: int, value: Any, generation: int
) -> bytes | None:
    if value is None:
        return None
    data = value.encode("utf-8") if field.kind is str else bytes(value)
    context = _context(obj, field.column, obj.id, person_id)
    return seal(key.aead, key.key_id, data, context, generation=generation)


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


def report_integrity_failure(failure: IntegrityFailure, *, force: bool = False) -> None:
    """Audit a value or key that failed to open, and raise its integrity alert.

    Records where it lives (table, row id, column) and a reason code, never what it holds;
    once per object and transaction, however many of its fields are read (`force` records
    again, after a rollback dropped the first record).
    """
    from casemgr.audit import record
    from casemgr.audit.alerts import raise_integrity_alert
    from casemgr.extensions import db

    session = db.session
    reported = session.info.setdefault(_REPORTED, set())
    seen = (failure.table, failure.row_id)
    if seen in reported and not force:
        return
    reported.add(seen)
    actor = None
    if has_request_context():
        from flask_login import current_user

        if current_user.is_authenticated:
            actor = current_user
    try:
        with session.no_autoflush:
            event = record(
                "crypto.integrity_failure",
                actor=actor,
                object_type=failure.table,
                object_id=failure.row_id,
                fields=[failure.column] if failure.column else [],
                outcome="error",
                reason=failure.reason,
            )
            raise_integrity_alert(event)
    except Exception:  # the failure itself is still raised: nothing is shown either way
        import logging

        logging.getLogger(__name__).exception("could not audit an integrity failure")


class EncryptedModel:
    """Mixin for models with encrypted fields, sealed under the data key of `person_id`."""

    __encrypted_fields__: ClassVar[dict[str, EncryptedField]] = {}
    __blind_indexes__: ClassVar[tuple[blind.BlindIndex, ...]] = ()
    __person_id_attribute__: ClassVar[str] = "person_id"
    __sealed_columns__: ClassVar[tuple[str, ...] | None] = None

    # The row's version (advanced on every change of an encrypted field) and its seal.
    enc_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    enc_seal: Mapped[bytes | None] = mapped_column(LargeBinary(rowseal.SEAL_BYTES))

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__tablename__" in cls.__dict__:
            ENCRYPTED_MODELS.append(cls)

    @classmethod
    def encrypted_columns(cls) -> tuple[str, ...]:
        """The LargeBinary columns that hold this model's sealed values."""
        return tuple(field.column for field in cls.__encrypted_fields__.values())

    @classmethod
    def sealed_columns(cls) -> tuple[str, ...]:
        """The encrypted columns in the row seal's order (by name)."""
        found = cls.__dict__.get("__sealed_columns__")
        if found is None:
            found = tuple(sorted(cls.encrypted_columns()))
            cls.__sealed_columns__ = found
        return found

    def encryption_person_id(self) -> int | None:
        """The id of the person whose data key seals this row's values."""
        return getattr(self, self.__person_id_attribute__)


class DataSubject(EncryptedModel):
    """Mixin for the person model itself: each new row gets its own data key at flush.

    `__erased_at_attribute__` names the tombstone column: a destroyed data key reads as
    erased only when that column is set (the erasure record); otherwise it is tampering.
    """

    __person_id_attribute__ = "id"
    __erased_at_attribute__: ClassVar[str] = "erased_at"


def forget_plaintexts(obj: Any) -> None:
    """Drop unsealed values held on an object (erasure)."""
    obj.__dict__.pop(_PENDING, None)
    obj.__dict__.pop(_CHANGED, None)
    obj.__dict__.pop(_PLAIN, None)


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
        person_id = obj.encryption_person_id()
        if person_id is None:
            continue  # belongs to no person yet: nothing sealed, reads give None
        key = envelope.open_key(session, person_id)
        if key is envelope.DESTROYED:
            if pending:
                raise PersonErased("this person was erased")
            obj.enc_version, obj.enc_seal = 0, None  # nothing to seal, reads say erased
            continue
        obj.enc_version = 1
        fields = type(obj).__encrypted_fields__
        for name, value in (pending or {}).items():
            field = fields[name]
            blob = _seal(key, field, obj, person_id, value, 1)
            setattr(obj, field.column, blob)
            if blob is not None:
                _keep(obj, name, blob, value, key)
        _reseal(obj, key, person_id)


def _after_flush(session: Session, flush_context: Any) -> None:
    rows = session.info.pop(_NEW_KEYS, None)
    if rows:
        session.connection().execute(DataKey.__table__.insert(), rows)


def _after_rollback(session: Session, previous_transaction: Any) -> None:
    # Ids (and so cached keys) may be reused after a rollback on SQLite: start afresh.
    session.info.pop(_NEW_KEYS, None)
    session.info.pop(_REPORTED, None)  # the audit records were rolled back too
    envelope.forget(session)


class _AsBlob(FunctionElement):
    """An encrypted column read as bytes whatever its storage class (SQLite)."""

    type = LargeBinary()
    inherit_cache = True


@compiles(_AsBlob)
def _as_blob_default(element: _AsBlob, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(_AsBlob, "sqlite")
def _as_blob_sqlite(element: _AsBlob, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS BLOB)"


class SealedBlob(sa.types.TypeDecorator):
    """LargeBinary that SQLite reads with CAST(... AS BLOB): a value tampered into TEXT with
    invalid UTF-8, or into a number, reaches the parser (and its audit) instead of failing
    the whole query in the driver."""

    impl = LargeBinary
    cache_ok = True

    def column_expression(self, column: Any) -> Any:
        return _AsBlob(column)


def _erased_by_record(session: Session, person_ids: list[int]) -> set[int]:
    subjects = [m for m in ENCRYPTED_MODELS if issubclass(m, DataSubject)]
    found: set[int] = set()
    for model in subjects:
        table = model.__table__
        erased_at = table.c[model.__erased_at_attribute__]
        found.update(
            session.execute(
                sa.select(table.c.id).where(table.c.id.in_(person_ids), erased_at.is_not(None))
            ).scalars()
        )
    return found


def _harden_columns() -> None:
    for model in ENCRYPTED_MODELS:
        for column in model.encrypted_columns():
            target = model.__table__.c[column]
            if not isinstance(target.type, SealedBlob):
                target.type = SealedBlob()


def install_events() -> None:
    """Attach the flush hooks to every ORM session (idempotent)."""
    _harden_columns()
    subjects = [m for m in ENCRYPTED_MODELS if issubclass(m, DataSubject)]
    if subjects:
        envelope.SUBJECT_TABLE = subjects[0].__tablename__
    envelope.erased_by_record = _erased_by_record
    for name, handler in (
        ("before_flush", _before_flush),
        ("after_flush", _after_flush),
        ("after_soft_rollback", _after_rollback),
    ):
        if not event.contains(Session, name, handler):
            event.listen(Session, name, handler)
