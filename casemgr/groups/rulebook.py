"""The dated rules group records use, asked of casemgr.rules through one narrow seam: records
keep calendar dates (a decision, a test), the rules count in moments."""

from __future__ import annotations

import datetime as dt

from casemgr.clock import LOCAL_TZ
from casemgr.rules import DatedRule, DurationUnit, deadline, local_date, rule_in_force
from casemgr.rules.services import add_months as _add_months

# A date-only start counts from midday in Viet Nam, well clear of either day's edge.
_MIDDAY = dt.time(12)


def rule(key: str, on: dt.date) -> DatedRule:
    """The version of `key` in force on `on` (raises casemgr.rules.NoRuleInForce)."""
    return rule_in_force(key, on)


def months_of(version: DatedRule) -> int:
    """A duration rule's amount in months (rules in years count twelve)."""
    if version.unit == DurationUnit.YEARS:
        return version.amount * 12
    if version.unit != DurationUnit.MONTHS:
        raise ValueError(f"{version.key} is not counted in months")
    return version.amount


def _moment(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, _MIDDAY, tzinfo=LOCAL_TZ)


def due_date(key: str, start: dt.date, *, on: dt.date, unit_path: str | None = None) -> dt.date:
    """The local date `key` (in force on `on`) after the day `start`; working days skip
    weekends, public holidays and the unit's days off."""
    return local_date(deadline(key, _moment(start), on=on, unit_path=unit_path))


def due_at(key: str, start: dt.datetime, *, on: dt.date) -> dt.datetime:
    """The moment `key` (in force on `on`) after `start` (aware UTC)."""
    return deadline(key, start, on=on)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or that month's last day (31 Aug + 6 months = 28/29 Feb)."""
    return _add_months(_moment(day), months).date()
