"""Who may see and who may manage which intervention models (pure predicates, no queries).

A model is run by a unit and serves the units below it: a provincial model serves every
commune of the province. So staff see the models their units run or oversee (the units'
subtrees) and the models that apply to their units (those of the units above them);
supervisors manage the first kind only. A case's enrolment form offers the models that
apply to the case's unit (`applies_to`) among those the user sees, so every choice has a
page the user can open."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, or_, true

from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.db import in_subtree

# Roles that see the models of their units' subtrees and of the units above them;
# administrators see every model.
VIEWING_ROLES = frozenset({Role.SOCIAL_WORKER, Role.SUPERVISOR})
MANAGING_ROLES = frozenset({Role.SUPERVISOR})


@dataclass(frozen=True)
class ModelScope:
    """Models owned by units in these subtrees or by exactly these units, or every model."""

    everything: bool = False
    unit_paths: tuple[str, ...] = ()  # subtrees
    exact_paths: tuple[str, ...] = ()  # single units (those above the user's own)

    def covers(self, unit_path: str) -> bool:
        """Whether a model owned by the unit with this path is inside the scope."""
        return (
            self.everything
            or unit_path in self.exact_paths
            or any(unit_path.startswith(p) for p in self.unit_paths)
        )

    def condition(self, unit_path: ColumnElement) -> ColumnElement:
        """The same rule as `covers`, as SQL over the owning unit's path column."""
        if self.everything:
            return true()
        rules = [in_subtree(unit_path, p) for p in self.unit_paths]
        if self.exact_paths:
            rules.append(unit_path.in_(self.exact_paths))
        return or_(*rules) if rules else false()


def lineage(unit_path: str) -> tuple[str, ...]:
    """The paths of a unit and of every unit above it ("/1/4/9/" -> "/1/", "/1/4/", "/1/4/9/")."""
    parts = [part for part in unit_path.strip("/").split("/") if part]
    return tuple("/" + "/".join(parts[: n + 1]) + "/" for n in range(len(parts)))


def _unique_subtrees(paths: set[str]) -> tuple[str, ...]:
    # Drop paths inside another one, so the SQL stays short.
    return tuple(sorted(p for p in paths if not any(p != q and p.startswith(q) for q in paths)))


def view_scope(user: User) -> ModelScope:
    """Models a user may see: those of their units' subtrees and of the units above their
    units, which apply to them (administrators: all; auditors: none). Read-only unless
    `manage_scope` covers them too."""
    if user.has_role(Role.ADMINISTRATOR):
        return ModelScope(everything=True)
    paths = {a.unit.path for a in user.roles if a.role in VIEWING_ROLES}
    subtrees = _unique_subtrees(paths)
    above = {p for path in paths for p in lineage(path)}
    exact = tuple(sorted(p for p in above if not any(p.startswith(q) for q in subtrees)))
    return ModelScope(unit_paths=subtrees, exact_paths=exact)


def manage_scope(user: User) -> ModelScope:
    """Models a user may change, and record activities, visits and targets for: those of the
    subtrees of the units they supervise (administrators: all)."""
    if user.has_role(Role.ADMINISTRATOR):
        return ModelScope(everything=True)
    paths = {a.unit.path for a in user.roles if a.role in MANAGING_ROLES}
    return ModelScope(unit_paths=_unique_subtrees(paths))


def applies_to(unit_path: str) -> ModelScope:
    """Models that apply to a unit, and so to its cases: its own and those of every unit
    above it (a provincial model serves the province's communes)."""
    return ModelScope(exact_paths=lineage(unit_path))
