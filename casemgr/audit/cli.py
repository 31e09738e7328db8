"""`flask casemgr audit ...`: verify the chain and write signed checkpoints."""

from __future__ import annotations

from flask.cli import AppGroup

audit_cli = AppGroup("audit", help="Verify and checkpoint the audit trail.")
