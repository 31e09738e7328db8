"""Encrypted model attributes: code reads `person.given_name`, the row stores a bound ciphertext.

A model mixes in EncryptedModel (or DataSubject, for the person who owns a data key) and
declares `given_name = EncryptedField("given_name_enc")` next to the LargeBinary column.
Reading decrypts with the person's data key for this table, column and row; writing seals.
New rows get their ids before the flush (crypto.ids), so their values can be bound to them.
Every row also carries `enc_version` and `enc_seal` (crypto.rowseal): the first change since
a flush advances the version, the flush re-seals each changed row once, and reads check the
seal once per loaded state of the row, so an older value or a NULL where a value was is
refused like a tampered one.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from typing import Any, ClassVar

import sqlalchemy as sa
from flask import has_app_context, has_request_context
from markupsafe import escape
from sqlalchemy import Integer, LargeBinary, event
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, Session, mapped_column, object_session
from sqlalchemy.orm.attributes import NO_VALUE, flag_modified, instance_state
from sqlalchemy.sql.functions import FunctionElement

from casemgr.crypto import blind, envelope, ids, rowseal
from casemgr.crypto.errors import IntegrityFailure, PersonErased
from casemgr.crypto.models import DataKey
from casemgr.crypto.valueformat import ValueContext, header, open_value, seal, seal_headed

_PENDING = "_casemgr_pending"  # plaintexts of a row without an id yet, sealed at flush
_CHANGED = "_casemgr_changed"  # encrypted fields set since the last flush (blind indexes)
_CONTEXTS = "_casemgr_contexts"  # per column: what its values are bound to
# [key, sealed state, its reader, person column, session id]: the row state last verified for
# this object (seal, version, ids, every encrypted column), or that state plus the changes
# made through its fields since. Trusted while the object's state is equal to it and the key
# is open: compared by value, since equal inputs verify alike (the seal is a deterministic MAC
# of them), so reloading an unchanged row costs no new check; a rollback revokes the key, so
# a state this request wrote but did not keep is never trusted again.
_VERIFIED = "_casemgr_verified"
# (generation, key, value header) of the changes not sealed into the row yet (at the flush).
_UNSEALED = "_casemgr_unsealed"
_KEY = "_casemgr_key"  # (session id, person id, OpenKey): the key the session's cache holds
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
        self._impls: dict[type, Any] = {}

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
            if hit is not None and state.get(self.column) is hit[0] and not hit[2].revoked:
                verified = state.get(_VERIFIED)
                if verified is not None and not verified[0].revoked:
                    try:
                        if verified[1] == verified[2](state):  # see _VERIFIED
                            return hit[1]
                    except KeyError:  # an attribute expired: read and check it again
                        pass
        pending = state.get(_PENDING)
        if pending and self.name in pending:
            return pending[self.name]
        blob = state.get(self.column, _MISSING)
        if blob is _MISSING:
            blob = getattr(obj, self.column)
        layout = _LAYOUTS.get(type(obj)) or _layout(type(obj))
        person_id = state.get(layout.person_attribute, _MISSING)
        if person_id is _MISSING:
            person_id = obj.encryption_person_id()
        row_id = state.get("id")
        if row_id is None:
            row_id = obj.id
        if row_id is None or person_id is None or instance_state(obj).key is None:
            return None  # a row not flushed yet, with nothing set on this field
        try:
            key = _key(obj, person_id)
            if key is envelope.DESTROYED:
                return ERASED
            context = _context(obj, self.column, row_id, person_id)
            plaintext = None if blob is None else open_value(key.aead_for, blob, context)
            _verify(obj, key, layout, person_id)
            if plaintext is None:
                return None
            value = plaintext.decode("utf-8") if self.kind is str else plaintext
            _keep(obj, self.name, blob, value, key)
            return value
        except IntegrityFailure as exc:
            table = type(obj).__tablename__
            failure = exc if exc.table is not None else exc.located(table, self.column, row_id)
        except UnicodeDecodeError:
            failure = IntegrityFailure(
                "value is not text", table=type(obj).__tablename__, column=self.column,
                row_id=row_id, reason="invalid text",
            )  # fmt: skip
        report_integrity_failure(failure)
        raise failure from None

    def __set__(self, obj: Any, value: Any) -> None:
        if value is not None and not isinstance(value, self.kind):
            raise TypeError(f"{self.name} takes {self.kind.__name__} or None")
        state = obj.__dict__
        changed = state.get(_CHANGED)
        if changed is None:
            changed = state[_CHANGED] = set()
        changed.add(self.name)
        # The usual case first: a row verified (or written) in this session, its key open.
        verified = state.get(_VERIFIED)
        sa_state = instance_state(obj)
        key = None
        if verified is not None and verified[3] is not None and not verified[0].revoked:
            try:
                if (
                    verified[4] is not None  # a detached object opens its key again
                    and verified[4] == sa_state.session_id
                    and verified[1] == verified[2](state)
                ):
                    key = verified[0]
            except KeyError:  # an attribute expired: the slow path loads and checks it
                pass
        if key is None:
            key = self._check_row(obj)
            if key is None:
                state.setdefault(_PENDING, {})[self.name] = value  # sealed at the INSERT's flush
                return
            verified = state[_VERIFIED]  # _check_row verified the row (or found it trusted)
        unsealed = state.get(_UNSEALED)
        if unsealed is None or unsealed[1] is not key:
            # The first change since the last flush advances the version; the row seal
            # follows once, in the flush (_seal_rows), however many fields change meanwhile.
            if unsealed is None:
                obj.enc_version = (obj.enc_version or 0) + 1
            generation = obj.enc_version
            unsealed = state[_UNSEALED] = (generation, key, header(key.key_id, generation))
        if value is None:
            blob = None
        else:
            data = value.encode("utf-8") if self.kind is str else bytes(value)
            contexts = state.get(_CONTEXTS)
            context = contexts.get(self.column) if contexts is not None else None
            row_id = state["id"]
            person_id = state[verified[3]] if verified[3] is not None else _person_id(obj)
            if context is None or context.row_id != row_id or context.person_id != person_id:
                context = _context(obj, self.column, row_id, person_id)
            blob = seal_headed(key.aead, unsealed[2], data, context)
        impl = self._impls.get(type(obj))
        if impl is None:  # the ORM attribute of the column: what its instrumented setter calls
            impl = self._impls[type(obj)] = getattr(type(obj), self.column).impl
        impl.set(sa_state, state, blob, None)
        # The verified row plus this change of our own: still trusted until the flush seals it.
        verified[1] = verified[2](state)
        if blob is not None:
            kept = state.get(_PLAIN)
            if kept is None:
                kept = state[_PLAIN] = {}
            kept[self.name] = (blob, value, key)

    def _check_row(self, obj: Any) -> envelope.OpenKey | None:
        """Before a write into a persistent row: its key, once the row verifies (never seal
        into, and so later launder, a tampered row). None for a row not flushed yet."""
        row_id = obj.__dict__.get("id")
        if row_id is None:
            row_id = obj.id
        if row_id is None or instance_state(obj).key is None:
            return None
        try:
            key = _key(obj, _person_id(obj))
            if key is envelope.DESTROYED:
                raise PersonErased("this person was erased")
            verify_row(obj, key)
        except IntegrityFailure as exc:
            table = type(obj).__tablename__
            failure = exc if exc.table is not None else exc.located(table, None, row_id)
            report_integrity_failure(failure)
            raise failure from None
        return key


def _keep(obj: Any, name: str, blob: bytes, value: Any, key: envelope.OpenKey) -> None:
    """Remember the plaintext of the ciphertext now on the object (see _PLAIN), with the key
    that opened it: a key withdrawn from the request's cache (an erasure, a rollback) ends it."""
    kept = obj.__dict__.get(_PLAIN)
    if kept is None:
        kept = obj.__dict__[_PLAIN] = {}
    kept[name] = (blob, value, key)


