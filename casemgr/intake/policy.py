"""Who may see and decide intake reports: the social workers of the commune office a report is
for, and the supervisors of that office or of a unit above it (auditors and administrators
never see a report's content). The queue and the loader share these rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, or_

from casemgr.auth.models import User
from casemgr.auth.roles import Action, Role
from casemgr.db import in_subtree
from casemgr.intake.models import IntakeReport
from casemgr.org.models import Unit, UnitKind
from casemgr.web.access import user_may


@dataclass(frozen=True)
class IntakeReach:
    """The units whose reports a user handles: their own commune offices (as a social
    worker) and the subtrees they supervise."""

    unit_ids: frozenset[int]
    unit_paths: tuple[str, ...]

    def covers(self, unit: Unit) -> bool:
        """Whether reports for this unit are within reach."""
        return unit.id in self.unit_ids or any(unit.path.startswith(p) for p in self.unit_paths)

    def condition(self, unit_id: ColumnElement, unit_path: ColumnElement) -> ColumnElement:
        """SQL: the same rule as covers(), over a report's unit id and path columns."""
        terms = [in_subtree(unit_path, path) for path in self.unit_paths]
        if self.unit_ids:
            terms.append(unit_id.in_(sorted(self.unit_ids)))
        return or_(*terms) if terms else false()


def reach(user: User) -> IntakeReach:
    """The user's intake reach (empty for auditors and administrators)."""
    if not user_may(user, Action.VIEW_CASES):
        return IntakeReach(frozenset(), ())
    ids = frozenset(a.unit_id for a in user.roles if a.role == Role.SOCIAL_WORKER)
    paths = tuple(sorted({a.unit.path for a in user.roles if a.role == Role.SUPERVISOR}))
    return IntakeReach(ids, paths)


def may_read(user: User, report: IntakeReport) -> bool:
    """Whether the user may read the report."""
    return reach(user).covers(report.unit)


def may_receive(user: User, unit: Unit) -> bool:
    """Whether the user may record a report for this unit."""
    return user_may(user, Action.EDIT_CASES) and reach(user).covers(unit)


def may_decide(user: User, report: IntakeReport) -> bool:
    """Whether the user may accept or dismiss the report."""
    return may_receive(user, report.unit)


def takes_reports(unit: Unit, day: dt.date) -> bool:
    """Whether reports can be filed for this unit on this day (open commune offices)."""
    return unit.kind == UnitKind.COMMUNE_OFFICE and unit.is_open_on(day)
