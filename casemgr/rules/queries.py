"""Reads for the rules pages: rules with their versions, local days off."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, select

from casemgr.extensions import db
from casemgr.org.models import Unit
from casemgr.rules.models import DatedRule, DayOff, EmergencyAction


def rule_keys() -> Select:
    """One row per rule key, in key order (the rules page paginates over keys)."""
    return select(DatedRule.key).group_by(DatedRule.key).order_by(DatedRule.key)


def versions_of(keys: list[str]) -> dict[str, list[DatedRule]]:
    """The versions of the given rules, newest first (one query)."""
    versions: dict[str, list[DatedRule]] = {key: [] for key in keys}
    for rule in db.session.scalars(
        select(DatedRule)
        .where(DatedRule.key.in_(keys))
        .order_by(DatedRule.key, DatedRule.valid_from.desc())
    ):
        versions[rule.key].append(rule)
    return versions


def all_rule_keys() -> list[str]:
    """Every rule key, for the new-version form's choice."""
    return list(db.session.scalars(rule_keys()))


def days_off(since: dt.date) -> Select:
    """Local calendar entries from `since` on, with their unit (None: everywhere), by day."""
    return (
        select(DayOff, Unit)
        .outerjoin(Unit, Unit.id == DayOff.unit_id)
        .where(DayOff.day >= since)
        .order_by(DayOff.day, DayOff.id)
    )


def emergency_actions(case_id: int) -> list[EmergencyAction]:
    """The emergency actions recorded on a case, latest first."""
    return list(
        db.session.scalars(
            select(EmergencyAction)
            .where(EmergencyAction.case_id == case_id)
            .order_by(EmergencyAction.taken_at.desc())
        )
    )
