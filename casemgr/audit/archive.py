"""Archive files: old events exported as gzip JSON lines with a signed manifest, and their check.

An archive holds the events first_seq..last_seq exactly as stored (MACs included). Its
manifest, signed with the audit signing key, names the MAC it continues from (the previous
anchor, or genesis) and the MAC of its last event, which becomes the database's new anchor.
So the archives and the table form one chain: each archive verifies on its own, and the table
verifies from the last archive's final MAC.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import hmac
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from casemgr.audit.chain import canonical, event_time
from casemgr.audit.signing import Signer, TrustedKeys, b64, unb64
from casemgr.audit.verify import COLUMN_NAMES

MANIFEST_DOMAIN = "casemgr-audit-archive-v1"
ARCHIVE_FORMAT = 1
_BYTES_FIELDS = ("prev_mac", "mac")


def archive_name(first_seq: int, last_seq: int) -> str:
    """The file name of the archive of first_seq..last_seq."""
    return f"audit-archive-{first_seq:012d}-{last_seq:012d}.jsonl.gz"


def event_to_json(row: list) -> str:
    """One event (values in COLUMN_NAMES order) as a JSON line: bytes as hex, time in ISO 8601."""
    values = {}
    for name, value in zip(COLUMN_NAMES, row, strict=True):
        if name in _BYTES_FIELDS:
            value = bytes(value).hex()
        elif name == "occurred_at":
            value = event_time(value).isoformat(timespec="microseconds")
        elif name == "outcome":
            value = str(value)
        elif name == "is_break_glass":
            value = bool(value)
        values[name] = value
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def event_from_json(line: str) -> SimpleNamespace:
    """An archived event back as an object canonical() accepts."""
    values = json.loads(line)
    for name in _BYTES_FIELDS:
        values[name] = bytes.fromhex(values[name])
    values["occurred_at"] = dt.datetime.fromisoformat(values["occurred_at"])
    return SimpleNamespace(**values)


@dataclass
class WrittenArchive:
    """What write_archive produced."""

    path: Path
    manifest_path: Path
    sha256: str
    first_seq: int
    last_seq: int
    last_mac: bytes
    count: int


def write_archive(
    directory: Path,
    batches: Iterable[list[Any]],
    *,
    first_seq: int,
    last_seq: int,
    anchor_in: bytes,
    signer: Signer,
    now: dt.datetime,
) -> WrittenArchive:
    """Write the events of `batches` (first_seq..last_seq, in order) and a signed manifest."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / archive_name(first_seq, last_seq)
    tmp = path.with_name(path.name + ".tmp")
    count, last_mac = 0, anchor_in
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        for rows in batches:
            for row in rows:
                out.write(event_to_json(row).encode() + b"\n")
                last_mac = bytes(row[-1])
                count += 1
        out.close()
        raw.flush()
        os.fsync(raw.fileno())
    if count != last_seq - first_seq + 1:
        tmp.unlink()
        raise RuntimeError("archive range changed while it was written")
    os.replace(tmp, path)
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    body = {
        "format": ARCHIVE_FORMAT,
        "archive_name": path.name,
        "archive_sha256": sha256,
        "first_seq": first_seq,
        "last_seq": last_seq,
        "count": count,
        "anchor_in_mac": anchor_in.hex(),
        "last_mac": last_mac.hex(),
        "created_at": now.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "key_id": signer.key_id,
    }
    manifest = {**body, "signature": b64(signer.sign(MANIFEST_DOMAIN, body))}
    manifest_path = path.with_name(path.name.removesuffix(".jsonl.gz") + ".manifest.json")
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return WrittenArchive(path, manifest_path, sha256, first_seq, last_seq, last_mac, count)


@dataclass
class ArchiveCheck:
    """The outcome of checking one archive file against its manifest and the MAC key."""

    problems: list[str] = field(default_factory=list)
    count: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    anchor_in_mac: bytes = b""
    last_mac: bytes = b""

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_archive(manifest_path: Path, mac_key: bytes, trusted: TrustedKeys) -> ArchiveCheck:
    """Check the manifest signature, the file's SHA-256 and the chain inside the archive."""
    check = ArchiveCheck()
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        signature = unb64(manifest.pop("signature"))
    except (OSError, ValueError, KeyError) as exc:
        check.problems.append(f"manifest unreadable: {type(exc).__name__}")
        return check
    if not trusted.verify(manifest.get("key_id", ""), signature, MANIFEST_DOMAIN, manifest):
        check.problems.append("manifest signature does not verify")
        return check
    check.first_seq, check.last_seq = manifest["first_seq"], manifest["last_seq"]
    check.anchor_in_mac = bytes.fromhex(manifest["anchor_in_mac"])
    path = manifest_path.with_name(manifest["archive_name"])
    if hashlib.sha256(path.read_bytes()).hexdigest() != manifest["archive_sha256"]:
        check.problems.append("archive file SHA-256 differs from the manifest")
        return check
    expected, prev = check.first_seq, check.anchor_in_mac
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            event = event_from_json(line)
            if event.seq != expected or event.prev_mac != prev:
                check.problems.append(f"seq {expected}: sequence or link broken")
            mac = hmac.digest(mac_key, event.prev_mac + canonical(event), "sha256")
            if not hmac.compare_digest(mac, event.mac):
                check.problems.append(f"seq {event.seq}: bad MAC")
            expected, prev = event.seq + 1, event.mac
            check.count += 1
    check.last_mac = prev
    if expected - 1 != check.last_seq or prev.hex() != manifest["last_mac"]:
        check.problems.append("archive ends before the seq or MAC its manifest names")
    return check
