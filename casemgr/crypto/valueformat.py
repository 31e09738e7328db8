"""Stored value format v2 (and v1, read only by migration 0018 and the known-answer tests).

    v2 blob = 0x02 || key id (8 bytes, big-endian) || generation (8 bytes, big-endian)
              || nonce (12 bytes) || AES-256-GCM(data key, nonce, pad(plaintext), aad)
    v2 aad  = "casemgr/v2" || header (17 bytes) || len(table) || table || len(column) || column
              || row id (8 bytes) || person id (8 bytes)

    v1 blob = 0x01 || key id (8) || nonce (12) || AES-256-GCM(...)   (no generation)
    v1 aad  = "casemgr/v1" || header (9 bytes) || the same binding

The associated data binds each value to its table, column, row and person: a value copied
anywhere else fails to authenticate. The generation is the row's `enc_version` when the value
was sealed; the row seal (crypto.rowseal) records every column's header, so an older genuine
value of the same cell, or a NULL, no longer matches. Plaintexts are padded (ISO/IEC 7816-4
marker) to a length bucket, so that the stored length tells little about the real one.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from casemgr.crypto.errors import IntegrityFailure

VERSION_1 = 1
VERSION_2 = 2
CURRENT_VERSION = VERSION_2
_HEADER_V1 = struct.Struct(">BQ")
_HEADER = struct.Struct(">BQQ")
HEADER_V1_BYTES = _HEADER_V1.size  # 9
HEADER_BYTES = _HEADER.size  # 17
NONCE_BYTES = 12
TAG_BYTES = 16
MIN_BLOB_BYTES = HEADER_BYTES + NONCE_BYTES + TAG_BYTES + 1  # padding leaves at least 1 byte
MIN_BLOB_V1_BYTES = HEADER_V1_BYTES + NONCE_BYTES + TAG_BYTES + 1
MIN_BUCKET = 32
POWER_OF_TWO_LIMIT = 1024
_AAD_PREFIX_V1 = b"casemgr/v1"
_AAD_PREFIX = b"casemgr/v2"
_U16 = struct.Struct(">H")
_IDS = struct.Struct(">QQ")
_BODY_V1 = HEADER_V1_BYTES + NONCE_BYTES
_BODY = HEADER_BYTES + NONCE_BYTES
SEALED_PREFIX_BYTES = _BODY  # header and nonce: what the row seal records of each value
_COPY_LIMIT = 4096


_names: dict[tuple[str, str], bytes] = {}


def _length_prefixed(table: str, column: str) -> bytes:
    found = _names.get((table, column))
    if found is None:
        t, c = table.encode(), column.encode()
        found = _names[(table, column)] = _U16.pack(len(t)) + t + _U16.pack(len(c)) + c
    return found


class ValueContext:
    """Where a value lives: what its ciphertext is bound to (table, column, row, person)."""

    __slots__ = ("binding", "column", "person_id", "row_id", "table")

    def __init__(self, table: str, column: str, row_id: int, person_id: int) -> None:
        self.table = table
        self.column = column
        self.row_id = row_id
        self.person_id = person_id
        # Everything of the AAD after the header, computed once per value.
        self.binding = _length_prefixed(table, column) + _IDS.pack(row_id, person_id)

    def aad(self, key_id: int, generation: int) -> bytes:
        """The v2 associated data of a value with this header (see the module docstring)."""
        return _AAD_PREFIX + _HEADER.pack(VERSION_2, key_id, generation) + self.binding

    def __repr__(self) -> str:
        return f"<ValueContext {self.table}.{self.column} row {self.row_id}>"


def bucket(length: int) -> int:
    """Padded size for a plaintext of `length` bytes (marker included).

    At least 32 bytes; powers of two up to 1 KiB (short notes are where exact lengths say the
    most, and the absolute cost is small); beyond, Padmé (Nikitin et al., PETS 2019): at most
    ~12 % overhead, revealing only O(log log n) bits of the length.
    """
    if length <= MIN_BUCKET:
        return MIN_BUCKET
    if length <= POWER_OF_TWO_LIMIT:
        return 1 << (length - 1).bit_length()
    exponent = length.bit_length() - 1
    size_bits = exponent.bit_length()
    mask = (1 << (exponent - size_bits)) - 1
    return (length + mask) & ~mask


def pad(data: bytes) -> bytes:
    """Append 0x80 then zeros up to the length bucket."""
    size = len(data) + 1
    return (data + b"\x80").ljust(MIN_BUCKET if size <= MIN_BUCKET else bucket(size), b"\x00")


def unpad(data: bytes) -> bytes:
    """Remove the padding: the marker is the last 0x80 byte, only zeros follow it.

    Runs only on authenticated plaintexts, which pad() made; a missing marker is still an
    integrity failure rather than a crash.
    """
    end = data.rfind(b"\x80")
    if end < 0:
        raise IntegrityFailure("value padding is malformed")
    return data[:end]


def seal(
    aead: AESGCM,
    key_id: int,
    plaintext: bytes,
    context: ValueContext,
    *,
    generation: int,
    nonce: bytes | None = None,
) -> bytes:
    """Encrypt `plaintext` for `context` under the data key `aead` (format v2).

    `generation` is the row's version this value belongs to; `nonce` is for known-answer
    vectors only: normal use draws a fresh random one.
    """
    return seal_headed(aead, header(key_id, generation), plaintext, context, nonce)


def header(key_id: int, generation: int) -> tuple[bytes, bytes]:
    """The v2 header of values sealed under `key_id` at `generation`, and the start of their
    associated data: the same for every value of a row written in one flush."""
    packed = _HEADER.pack(VERSION_2, key_id, generation)
    return packed, _AAD_PREFIX + packed


def seal_headed(
    aead: AESGCM,
    headed: tuple[bytes, bytes],
    plaintext: bytes,
    context: ValueContext,
    nonce: bytes | None = None,
) -> bytes:
    """seal() with its header made once (`header(key_id, generation)`) for a row's values."""
    if nonce is None:
        nonce = os.urandom(NONCE_BYTES)
    size = len(plaintext) + 1  # pad(), inline: this is every write's path
    padded = (plaintext + b"\x80").ljust(MIN_BUCKET if size <= MIN_BUCKET else bucket(size), b"\0")
    return headed[0] + nonce + aead.encrypt(nonce, padded, headed[1] + context.binding)


