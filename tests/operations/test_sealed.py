"""Sealed backup files: what is written opens; any alteration, cut or other key is refused."""

from __future__ import annotations

import io
import secrets

import pytest

from casemgr.operations import sealed
from casemgr.operations.sealed import ChunkReader, SealedFileError, SealingWriter, open_chunks

KEY = secrets.token_bytes(32)


def seal(data: bytes, key: bytes = KEY, header: dict | None = None) -> bytes:
    out = io.BytesIO()
    writer = SealingWriter(out, key, header or {"kind": "test"})
    for start in range(0, len(data), 7777):  # writes of odd sizes
        writer.write(data[start : start + 7777])
    writer.close()
    return out.getvalue()


def unseal(blob: bytes, key: bytes = KEY) -> bytes:
    return ChunkReader(open_chunks(io.BytesIO(blob), key)).read()


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(sealed, "CHUNK_SIZE", 4096)


@pytest.mark.parametrize("size", [0, 1, 4096, 4097, 20_000])
def test_round_trip_of_any_size(small_chunks, size):
    data = secrets.token_bytes(size)
    assert unseal(seal(data)) == data


@pytest.mark.parametrize("size", [1, 1000, 4096, 5000])
def test_reads_of_any_size_give_the_stream(small_chunks, size):
    data = secrets.token_bytes(20_000)
    reader = ChunkReader(open_chunks(io.BytesIO(seal(data)), KEY))
    pieces = []
    while piece := reader.read(size):
        assert len(piece) <= size
        pieces.append(piece)
    assert b"".join(pieces) == data


def test_plaintext_does_not_appear(small_chunks):
    data = b"CANARY-PLAIN-TEXT " * 1000
    assert b"CANARY" not in seal(data)


def test_every_flipped_byte_is_refused(small_chunks):
    blob = seal(secrets.token_bytes(9000))
    for position in range(0, len(blob), 97):
        broken = bytearray(blob)
        broken[position] ^= 0x01
        with pytest.raises(SealedFileError):
            unseal(bytes(broken))


def test_cut_file_dropped_or_reordered_chunk_and_trailing_data_are_refused(small_chunks):
    blob = seal(secrets.token_bytes(3 * 4096 + 10))
    header_end = (
        len(sealed.MAGIC) + 4 + int.from_bytes(blob[len(sealed.MAGIC) : len(sealed.MAGIC) + 4])
    )
    chunk = 4 + 4096 + 16
    body = blob[header_end:]
    chunks = [body[i : i + chunk] for i in range(0, len(body), chunk)]
    assert len(chunks) == 4
    head = blob[:header_end]
    variants = [
        head + b"".join(chunks[:3]),  # cut at a chunk boundary: no final chunk
        head + chunks[0] + chunks[2] + chunks[3],  # one dropped
        head + chunks[1] + chunks[0] + chunks[2] + chunks[3],  # reordered
        blob + b"x",  # data after the final chunk
        blob[:-1],
    ]
    for variant in variants:
        with pytest.raises(SealedFileError):
            unseal(variant)


def test_wrong_key_and_changed_header_are_refused():
    blob = seal(b"data", header={"kind": "test", "dialect": "sqlite"})
    with pytest.raises(SealedFileError):
        unseal(blob, secrets.token_bytes(32))
    with pytest.raises(SealedFileError):
        unseal(blob.replace(b'"sqlite"', b'"sqlitX"'))
    with pytest.raises(SealedFileError, match="not a casemgr backup"):
        unseal(b"PK\x03\x04 not a backup")
