"""Audit settings: retention, archive folder and alert thresholds, from app config or environment.

Each setting is read from app.config under its name, else from the environment variable of the
same name, else the default here; see docs/audit.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app

DEFAULTS: dict[str, Any] = {
    # Events younger than this stay in the database; `audit archive` refuses a later cut-off.
    "CASEMGR_AUDIT_RETENTION_DAYS": 5 * 365,
    # Where `audit archive` writes its files (keep them on separate, write-once storage).
    "CASEMGR_AUDIT_ARCHIVE_DIR": None,  # None: <instance>/audit-archives
    # Unusual volume: more than N distinct cases opened by one user within a sliding hour.
    "CASEMGR_AUDIT_ALERT_CASES_PER_HOUR": 30,
    # Working hours, local time (start inclusive, end exclusive) and days (0 = Monday).
    "CASEMGR_AUDIT_WORKING_HOURS": "07:00-18:00",
    "CASEMGR_AUDIT_WORKING_DAYS": "0,1,2,3,4",
    "CASEMGR_AUDIT_TIMEZONE": "Asia/Ho_Chi_Minh",
    # Repeated denials: more than N refusals for one user (or address) within M minutes.
    "CASEMGR_AUDIT_ALERT_DENIALS": 5,
    "CASEMGR_AUDIT_ALERT_DENIAL_MINUTES": 10,
    # Automatic checkpoints by the running app: after this many events, or this many minutes
    # (whichever comes first, when anything was appended). These bound the window in which a
    # cut of the newest events can go unnoticed (docs/audit.md section 5).
    "CASEMGR_AUDIT_CHECKPOINT_EVERY": 1000,
    "CASEMGR_AUDIT_CHECKPOINT_MINUTES": 5,
    # Processes that verify a long log in parallel (audit.parallel); 0: one per CPU.
    "CASEMGR_AUDIT_VERIFY_WORKERS": 0,
}


@dataclass(frozen=True)
class AuditSettings:
    """The settings, parsed."""

    retention_days: int
    archive_dir: Path
    cases_per_hour: int
    work_start_minute: int
    work_end_minute: int
    working_days: frozenset[int]
    timezone: ZoneInfo
    denials: int
    denial_minutes: int
    checkpoint_every: int
    checkpoint_minutes: float
    verify_workers: int


def _raw(app: Flask, name: str) -> Any:
    if name in app.config:
        return app.config[name]
    return os.environ.get(name, DEFAULTS[name])


def _minutes(text: str) -> int:
    hours, minutes = text.strip().split(":")
    return int(hours) * 60 + int(minutes)


def audit_settings(app: Flask | None = None) -> AuditSettings:
    """Read and parse the settings of `app` (the current app by default)."""
    app = app or current_app
    start, end = str(_raw(app, "CASEMGR_AUDIT_WORKING_HOURS")).split("-")
    archive_dir = _raw(app, "CASEMGR_AUDIT_ARCHIVE_DIR") or Path(
        app.instance_path, "audit-archives"
    )
    days = _raw(app, "CASEMGR_AUDIT_WORKING_DAYS")
    if isinstance(days, str):
        days = [int(day) for day in days.split(",") if day.strip()]
    return AuditSettings(
        retention_days=int(_raw(app, "CASEMGR_AUDIT_RETENTION_DAYS")),
        archive_dir=Path(archive_dir),
        cases_per_hour=int(_raw(app, "CASEMGR_AUDIT_ALERT_CASES_PER_HOUR")),
        work_start_minute=_minutes(start),
        work_end_minute=_minutes(end),
        working_days=frozenset(days),
        timezone=ZoneInfo(str(_raw(app, "CASEMGR_AUDIT_TIMEZONE"))),
        denials=int(_raw(app, "CASEMGR_AUDIT_ALERT_DENIALS")),
        denial_minutes=int(_raw(app, "CASEMGR_AUDIT_ALERT_DENIAL_MINUTES")),
        checkpoint_every=max(1, int(_raw(app, "CASEMGR_AUDIT_CHECKPOINT_EVERY"))),
        checkpoint_minutes=max(0.1, float(_raw(app, "CASEMGR_AUDIT_CHECKPOINT_MINUTES"))),
        verify_workers=max(0, int(_raw(app, "CASEMGR_AUDIT_VERIFY_WORKERS"))),
    )
