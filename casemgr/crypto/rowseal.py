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


def compute(
    key: bytes,
    table: str,
    row_id: int,
    person_id: int,
    version: int,
    columns: Sequence[str],
    blobs: Sequence[object],
) -> bytes:
    """The seal of a row whose encrypted `columns` (sorted) hold `blobs`."""
    parts = [_PREFIX, _name(table), _Q3.pack(row_id, person_id, version)]
    append = parts.append
    for column, blob in zip(columns, blobs, strict=True):
        append(_name(column))
        if blob is None:
            append(_NULL)
        elif type(blob) is bytes:
            append(_PRESENT)
            append(blob[:SEALED_PREFIX_BYTES])
        elif isinstance(blob, bytearray | memoryview):
            append(_PRESENT)
            append(bytes(blob[:SEALED_PREFIX_BYTES]))
        else:  # a tampered storage class: never matches a seal made over bytes
            append(_NOT_BYTES)
    return hmac.digest(key, b"".join(parts), "sha256")


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
    if not isinstance(stored, bytes | bytearray | memoryview) or len(stored) != SEAL_BYTES:
        return False
    expected = compute(key, table, row_id, person_id, version, columns, blobs)
    return hmac.compare_digest(expected, bytes(stored))
