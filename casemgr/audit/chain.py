"""The keyed hash chain over audit events: canonical form and MAC computation."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

GENESIS_MAC = b"\x00" * 32

CHAINED_FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_name",
    "actor_roles",
    "action",
    "object_type",
    "object_id",
    "case_id",
    "fields",
    "client_addr",
    "request_id",
    "channel",
    "outcome",
    "reason",
    "is_break_glass",
)


def canonical(event: Any) -> bytes:
    """Serialise the chained fields of an event deterministically."""
    values: dict[str, Any] = {}
    for name in CHAINED_FIELDS:
        value = getattr(event, name)
        if name == "occurred_at":
            value = value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        elif name in ("outcome",):
            value = str(value)
        values[name] = value
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def compute_mac(key: bytes, prev_mac: bytes, event: Any) -> bytes:
    """Return HMAC-SHA256(key, prev_mac || canonical(event))."""
    return hmac.new(key, prev_mac + canonical(event), hashlib.sha256).digest()
