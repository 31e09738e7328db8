"""The row seal: one MAC per row over its version and the header of every encrypted column.

    seal = HMAC-SHA256(row key, "casemgr row seal v2" || len(table) || table || row id (8)
                       || person id (8) || enc_version (8)
                       || for each encrypted column, by name: len(column) || column || state)
    state = 0x00 for NULL, or 0x01 || the value's header and nonce (29 bytes)
    row key = HMAC-SHA256(data key, "casemgr row seal key v2")

Each v2 value carries its generation (the row's version when it was sealed) inside its
authenticated header, so an older genuine value of the same cell, or a NULL where a value
was, changes the seal's input: the row no longer verifies. The ORM advances `enc_version`
and recomputes the seal on every change (crypto.fields); the seal is never derived from
anything an attacker with write access to the database could recompute without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Sequence

from casemgr.crypto.valueformat import SEALED_PREFIX_BYTES

SEAL_BYTES = 32
_PREFIX = b"casemgr row seal v2"
ROW_KEY_INFO = b"casemgr row seal key v2"
_U16 = struct.Struct(">H")
_Q3 = struct.Struct(">QQQ")
_NULL = b"\x00"
_PRESENT = b"\x01"
_NOT_BYTES = b"\x02"

_names: dict[str, bytes] = {}


def _name(text: str) -> bytes:
    found = _names.get(text)
    if found is None:
        raw = text.encode()
        found = _names[text] = _U16.pack(len(raw)) + raw
    return found


def row_key(raw_data_key: bytes) -> bytes:
    """The per-person key of row seals, derived from the data key (never the same key twice)."""
    return hmac.digest(raw_data_key, ROW_KEY_INFO, "sha256")


_BLOCK = 64  # SHA-256's block size
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


class RowMac:
    """HMAC-SHA256 under one row key with its two padded key blocks hashed once (RFC 2104):
    the same MAC as `hmac.digest(key, message, "sha256")`, for about half the cost of a seal.
    Lives on an open data key (envelope.OpenKey), as long as the key itself; no repr."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes) -> None:
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        block = key.ljust(_BLOCK, b"\x00")
        self._inner = hashlib.sha256(block.translate(_IPAD))
        self._outer = hashlib.sha256(block.translate(_OPAD))

    def digest(self, message: bytes) -> bytes:
        """HMAC-SHA256(key, message)."""
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def __repr__(self) -> str:
        return "<RowMac>"


class RowLayout:
    """The constant parts of one table's row seals (prefix, table, each column's name and
    marker), built once per table and set of columns instead of once per seal."""

    __slots__ = ("_absent", "_head", "_other", "_present", "columns", "table")

    def __init__(self, table: str, columns: Sequence[str]) -> None:
        self.table = table
        self.columns = tuple(columns)
        self._head = _PREFIX + _name(table)
        self._absent = tuple(_name(c) + _NULL for c in self.columns)
        self._present = tuple(_name(c) + _PRESENT for c in self.columns)
        self._other = tuple(_name(c) + _NOT_BYTES for c in self.columns)

    def compute(
        self,
        key: bytes | RowMac,
        row_id: int,
        person_id: int,
        version: int,
        blobs: Sequence[object],
    ) -> bytes:
        """The seal of a row of this table whose encrypted columns hold `blobs` (`key`: the
        row key, or its RowMac)."""
        try:  # the usual row: bytes or NULL in every column
            message = b"".join(
                [
                    self._head,
                    _Q3.pack(row_id, person_id, version),
                    *[
                        absent if blob is None else present + blob[:SEALED_PREFIX_BYTES]
                        for absent, present, blob in zip(
                            self._absent, self._present, blobs, strict=True
                        )
                    ],
                ]
            )
        except TypeError:  # a tampered storage class (a number, text) somewhere
            message = self._message(row_id, person_id, version, blobs)
        if type(key) is RowMac:
            return key.digest(message)
        return hmac.digest(key, message, "sha256")

    def _message(self, row_id: int, person_id: int, version: int, blobs: Sequence[object]) -> bytes:
        parts = [self._head, _Q3.pack(row_id, person_id, version)]
        append = parts.append
        for absent, present, other, blob in zip(
            self._absent, self._present, self._other, blobs, strict=True
        ):
            if blob is None:
                append(absent)
            elif isinstance(blob, bytes | bytearray | memoryview):
                append(present)
                append(bytes(blob[:SEALED_PREFIX_BYTES]))
            else:  # never matches a seal made over bytes
                append(other)
        return b"".join(parts)

    def matches(
        self,
        key: bytes | RowMac,
        stored: object,
        row_id: int,
        person_id: int,
        version: object,
        blobs: Sequence[object],
    ) -> bool:
        """Whether `stored` is the seal of this row (constant time)."""
        if type(stored) is not bytes:
            if not isinstance(stored, bytearray | memoryview):
                return False
            stored = bytes(stored)
        if len(stored) != SEAL_BYTES:
            return False
        if type(version) is not int:  # NULL counts as 0, as when the row was sealed
            if version is not None:
                return False
            version = 0
        expected = self.compute(key, row_id, person_id, version, blobs)
        return hmac.compare_digest(expected, stored)


_layouts: dict[tuple[str, tuple[str, ...]], RowLayout] = {}


def layout(table: str, columns: Sequence[str]) -> RowLayout:
    """The (cached) layout of `table`'s seals over `columns` (sorted by name)."""
    wanted = (table, tuple(columns))
    found = _layouts.get(wanted)
    if found is None:
        found = _layouts[wanted] = RowLayout(table, wanted[1])
    return found


def compute(
    key: bytes | RowMac,
    table: str,
    row_id: int,
    person_id: int,
    version: int,
    columns: Sequence[str],
    blobs: Sequence[object],
) -> bytes:
    """The seal of a row whose encrypted `columns` (sorted) hold `blobs` (`key`: the row key,
    or its RowMac)."""
    return layout(table, columns).compute(key, row_id, person_id, version, blobs)


def matches(
    key: bytes,
    stored: object,
    table: str,
    row_id: int,
    person_id: int,
    version: int,
    columns: Sequence[str],
    blobs: Sequence[object],
) -> bool:
    """Whether `stored` is the seal of this row (constant time)."""
    return layout(table, columns).matches(key, stored, row_id, person_id, version, blobs)
