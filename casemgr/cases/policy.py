"""Who may do what with a case: pure predicates shared by loaders, lists and templates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from casemgr.auth.models import User
from casemgr.auth.policy import case_scope
from casemgr.auth.roles import Action
from casemgr.cases.models import BreakGlassGrant, Case
from casemgr.cases.workflow import Combined, Status, Transition
from casemgr.web.access import user_may


@dataclass(frozen=True)
class CaseAccess:
    """What one user may do with one case right now, and whether it is through break-glass."""

    can_read: bool = False
    can_write: bool = False
    can_approve: bool = False
    grant: BreakGlassGrant | None = None

    @property
    def is_break_glass(self) -> bool:
        """Whether the access comes from a break-glass grant rather than the user's scope."""
        return self.grant is not None


NO_ACCESS = CaseAccess()


def case_access(
    user: User, case: Case, grant: BreakGlassGrant | None, now: dt.datetime
) -> CaseAccess:
    """The access a user has to a case: own caseload, unit subtree, or a live break-glass grant.

    A closed case is read-only for everyone; a supervisor may still reopen it.
    """
    if not user_may(user, Action.VIEW_CASES):
        return NO_ACCESS
    is_open = case.status != Status.CLOSED
    scope = case_scope(user)
    in_scope = user.id in case.worker_ids() or scope.covers_unit_path(case.unit.path)
    if in_scope:
        return CaseAccess(
            can_read=True,
            can_write=is_open and user_may(user, Action.EDIT_CASES),
            can_approve=scope.covers_unit_path(case.unit.path)
            and user_may(user, Action.APPROVE_CASES),
        )
    if (
        grant is not None
        and grant.user_id == user.id
        and grant.case_id == case.id
        and grant.is_live(now)
    ):
        return CaseAccess(can_read=True, can_write=is_open and grant.allows_changes, grant=grant)
    return NO_ACCESS


def may_take(
    user: User,
    case: Case,
    access: CaseAccess,
    transition: Transition,
    *,
    status: Status | None = None,
) -> bool:
    """Whether the user may move the case along `transition` (never deciding on their own
    submission); `status` asks as if the case stood there (a later step of a combined move)."""
    if (status or case.status) != transition.source or not access.can_read:
        return False
    if transition.action == Action.APPROVE_CASES:
        own_submission = transition.approval and case.submitted_by_id == user.id
        return access.can_approve and not own_submission
    return access.can_write and user_may(user, transition.action)


def may_take_combined(user: User, case: Case, access: CaseAccess, combined: Combined) -> bool:
    """Whether the user may take every move of `combined`, in order, from where the case is."""
    return case.status == combined.source and all(
        may_take(user, case, access, step, status=step.source) for step in combined.transitions
    )
