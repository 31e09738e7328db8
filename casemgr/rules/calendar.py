"""Viet Nam's working-day calendar: weekends, public holidays, and locally added exceptions.

A day is a working day unless it is a Saturday or Sunday or a public holiday of the `holidays`
package's Vietnam calendar (Tết, Hùng Kings, 30 April, 1 May, National Day, ... with their
observed and bridge days), or an administrator added it as a day off (`days_off`). A row of
`days_off` marked `is_working_day` turns a weekend day or holiday into a working day (the
Saturdays worked in exchange for a bridge day). Rows without a unit apply everywhere; a unit's
rows apply to its whole subtree, and the most specific row wins.

Dates here are local (Asia/Ho_Chi_Minh) calendar dates; `casemgr.clock` converts a UTC moment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

import holidays
from sqlalchemy import select

from casemgr.extensions import db
from casemgr.rules.models import DayOff

# A working-day count beyond this is a typo in a rule, not a deadline (and would loop long).
MAX_WORKING_DAYS = 5000
LOCAL_DAYS_KEY = "casemgr.rules.local_days"


@lru_cache(maxsize=128)
def public_holidays(year: int) -> frozenset[dt.date]:
    """Viet Nam's public holidays (with observed days) in a year, from the pinned package."""
    return frozenset(holidays.country_holidays("VN", years=year).keys())


@dataclass(frozen=True)
class LocalDays:
    """The `days_off` table, by unit id (None: everywhere) -> day -> is it a working day."""

    by_unit: dict[int | None, dict[dt.date, bool]]
    # add_working_days answers, kept as long as the table copy they were computed from: lists
    # of cases ask the same (intake day, amount, unit) again and again.
    sums: dict[tuple[dt.date, int, str | None], dt.date] = field(default_factory=dict)

    def decision(self, day: dt.date, unit_ids: tuple[int | None, ...]) -> bool | None:
        """The most specific local decision on `day` (True: working), or None if there is none."""
        for unit_id in unit_ids:
            decided = self.by_unit.get(unit_id, {}).get(day)
            if decided is not None:
                return decided
        return None


def local_days() -> LocalDays:
    """The local exceptions, read once per database session (the table holds a few rows a year).

    Services that add or remove a row call `forget_local_days()`; a new request has a new
    session and so reads the table again.
    """
    info = db.session.info
    cached = info.get(LOCAL_DAYS_KEY)
    if cached is None:
        by_unit: dict[int | None, dict[dt.date, bool]] = {}
        for unit_id, day, working in db.session.execute(
            select(DayOff.unit_id, DayOff.day, DayOff.is_working_day)
        ):
            by_unit.setdefault(unit_id, {})[day] = working
        cached = info[LOCAL_DAYS_KEY] = LocalDays(by_unit)
    return cached


def forget_local_days() -> None:
    """Drop the cached exceptions after a change to `days_off`."""
    db.session.info.pop(LOCAL_DAYS_KEY, None)


def unit_chain(unit_path: str | None) -> tuple[int | None, ...]:
    """Unit ids from the most specific to the root, then None (everywhere).

    `unit_path` is a unit's materialised path, e.g. "/1/7/" for unit 7 under unit 1.
    """
    ids = [int(part) for part in (unit_path or "").split("/") if part]
    return (*reversed(ids), None)


def is_working_day(day: dt.date, *, unit_path: str | None = None) -> bool:
    """Whether `day` is a working day (everywhere, or in the unit with this path)."""
    decided = local_days().decision(day, unit_chain(unit_path))
    if decided is not None:
        return decided
    return day.weekday() < 5 and day not in public_holidays(day.year)


def add_working_days(start: dt.date, n: int, *, unit_path: str | None = None) -> dt.date:
    """The n-th working day after `start` (before it when n < 0); `start` itself is not counted.

    add_working_days(Friday, 1) is the next Monday, unless that Monday is a holiday.
    With n == 0 the answer is `start`, working day or not.
    """
    if abs(n) > MAX_WORKING_DAYS:
        raise ValueError(f"{n} working days is out of range")
    sums = local_days().sums
    if (start, n, unit_path) in sums:
        return sums[(start, n, unit_path)]
    step = dt.timedelta(days=1 if n >= 0 else -1)
    day, left = start, abs(n)
    while left:
        day += step
        if is_working_day(day, unit_path=unit_path):
            left -= 1
    sums[(start, n, unit_path)] = day
    return day


def working_days_between(a: dt.date, b: dt.date, *, unit_path: str | None = None) -> int:
    """Working days after `a` up to and including `b` (negative when b < a).

    The inverse of add_working_days: add_working_days(a, working_days_between(a, b)) == b
    whenever b is a working day.
    """
    if b < a:
        return -working_days_between(b, a, unit_path=unit_path)
    count, day = 0, a
    while day < b:
        day += dt.timedelta(days=1)
        count += is_working_day(day, unit_path=unit_path)
    return count
