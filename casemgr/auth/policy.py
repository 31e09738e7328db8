"""Who may see which cases: the scope helper that list queries and object loaders share."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, or_, true

from casemgr.auth.models import User
from casemgr.auth.roles import CASE_SCOPE, Scope
from casemgr.db import in_subtree


@dataclass(frozen=True)
class CaseScope:
    """The widest case access a user's roles give: own caseload, unit subtrees, or everything."""

    kind: Scope
    user_id: int
    unit_paths: tuple[str, ...] = ()

    def covers_unit_path(self, path: str) -> bool:
        """Whether a case owned by the unit with this path is inside the scope."""
        if self.kind == Scope.ALL:
            return True
        return self.kind == Scope.SUBTREE and any(path.startswith(p) for p in self.unit_paths)

    def units_condition(self, unit_path: ColumnElement) -> ColumnElement:
        """SQL: units whose cases the scope covers by unit (not by ownership)."""
        if self.kind == Scope.ALL:
            return true()
        if self.kind == Scope.SUBTREE:
            return or_(*(in_subtree(unit_path, path) for path in self.unit_paths))
        return false()


_RANK = {Scope.NONE: 0, Scope.OWN: 1, Scope.SUBTREE: 2, Scope.ALL: 3}


def case_scope(user: User) -> CaseScope:
    """Combine the user's role assignments into one case scope.

    A supervisor's scope is the subtree of every unit they supervise; a social worker sees
    their own and co-worked cases; auditors and administrators see no case content.
    """
    kind = Scope.NONE
    paths: list[str] = []
    for assignment in user.roles:
        role_scope = CASE_SCOPE[assignment.role]
        if _RANK[role_scope] > _RANK[kind]:
            kind = role_scope
        if role_scope == Scope.SUBTREE:
            paths.append(assignment.unit.path)
    # Drop paths already inside another one, so queries stay short.
    unique = tuple(
        sorted(p for p in set(paths) if not any(p != q and p.startswith(q) for q in paths))
    )
    return CaseScope(kind=kind, user_id=user.id, unit_paths=unique if kind == Scope.SUBTREE else ())
