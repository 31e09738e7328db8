"""Who may see and who may manage which intervention models (pure predicates, no queries)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, or_, true

from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.db import in_subtree

# Roles that see the models of their units' subtrees; administrators see every model.
VIEWING_ROLES = frozenset({Role.SOCIAL_WORKER, Role.SUPERVISOR})
MANAGING_ROLES = frozenset({Role.SUPERVISOR})


@dataclass(frozen=True)
class ModelScope:
    """Models owned by units in these subtrees, or every model."""

    everything: bool = False
    unit_paths: tuple[str, ...] = ()

    def covers(self, unit_path: str) -> bool:
        """Whether a model owned by the unit with this path is inside the scope."""
        return self.everything or any(unit_path.startswith(p) for p in self.unit_paths)

    def condition(self, unit_path: ColumnElement) -> ColumnElement:
        """The same rule as `covers`, as SQL over the owning unit's path column."""
        if self.everything:
            return true()
        if not self.unit_paths:
            return false()
        return or_(*(in_subtree(unit_path, p) for p in self.unit_paths))


def _scope(user: User, roles: frozenset[Role]) -> ModelScope:
    if user.has_role(Role.ADMINISTRATOR):
        return ModelScope(everything=True)
    paths = {a.unit.path for a in user.roles if a.role in roles}
    # Drop paths inside another one, so the SQL stays short.
    unique = tuple(sorted(p for p in paths if not any(p != q and p.startswith(q) for q in paths)))
    return ModelScope(unit_paths=unique)


def view_scope(user: User) -> ModelScope:
    """Models a user may see: their units' subtrees (administrators: all; auditors: none)."""
    return _scope(user, VIEWING_ROLES)


def manage_scope(user: User) -> ModelScope:
    """Models a user may change, and record activities, visits and targets for."""
    return _scope(user, MANAGING_ROLES)
