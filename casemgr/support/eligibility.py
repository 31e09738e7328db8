"""Which services a person may receive on a day: pure functions over their status history.

Trafficking supports depend on the person's status on that day (DOMAIN.md §2.2, Law 53/2024
and Decree 162/2025); other groups may receive everything in their catalogue. The sets are
dated data: a new law adds a version with the date it applies from, and a delivery is judged
by the version in force on the day it was delivered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from casemgr.support.models.trafficking import Location, VictimStatus

TRAFFICKING = "trafficking"
SUPPORTS = ("a", "b", "c", "d", "đ", "e", "g", "h", "i", "k")

# (status, location) -> supports; location only matters while a person is being identified.
StatusKey = tuple[VictimStatus, Location | None]


@dataclass(frozen=True)
class EntitlementVersion:
    """The supports of each status from `valid_from` until the next version."""

    valid_from: dt.date
    supports: Mapping[StatusKey, frozenset[str]]


def _upto(last: str) -> frozenset[str]:
    return frozenset(SUPPORTS[: SUPPORTS.index(last) + 1])


ENTITLEMENTS: tuple[EntitlementVersion, ...] = (
    EntitlementVersion(
        valid_from=dt.date(2025, 7, 1),  # Law 53/2024/QH15 in force
        supports={
            (VictimStatus.IDENTIFIED, None): _upto("k"),
            (VictimStatus.ACCOMPANYING_MINOR, None): _upto("h"),
            (VictimStatus.BEING_IDENTIFIED, Location.IN_VIET_NAM): _upto("g"),
            (VictimStatus.BEING_IDENTIFIED, Location.ABROAD): _upto("d"),
            (VictimStatus.FOREIGN_VICTIM, None): frozenset({"a", "b", "c", "d", "đ", "g"}),
        },
    ),
)


class StatusFact(Protocol):
    """What eligibility reads of a status row (TraffickingStatus satisfies it)."""

    id: int | None
    status: VictimStatus
    location: Location | None
    valid_from: dt.date


def status_on(history: Iterable[StatusFact], day: dt.date) -> StatusFact | None:
    """The status in force on `day`: the latest one started by then (the later record wins a
    tie, since a correction on the same day is recorded after what it corrects)."""
    started = [s for s in history if s.valid_from <= day]
    if not started:
        return None
    return max(started, key=lambda s: (s.valid_from, s.id or 0))


def entitlement_on(day: dt.date) -> EntitlementVersion:
    """The version in force on `day`; before the first, the first (the oldest rule we hold)."""
    current = ENTITLEMENTS[0]
    for version in ENTITLEMENTS:
        if version.valid_from <= day:
            current = version
    return current


def supports_for(status: VictimStatus, location: Location | None, day: dt.date) -> frozenset[str]:
    """The supports a status gives on `day`."""
    key = (status, location if status == VictimStatus.BEING_IDENTIFIED else None)
    return entitlement_on(day).supports.get(key, frozenset())


def trafficking_supports(history: Iterable[StatusFact], day: dt.date) -> frozenset[str]:
    """The supports a person may receive on `day` (none before any status is recorded)."""
    current = status_on(history, day)
    if current is None:
        return frozenset()
    return supports_for(current.status, current.location, day)


def eligible_codes(
    group_code: str, catalogue: Iterable[str], history: Iterable[StatusFact], day: dt.date
) -> frozenset[str]:
    """The catalogue codes a person of the group may receive on `day`."""
    codes = frozenset(catalogue)
    if group_code == TRAFFICKING:
        return codes & trafficking_supports(history, day)
    return codes