class _Layout:
    """What one model's row checks need, computed once per class: the seal's constant parts
    and the attributes whose values make up the row's sealed state."""

    __slots__ = (
        "columns", "first_column", "keys", "person_attribute", "rowseal", "state_of", "table",
    )  # fmt: skip

    def __init__(self, model: type[EncryptedModel]) -> None:
        self.table = model.__tablename__
        self.columns = model.sealed_columns()
        self.rowseal = rowseal.layout(self.table, self.columns)
        # The person id is a plain column unless the model derives it (then it is read again).
        plain = model.encryption_person_id is EncryptedModel.encryption_person_id
        self.person_attribute = model.__person_id_attribute__ if plain else None
        ids_ = ("id",) if self.person_attribute in (None, "id") else ("id", self.person_attribute)
        # The sealed state: seal, version, ids, then the encrypted columns (by name).
        self.keys = ("enc_seal", "enc_version", *ids_, *self.columns)
        self.first_column = 2 + len(ids_)
        self.state_of = operator.itemgetter(*self.keys)


_LAYOUTS: dict[type, _Layout] = {}


def _layout(model: type) -> _Layout:
    found = _LAYOUTS.get(model)
    if found is None:
        found = _LAYOUTS[model] = _Layout(model)
    return found


def _person_id(obj: Any) -> int | None:
    attribute = _layout(type(obj)).person_attribute
    if attribute is not None:
        found = obj.__dict__.get(attribute, _MISSING)
        if found is not _MISSING:
            return found
    session = object_session(obj)
    if session is None:
        return obj.encryption_person_id()
    # A model may look its person up with a query (a drug test through its programme): that
    # query must not autoflush, or a row half-way through a set would be sealed in between.
    with session.no_autoflush:
        return obj.encryption_person_id()


