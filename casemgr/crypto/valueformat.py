"""Stored value format v1: version, key id, random nonce, AES-256-GCM ciphertext and tag.

    blob = version (1 byte, 0x01) || key id (8 bytes, big-endian) || nonce (12 bytes)
           || AES-256-GCM(data key, nonce, pad(plaintext), aad) (ciphertext || 16-byte tag)
    aad  = "casemgr/v1" || version || key id || len(table) || table || len(column) || column
           || row id (8 bytes) || person id (8 bytes)

The associated data binds each value to its table, column, row and person: a value copied
anywhere else fails to authenticate. Plaintexts are padded (ISO/IEC 7816-4 marker) to a length
bucket, so that the stored length tells little about the real one.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from casemgr.crypto.errors import IntegrityFailure

VERSION_1 = 1
_HEADER = struct.Struct(">BQ")
HEADER_BYTES = _HEADER.size  # 9
NONCE_BYTES = 12
TAG_BYTES = 16
MIN_BLOB_BYTES = HEADER_BYTES + NONCE_BYTES + TAG_BYTES + 1  # padding leaves at least 1 byte
MIN_BUCKET = 32
POWER_OF_TWO_LIMIT = 1024
_AAD_PREFIX = b"casemgr/v1"
_U16 = struct.Struct(">H")
_IDS = struct.Struct(">QQ")


@dataclass(frozen=True, slots=True)
class ValueContext:
    """Where a value lives: what its ciphertext is bound to."""

    table: str
    column: str
    row_id: int
    person_id: int

    def aad(self, version: int, key_id: int) -> bytes:
        table = self.table.encode()
        column = self.column.encode()
        return b"".join(
            (
                _AAD_PREFIX,
                _HEADER.pack(version, key_id),
                _U16.pack(len(table)),
                table,
                _U16.pack(len(column)),
                column,
                _IDS.pack(self.row_id, self.person_id),
            )
        )


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
    total = bucket(len(data) + 1)
    return data + b"\x80" + bytes(total - len(data) - 1)


def unpad(data: bytes) -> bytes:
    """Remove the padding; a malformed one is an integrity failure."""
    end = len(data.rstrip(b"\x00"))
    if end == 0 or data[end - 1] != 0x80:
        raise IntegrityFailure("value padding is malformed")
    return data[: end - 1]


def seal(
    aead: AESGCM,
    key_id: int,
    plaintext: bytes,
    context: ValueContext,
    *,
    nonce: bytes | None = None,
) -> bytes:
    """Encrypt `plaintext` for `context` under the data key `aead` (format v1).

    `nonce` is for known-answer vectors only; normal use draws a fresh random one.
    """
    if nonce is None:
        nonce = os.urandom(NONCE_BYTES)
    header = _HEADER.pack(VERSION_1, key_id)
    return header + nonce + aead.encrypt(nonce, pad(plaintext), context.aad(VERSION_1, key_id))


def key_id_of(blob: bytes) -> int:
    """The data key id a stored value names; IntegrityFailure if it is not a v1 value."""
    if not isinstance(blob, bytes | bytearray | memoryview):
        raise IntegrityFailure("stored value is not bytes")
    blob = bytes(blob)
    if len(blob) < MIN_BLOB_BYTES:
        raise IntegrityFailure("stored value is too short")
    version, key_id = _HEADER.unpack_from(blob)
    if version != VERSION_1:
        raise IntegrityFailure("stored value has an unknown format version")
    return key_id


def open_value(aead_for: Callable[[int], AESGCM], blob: bytes, context: ValueContext) -> bytes:
    """Decrypt a stored value; raise IntegrityFailure (and nothing else) if it is not genuine."""
    key_id = key_id_of(blob)
    blob = bytes(blob)
    aead = aead_for(key_id)
    nonce = blob[HEADER_BYTES : HEADER_BYTES + NONCE_BYTES]
    try:
        padded = aead.decrypt(
            nonce, blob[HEADER_BYTES + NONCE_BYTES :], context.aad(VERSION_1, key_id)
        )
    except InvalidTag:
        raise IntegrityFailure() from None
    return unpad(padded)
