"""The signed body of an archive anchor (see AuditAnchor), shared by archive and verify."""

from __future__ import annotations

import datetime as dt
from typing import Any

ANCHOR_DOMAIN = "casemgr-audit-anchor-v1"


def anchor_body(anchor: Any) -> dict[str, object]:
    """The fields an anchor's Ed25519 signature covers."""
    archived_at: dt.datetime = anchor.archived_at
    return {
        "seq": anchor.seq,
        "mac": bytes(anchor.mac).hex(),
        "first_seq": anchor.first_seq,
        "archive_name": anchor.archive_name,
        "archive_sha256": anchor.archive_sha256,
        "archived_at": archived_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "key_id": anchor.key_id,
    }