def _key(obj: Any, person_id: int) -> envelope.OpenKey | Any:
    """envelope.open_key for this object's session, remembered on the object while it is the
    one that session's cache holds (a key leaving the cache is revoked)."""
    state = obj.__dict__
    session_id = instance_state(obj).session_id
    found = state.get(_KEY)
    if (
        found is not None
        and found[0] == session_id
        and found[1] == person_id
        and not found[2].revoked
        and session_id is not None
    ):
        return found[2]
    key = envelope.open_key(_session(obj), person_id)
    if isinstance(key, envelope.OpenKey) and session_id is not None:
        state[_KEY] = (session_id, person_id, key)
    return key


def _session_id(obj: Any) -> int | None:
    return instance_state(obj).session_id


def _remember_verified(obj: Any, key: envelope.OpenKey, values: tuple | None = None) -> None:
    """Record the object's current sealed state (`values`, or read now) as trusted (_VERIFIED):
    with the key, how to read the state again, the person column and the session."""
    layout = _LAYOUTS.get(type(obj)) or _layout(type(obj))
    state = obj.__dict__
    if values is None:
        values = layout.state_of(state)
    state[_VERIFIED] = [
        key, values, layout.state_of, layout.person_attribute, instance_state(obj).session_id
    ]  # fmt: skip


def verify_row(obj: Any, key: envelope.OpenKey) -> None:
    """Check the row seal (once per loaded state of the row); IntegrityFailure if it differs.

    The seal checked is the stored one over the stored values: changes made through the
    encrypted fields since the last flush (sealed at the next flush) are the object's own;
    any other change of an encrypted column is refused like a tampered value.
    """
    _verify(obj, key, _LAYOUTS.get(type(obj)) or _layout(type(obj)), _person_id(obj))


def _verify(obj: Any, key: envelope.OpenKey, layout: _Layout, person_id: int) -> None:
    state = obj.__dict__
    verified = state.get(_VERIFIED)
    if verified is not None and not verified[0].revoked:  # see _VERIFIED
        try:
            if verified[1] == layout.state_of(state):
                return
        except KeyError:
            pass
    try:
        current = layout.state_of(state)
    except KeyError:
        for name in layout.keys:
            if name not in state:
                getattr(obj, name)  # load what was expired
        current = layout.state_of(state)
    stored = current
    committed = instance_state(obj).committed_state
    changed = [i for i, name in enumerate(layout.keys) if name in committed] if committed else ()
    if changed:
        for i in changed:
            if verified is None or verified[1][i] != current[i]:
                raise IntegrityFailure(
                    "an encrypted column was changed outside its field",
                    table=layout.table, row_id=obj.id, reason="row seal",
                )  # fmt: skip
        stored = tuple(
            _stored(committed[name]) if name in committed else value
            for name, value in zip(layout.keys, current, strict=True)
        )
    blobs = stored[layout.first_column :]
    if not layout.rowseal.matches(key.row_mac, stored[0], stored[2], person_id, stored[1], blobs):
        raise _culprit(obj, key, layout.columns, blobs) or IntegrityFailure(
            "row seal does not match: a value was rolled back, blanked or replaced",
            table=layout.table,
            row_id=obj.id,
            reason="row seal",
        )
    state[_VERIFIED] = [key, current, layout.state_of, layout.person_attribute, _session_id(obj)]
    if not changed:
        state.pop(_UNSEALED, None)  # the stored state itself: no change of ours is pending


