"""Signed checkpoints: (seq, head MAC, time) under Ed25519, kept as files outside the database."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from casemgr.audit.signing import (
    PUBLIC_KEY_FILE,
    Signer,
    TrustedKeys,
    b64,
    public_key_pem,
    unb64,
)

CHECKPOINT_DOMAIN = "casemgr-audit-checkpoint-v1"
CHECKPOINT_FORMAT = 1
_NAME = re.compile(r"checkpoint-(\d{12})-[0-9TZ]+\.json\Z")


@dataclass(frozen=True)
class Checkpoint:
    """One checkpoint file as read back; `error` says why it could not be read at all."""

    path: Path
    seq: int | None
    head_mac: bytes = b""
    created_at: str = ""
    key_id: str = ""
    signature: bytes = b""
    error: str | None = None

    def body(self) -> dict[str, object]:
        """The signed fields."""
        return {
            "format": CHECKPOINT_FORMAT,
            "seq": self.seq,
            "head_mac": self.head_mac.hex(),
            "created_at": self.created_at,
            "key_id": self.key_id,
        }

    def signature_valid(self, trusted: TrustedKeys) -> bool:
        """Whether a trusted key signed exactly these fields."""
        return self.error is None and trusted.verify(
            self.key_id, self.signature, CHECKPOINT_DOMAIN, self.body()
        )


def _write_atomically(path: Path, data: bytes, mode: int = 0o644) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:  # a full disk: no half-written file is left beside the good ones
        tmp.unlink(missing_ok=True)
        raise


def write_public_key(directory: Path, signer: Signer) -> Path:
    """Write the public key beside the checkpoints: the current one, and one named by key id.

    A verifier needs only this key; but it should hold its own copy (taken when the key was
    made), since whoever can write checkpoint files could replace this one too.
    """
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    pem = public_key_pem(signer.public_key)
    named = directory / f"audit-signing-key-{signer.key_id}.pub"
    for path in (directory / PUBLIC_KEY_FILE, named):
        if not path.exists() or path.read_bytes() != pem:
            _write_atomically(path, pem)
    return named


def write_checkpoint(
    directory: str | Path, signer: Signer, seq: int, head_mac: bytes, now: dt.datetime
) -> Path:
    """Sign (seq, head MAC, time) and write it to a new file in `directory`; return its path."""
    folder = Path(directory)
    write_public_key(folder, signer)
    created = now.astimezone(dt.UTC)
    checkpoint = Checkpoint(
        path=folder / f"checkpoint-{seq:012d}-{created:%Y%m%dT%H%M%S%fZ}.json",
        seq=seq,
        head_mac=head_mac,
        created_at=created.isoformat(timespec="microseconds"),
        key_id=signer.key_id,
    )
    body = checkpoint.body()
    document = {**body, "signature": b64(signer.sign(CHECKPOINT_DOMAIN, body))}
    _write_atomically(checkpoint.path, json.dumps(document, indent=2).encode() + b"\n")
    return checkpoint.path


def read_checkpoint(path: Path) -> Checkpoint:
    """Parse one checkpoint file; a malformed one comes back with `error` set, never raises."""
    match = _NAME.match(path.name)
    seq_from_name = int(match.group(1)) if match else None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("format") != CHECKPOINT_FORMAT:
            raise ValueError("unknown format")
        seq = document["seq"]
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise ValueError("bad seq")
        return Checkpoint(
            path=path,
            seq=seq,
            head_mac=bytes.fromhex(document["head_mac"]),
            created_at=str(document["created_at"]),
            key_id=str(document["key_id"]),
            signature=unb64(document["signature"]),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return Checkpoint(path=path, seq=seq_from_name, error="unreadable")


def load_checkpoints(directory: str | Path) -> list[Checkpoint]:
    """Every checkpoint file in the directory, by sequence number (none if it does not exist)."""
    folder = Path(directory)
    if not folder.is_dir():
        return []
    found = [read_checkpoint(path) for path in sorted(folder.glob("checkpoint-*.json"))]
    return sorted(found, key=lambda c: (c.seq is None, c.seq or 0, c.path.name))