def _as_bytes(blob: object) -> bytes:
    if isinstance(blob, bytes):
        return blob
    if isinstance(blob, bytearray | memoryview):
        return bytes(blob)
    raise IntegrityFailure("stored value is not bytes")


def key_id_of(blob: bytes) -> int:
    """The data key id a stored value names; IntegrityFailure if it is not a v2 value."""
    blob = _as_bytes(blob)
    if len(blob) < MIN_BLOB_BYTES or blob[0] != VERSION_2:
        if blob[:1] == bytes([VERSION_1]):
            raise IntegrityFailure("stored value is in the retired format v1")
        if len(blob) < MIN_BLOB_BYTES:
            raise IntegrityFailure("stored value is too short")
        raise IntegrityFailure("stored value has an unknown format version")
    return _HEADER.unpack_from(blob)[1]


def open_value(aead_for: Callable[[int], AESGCM], blob: bytes, context: ValueContext) -> bytes:
    """Decrypt a stored v2 value; raise IntegrityFailure (and nothing else) if not genuine."""
    if type(blob) is not bytes:
        blob = _as_bytes(blob)
    aead = aead_for(key_id_of(blob))
    # Short values are sliced (cheaper than a view); long ones (attachments) are not copied.
    body = blob[_BODY:] if len(blob) <= _COPY_LIMIT else memoryview(blob)[_BODY:]
    try:
        padded = aead.decrypt(
            blob[HEADER_BYTES:_BODY], body, _AAD_PREFIX + blob[:HEADER_BYTES] + context.binding
        )
    except InvalidTag:
        raise IntegrityFailure() from None
    return unpad(padded)


# -- format v1: read by migration 0018 (and written by its downgrade) and the vectors only ----
# The running app refuses v1 values: they carry no generation, so accepting them would let an
# old value come back unnoticed (docs/encryption.md, section 3).


def seal_v1(
    aead: AESGCM,
    key_id: int,
    plaintext: bytes,
    context: ValueContext,
    *,
    nonce: bytes | None = None,
) -> bytes:
    """Encrypt in the retired format v1 (migration downgrade and known-answer vectors)."""
    if nonce is None:
        nonce = os.urandom(NONCE_BYTES)
    header = _HEADER_V1.pack(VERSION_1, key_id)
    return (
        header
        + nonce
        + aead.encrypt(nonce, pad(plaintext), _AAD_PREFIX_V1 + header + context.binding)
    )


def key_id_of_v1(blob: bytes) -> int:
    """The data key id a v1 value names; IntegrityFailure if it is not a v1 value."""
    blob = _as_bytes(blob)
    if len(blob) < MIN_BLOB_V1_BYTES:
        raise IntegrityFailure("stored value is too short")
    version, key_id = _HEADER_V1.unpack_from(blob)
    if version != VERSION_1:
        raise IntegrityFailure("stored value is not in format v1")
    return key_id


def open_v1(aead_for: Callable[[int], AESGCM], blob: bytes, context: ValueContext) -> bytes:
    """Decrypt a v1 value (migration 0018 and the known-answer vectors only)."""
    blob = _as_bytes(blob)
    key_id = key_id_of_v1(blob)
    view = memoryview(blob)
    aead = aead_for(key_id)
    aad = _AAD_PREFIX_V1 + view[:HEADER_V1_BYTES].tobytes() + context.binding
    try:
        padded = aead.decrypt(view[HEADER_V1_BYTES:_BODY_V1], view[_BODY_V1:], aad)
    except InvalidTag:
        raise IntegrityFailure() from None
    return unpad(padded)
