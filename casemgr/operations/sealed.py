"""Sealed files: a stream cut into AES-256-GCM chunks under a per-file key (backups).

Layout: MAGIC, a 4-byte header length, the header (JSON, readable without the key but
authenticated), then chunks, each a 4-byte length and its ciphertext. The file key is
HKDF-SHA256(backup key, salt from the header); chunk i has the nonce prefix || i || last-flag
and the header as associated data, so a chunk cut, dropped, reordered or moved to another
file fails to open, and so does a file cut after any chunk but the last.
"""

from __future__ import annotations

import json
import secrets
import struct
from collections.abc import Iterator
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"CASEMGR-BACKUP\n\x01"
CHUNK_SIZE = 1024 * 1024
_LENGTH = struct.Struct(">I")
_MAX_HEADER = 64 * 1024


class SealedFileError(RuntimeError):
    """The file is not a backup, was made with another key, or was altered or cut."""


def _file_key(key: bytes, salt: bytes) -> AESGCM:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=salt, info=b"casemgr-backup-file-v1"
    ).derive(key)
    return AESGCM(derived)


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + struct.pack(">I", index) + (b"\x01" if last else b"\x00")


class SealingWriter:
    """A write-only file object that seals what it is given into `out` (call close())."""

    def __init__(self, out: IO[bytes], key: bytes, header: dict[str, Any]) -> None:
        self._out = out
        self._salt = secrets.token_bytes(16)
        self._prefix = secrets.token_bytes(7)
        header = {
            **header,
            "salt": self._salt.hex(),
            "nonce_prefix": self._prefix.hex(),
            "chunk_size": CHUNK_SIZE,
        }
        self._header = json.dumps(header, sort_keys=True).encode("utf-8")
        self._aad = MAGIC + self._header
        self._aead = _file_key(key, self._salt)
        self._buffer = bytearray()
        self._index = 0
        self._closed = False
        out.write(MAGIC + _LENGTH.pack(len(self._header)) + self._header)

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:
        """Buffer data and seal every full chunk."""
        self._buffer += data
        while len(self._buffer) > CHUNK_SIZE:  # keep one back: the last chunk is marked
            self._emit(bytes(self._buffer[:CHUNK_SIZE]), last=False)
            del self._buffer[:CHUNK_SIZE]
        return len(data)

    def flush(self) -> None:
        self._out.flush()

    def _emit(self, chunk: bytes, *, last: bool) -> None:
        if self._index >= 2**32 - 1:
            raise SealedFileError("backup too large for one file")
        sealed = self._aead.encrypt(_nonce(self._prefix, self._index, last), chunk, self._aad)
        self._out.write(_LENGTH.pack(len(sealed)) + sealed)
        self._index += 1

    def close(self) -> None:
        """Seal the final chunk (possibly empty) and flush."""
        if self._closed:
            return
        self._emit(bytes(self._buffer), last=True)
        self._buffer.clear()
        self._closed = True
        self._out.flush()


def read_header(handle: IO[bytes]) -> tuple[dict[str, Any], bytes]:
    """The header of a sealed file (no key needed) and the bytes it is authenticated with."""
    if handle.read(len(MAGIC)) != MAGIC:
        raise SealedFileError("not a casemgr backup file")
    raw = handle.read(_LENGTH.size)
    if len(raw) != _LENGTH.size:
        raise SealedFileError("backup file is cut short")
    (length,) = _LENGTH.unpack(raw)
    if length > _MAX_HEADER:
        raise SealedFileError("backup header is malformed")
    header_bytes = handle.read(length)
    try:
        header = json.loads(header_bytes)
        if not isinstance(header, dict):
            raise ValueError
        bytes.fromhex(header["salt"])
        if len(bytes.fromhex(header["nonce_prefix"])) != 7:
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise SealedFileError("backup header is malformed") from None
    return header, MAGIC + header_bytes


def open_chunks(handle: IO[bytes], key: bytes) -> Iterator[bytes]:
    """Yield the plaintext chunks of a sealed file; raise SealedFileError on any alteration."""
    header, aad = read_header(handle)
    aead = _file_key(key, bytes.fromhex(header["salt"]))
    prefix = bytes.fromhex(header["nonce_prefix"])
    index = 0
    while True:
        raw = handle.read(_LENGTH.size)
        if len(raw) != _LENGTH.size:
            raise SealedFileError("backup file is cut short (no final chunk)")
        (length,) = _LENGTH.unpack(raw)
        sealed = handle.read(length)
        if len(sealed) != length or length < 16:
            raise SealedFileError("backup file is cut short")
        plain = None
        for last in (False, True):
            try:
                plain = aead.decrypt(_nonce(prefix, index, last), sealed, aad)
            except InvalidTag:
                continue
            break
        if plain is None:
            raise SealedFileError(
                "backup does not authenticate: wrong backup key, or the file was altered"
            )
        yield plain
        index += 1
        if last:
            if handle.read(1):
                raise SealedFileError("backup file has data after its final chunk")
            return


class ChunkReader:
    """A read-only file object over the plaintext of a sealed file (for tarfile streams)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""
        self._position = 0  # into the buffer: no copy of the rest on every small read

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        """Read up to size bytes (all when negative)."""
        parts = []
        wanted = size
        while wanted != 0:
            if self._position >= len(self._buffer):
                chunk = next(self._chunks, None)
                if chunk is None:
                    break
                self._buffer, self._position = chunk, 0
            end = (
                len(self._buffer) if wanted < 0 else min(len(self._buffer), self._position + wanted)
            )
            parts.append(self._buffer[self._position : end])
            if wanted > 0:
                wanted -= end - self._position
            self._position = end
        return b"".join(parts)