def _stored(value: Any) -> Any:
    """A value as it was before this flush's changes (an unknown one never verifies)."""
    return _MISSING if value is NO_VALUE else value


def _culprit(
    obj: Any, key: envelope.OpenKey, columns: tuple[str, ...], blobs: tuple[Any, ...]
) -> IntegrityFailure | None:
    """On a seal mismatch, the first value that is not genuine where it is, to name its column
    in the audit trail (None: every value is genuine, so one was rolled back or blanked)."""
    person_id = _person_id(obj)
    for column, blob in zip(columns, blobs, strict=True):
        if blob is None or blob is _MISSING:
            continue
        try:
            open_value(key.aead_for, blob, _context(obj, column, obj.id, person_id))
        except IntegrityFailure as exc:
            return exc.located(type(obj).__tablename__, column, obj.id)
    return None


def _reseal(obj: Any, key: envelope.OpenKey, person_id: int) -> None:
    """Compute the row seal over the row's current state (at flush); the UPDATE then carries
    every encrypted column with it."""
    state = obj.__dict__
    layout = _layout(type(obj))
    blobs = tuple(getattr(obj, column) for column in layout.columns)
    obj.enc_seal = layout.rowseal.compute(
        key.row_mac, obj.id, person_id, obj.enc_version or 0, blobs
    )
    persistent = instance_state(obj).has_identity
    committed = instance_state(obj).committed_state
    # A concurrent writer of another column must not leave a row whose seal matches
    # neither: the last writer writes the whole encrypted state.
    for column, blob in zip(layout.columns, blobs, strict=True):
        if column in committed:
            continue  # already changed since the last flush: the UPDATE carries it
        if column not in state:  # never loaded or never set (NULL): set it, so the row has it
            setattr(obj, column, blob)
        elif persistent:
            flag_modified(obj, column)
    state.pop(_UNSEALED, None)
    try:
        _remember_verified(obj, key)
    except KeyError:  # an id not assigned yet (set through a relationship): check on read
        state.pop(_VERIFIED, None)


def _seal_rows(objs: list[Any]) -> None:
    """Seal, once each, the persistent rows whose encrypted fields changed since the last
    flush, after checking that the state they build on is still the verified one."""
    for obj in objs:
        person_id = _person_id(obj)
        try:
            key = _key(obj, person_id)
            if key is envelope.DESTROYED:
                obj.__dict__.pop(_UNSEALED, None)  # erased meanwhile: nothing left to seal
                continue
            verify_row(obj, key)
        except IntegrityFailure as exc:
            failure = (
                exc if exc.table is not None else exc.located(type(obj).__tablename__, None, obj.id)
            )
            report_integrity_failure(failure)
            raise failure from None
        if _UNSEALED in obj.__dict__:
            _reseal(obj, key, person_id)


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
                immediate=True,  # its alert is keyed by its seq
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
    for name in (_PENDING, _CHANGED, _PLAIN, _UNSEALED, _VERIFIED, _KEY):
        obj.__dict__.pop(name, None)


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
    dirty, unsealed = [], []
    for obj in session.dirty:
        if isinstance(obj, EncryptedModel):
            if obj.__dict__.get(_CHANGED):
                dirty.append(obj)
            if _UNSEALED in obj.__dict__:
                unsealed.append(obj)
    if unsealed:
        _seal_rows(unsealed)  # each changed row once, however many of its fields changed
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
