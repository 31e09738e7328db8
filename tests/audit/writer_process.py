"""A separate OS process that appends audit events through record(), one transaction each."""

from __future__ import annotations

import json
from typing import Any


def append_events(url: str, keys: dict, worker: int, count: int, barrier: Any) -> None:
    """Build an app on `url`, wait for the other writers, then append `count` events."""
    from casemgr import create_app
    from casemgr.audit import record
    from casemgr.extensions import db

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "CASEMGR_KEYS_JSON": json.dumps(keys),
        }
    )
    with app.app_context():
        db.session.execute(db.text("SELECT 1"))  # connect before the start line
        db.session.rollback()
        barrier.wait(timeout=60)
        for number in range(count):
            record(
                "test.append",
                actor=None,
                object_type="writer",
                object_id=f"{worker}:{number}",
                reason=f"writer {worker}",
            )
            db.session.commit()
        db.engine.dispose()
