"""The instance key file: creation with mode 0600, loading, and refusal when it is unsafe."""

from __future__ import annotations

import base64
import json
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from casemgr import clock

KEY_FILE_FORMAT = 1
KEY_BYTES = 32
# "pending" is for blind-index keys only: a new index key being filled in alongside the active one.
KEY_STATES = ("active", "pending", "decrypt-only", "retired")
MASTER_KEY_STATES = ("active", "decrypt-only", "retired")


class KeyFileError(RuntimeError):
    """The key material is missing, malformed or unsafe; the message names the problem."""


@dataclass(frozen=True)
class KeyEntry:
    """One key with an id and a state."""

    id: str
    state: str
    key: bytes = field(repr=False)


@dataclass(frozen=True)
class KeyMaterial:
    """Every secret the app needs, as read from the key file or the environment."""

    secret_key: bytes = field(repr=False)
    master_keys: tuple[KeyEntry, ...]
    index_keys: tuple[KeyEntry, ...]
    audit_mac_key: bytes = field(repr=False)
    audit_signing_key: bytes = field(repr=False)
    source: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def new_key_id(prefix: str) -> str:
    """Return a fresh key id such as mk-20261129-3f9a."""
    return f"{prefix}-{clock.today():%Y%m%d}-{secrets.token_hex(2)}"


def new_key_document() -> dict[str, Any]:
    """Return a fresh key document with one active key of each kind."""
    return {
        "format": KEY_FILE_FORMAT,
        "secret_key": _b64(secrets.token_bytes(KEY_BYTES)),
        "master_keys": [
            {"id": new_key_id("mk"), "state": "active", "key": _b64(secrets.token_bytes(KEY_BYTES))}
        ],
        "index_keys": [
            {"id": new_key_id("bi"), "state": "active", "key": _b64(secrets.token_bytes(KEY_BYTES))}
        ],
        "audit_mac_key": _b64(secrets.token_bytes(KEY_BYTES)),
        "audit_signing_key": _b64(secrets.token_bytes(KEY_BYTES)),
    }


def write_key_document(path: str | os.PathLike[str], document: dict[str, Any]) -> None:
    """Write the key document atomically with mode 0600 (never readable by group or others)."""
    target = Path(path)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, target)


def ensure_key_file(path: str | os.PathLike[str]) -> bool:
    """Create the key file with mode 0600 if it is missing; return True when it was created."""
    if Path(path).exists():
        return False
    write_key_document(path, new_key_document())
    return True


def _decode_key(value: Any, what: str) -> bytes:
    try:
        key = base64.b64decode(value, validate=True)
    except (TypeError, ValueError) as exc:
        raise KeyFileError(f"{what} is not valid base64") from exc
    if len(key) != KEY_BYTES:
        raise KeyFileError(f"{what} must be {KEY_BYTES} bytes, found {len(key)}")
    return key


def _entries(
    document: dict[str, Any], name: str, states: tuple[str, ...] = KEY_STATES
) -> tuple[KeyEntry, ...]:
    items = document.get(name)
    if not isinstance(items, list) or not items:
        raise KeyFileError(f"'{name}' must be a non-empty list")
    entries = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise KeyFileError(f"every entry of '{name}' needs an 'id'")
        if item.get("state") not in states:
            raise KeyFileError(f"key {item['id']} in '{name}' has an unknown state")
        entries.append(
            KeyEntry(item["id"], item["state"], _decode_key(item.get("key"), item["id"]))
        )
    if len({e.id for e in entries}) != len(entries):
        raise KeyFileError(f"'{name}' has duplicate key ids")
    if sum(e.state == "active" for e in entries) != 1:
        raise KeyFileError(f"'{name}' must have exactly one active key")
    if sum(e.state == "pending" for e in entries) > 1:
        raise KeyFileError(f"'{name}' may have at most one pending key")
    return tuple(entries)


def parse_key_document(document: Any, source: str) -> KeyMaterial:
    """Validate a key document and return its keys; raise KeyFileError naming the problem."""
    if not isinstance(document, dict) or document.get("format") != KEY_FILE_FORMAT:
        raise KeyFileError(f"{source}: not a casemgr key document (format {KEY_FILE_FORMAT})")
    try:
        return KeyMaterial(
            secret_key=_decode_key(document.get("secret_key"), "secret_key"),
            master_keys=_entries(document, "master_keys", MASTER_KEY_STATES),
            index_keys=_entries(document, "index_keys"),
            audit_mac_key=_decode_key(document.get("audit_mac_key"), "audit_mac_key"),
            audit_signing_key=_decode_key(document.get("audit_signing_key"), "audit_signing_key"),
            source=source,
            raw=document,
        )
    except KeyFileError as exc:
        raise KeyFileError(f"{source}: {exc}") from None


def load_key_file(path: str | os.PathLike[str]) -> KeyMaterial:
    """Read the key file, refusing one that is missing, malformed or readable by others."""
    target = Path(path)
    if not target.exists():
        raise KeyFileError(
            f"key file {target} is missing; run 'flask --app wsgi casemgr init' to create it"
        )
    mode = stat.S_IMODE(target.stat().st_mode)
    if mode & 0o077:
        raise KeyFileError(
            f"key file {target} is readable by others (mode {mode:o}); run 'chmod 600 {target}'"
        )
    try:
        document = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KeyFileError(f"key file {target} is not valid JSON") from exc
    return parse_key_document(document, f"key file {target}")


def load_key_material(key_file: str, keys_json: str | None) -> KeyMaterial:
    """Load keys from the CASEMGR_KEYS environment value when set, otherwise from the key file."""
    if keys_json:
        try:
            document = json.loads(keys_json)
        except ValueError as exc:
            raise KeyFileError("CASEMGR_KEYS is not valid JSON") from exc
        return parse_key_document(document, "CASEMGR_KEYS")
    return load_key_file(key_file)


def with_new_key(document: dict[str, Any], kind: str, *, state: str) -> tuple[dict[str, Any], str]:
    """Return a copy of the document with a fresh key of `kind` ("master_keys" or "index_keys").

    With state "active", the previous active key of that kind becomes decrypt-only.
    """
    prefix = "mk" if kind == "master_keys" else "bi"
    key_id = new_key_id(prefix)
    updated = json.loads(json.dumps(document))
    if state == "active":
        for item in updated[kind]:
            if item["state"] == "active":
                item["state"] = "decrypt-only"
    updated[kind].append(
        {"id": key_id, "state": state, "key": _b64(secrets.token_bytes(KEY_BYTES))}
    )
    return updated, key_id


def with_states(document: dict[str, Any], kind: str, states: dict[str, str]) -> dict[str, Any]:
    """Return a copy of the document with the given key ids of `kind` set to new states."""
    updated = json.loads(json.dumps(document))
    for item in updated[kind]:
        if item["id"] in states:
            item["state"] = states[item["id"]]
    return updated
