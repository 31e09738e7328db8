"""The keyed hash chain over audit events: canonical form and MAC computation."""

from __future__ import annotations

import datetime as dt
import hmac
import json
from collections.abc import Sequence
from typing import Any

GENESIS_MAC = b"\x00" * 32
MAC_BYTES = 32

# Domain-separation tag, first element of every canonical form; a new tag means a new format.
FORMAT_TAG = "casemgr-audit-v1"

# The fields the MAC covers, in canonical order. Every stored column except the MACs themselves.
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

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_NAIVE_EPOCH = dt.datetime(1970, 1, 1)
_MICROSECOND = dt.timedelta(microseconds=1)
# One C-level encoder reused for every event: json.dumps, and JSONEncoder.encode itself, build a
# new one each call (a tenth of the cost of verifying an event). Same output: compact
# separators, no ASCII escaping; the events hold only strings, integers, booleans and None.
_c_encoder = (
    json.encoder.c_make_encoder(
        None, None, json.encoder.c_encode_basestring, None, ":", ",", False, False, True
    )
    if json.encoder.c_make_encoder is not None and json.encoder.c_encode_basestring is not None
    else None
)


def _encode(values: list) -> str:
    if _c_encoder is None:  # a Python without the C accelerator
        return json.dumps(values, separators=(",", ":"), ensure_ascii=False)
    return "".join(_c_encoder(values, 0))


def event_time(value: dt.datetime | str) -> dt.datetime:
    """A stored occurred_at as an aware UTC datetime.

    SQLite hands the column back as text or a naive datetime, both UTC (the column type
    converts to UTC before storing); PostgreSQL as an aware datetime in the session's zone.
    """
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _micros(value: dt.datetime | str) -> int:
    # The hot path of verification: no conversion when the driver gave a datetime.
    if value.__class__ is str:
        value = dt.datetime.fromisoformat(value)
    return (value - (_NAIVE_EPOCH if value.tzinfo is None else _EPOCH)) // _MICROSECOND


def canonical_values(values: Sequence[Any]) -> bytes:
    """Serialise the chained fields, given as values in CHAINED_FIELDS order, deterministically.

    A JSON array in fixed order: unambiguous (strings are quoted and escaped), stable across
    databases, and about four times cheaper than a sorted JSON object. Time is an integer number
    of microseconds since the epoch (a naive or text time is UTC, as stored), so the session
    time zone of the database cannot change it. `values` may be longer (a raw row whose last
    columns are the MACs): only the first 16 are read.
    """
    return _encode(
        [
            FORMAT_TAG,
            values[0],  # seq
            _micros(values[1]),  # occurred_at
            *values[2:13],  # actor_id ... channel
            str(values[13]),  # outcome: an enum member or its value
            values[14],  # reason
            bool(values[15]),  # is_break_glass: SQLite hands back 0/1
        ]
    ).encode()


def canonical(event: Any) -> bytes:
    """The canonical form of an event given as an object (model, row or namespace)."""
    return canonical_values([getattr(event, name) for name in CHAINED_FIELDS])


def compute_mac(key: bytes, prev_mac: bytes, event: Any) -> bytes:
    """Return HMAC-SHA256(key, prev_mac || canonical(event))."""
    return hmac.digest(key, bytes(prev_mac) + canonical(event), "sha256")
