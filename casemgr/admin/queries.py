"""Reads for the administration pages: the user list and its filters, and what disabling a user
leaves behind (their open cases, and the supervisors who must reassign them)."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import selectinload

from casemgr.auth.models import RoleAssignment, User
from casemgr.auth.roles import MFA_REQUIRED_ROLES, Role
from casemgr.cases.models import Case
from casemgr.cases.workflow import Status
from casemgr.collation import vietnamese
from casemgr.extensions import db
from casemgr.org.models import Unit

SETUP = "setup"  # must change their password, or must enrol two-step sign-in and has not
DISABLED_OWNERS = "disabled_owners"  # disabled, and still the owner of open cases
FILTERS = (SETUP, DISABLED_OWNERS)


def _mfa_required_roles() -> list[Role]:
    roles = set(MFA_REQUIRED_ROLES)
    if current_app.config["MFA_REQUIRED_FOR_SOCIAL_WORKERS"]:
        roles.add(Role.SOCIAL_WORKER)
    return sorted(roles)


def _open_cases_of(user_id) -> Select:
    return select(Case.id).where(Case.owner_id == user_id, Case.status != Status.CLOSED)


def user_list(term: str = "", show: str | None = None) -> Select:
    """Users by username, optionally matching a search term and one of FILTERS."""
    # The list shows every user's roles: one more query for the page, not one per user.
    statement = select(User).options(selectinload(User.roles)).order_by(User.username, User.id)
    if term:
        like = f"%{term.lower()}%"
        statement = statement.where(or_(User.username.like(like), User.display_name.ilike(like)))
    if show == SETUP:
        needs_mfa = exists().where(
            RoleAssignment.user_id == User.id, RoleAssignment.role.in_(_mfa_required_roles())
        )
        statement = statement.where(
            User.is_enabled,
            or_(User.must_change_password, and_(User.mfa_enrolled_at.is_(None), needs_mfa)),
        )
    elif show == DISABLED_OWNERS:
        statement = statement.where(~User.is_enabled, exists(_open_cases_of(User.id)))
    return statement


def open_case_counts(user_ids: list[int]) -> dict[int, int]:
    """How many open cases each user owns (one GROUP BY; counts only, no case content)."""
    if not user_ids:
        return {}
    return dict(
        db.session.execute(
            select(Case.owner_id, func.count())
            .where(Case.owner_id.in_(user_ids), Case.status != Status.CLOSED)
            .group_by(Case.owner_id)
        ).all()
    )


def open_case_count(user: User) -> int:
    """How many open cases the user owns."""
    return open_case_counts([user.id]).get(user.id, 0)


def responsible_supervisors(user: User) -> list[User]:
    """Enabled supervisors of the units (or the units above them) that hold the user's open
    cases: those who can reassign them (two queries)."""
    paths = db.session.scalars(
        select(Unit.path).where(
            Unit.id.in_(_open_cases_of(user.id).with_only_columns(Case.unit_id))
        )
    ).all()
    # A path "/1/7/" has the ancestors "/1/" and "/1/7/": a supervisor there covers the unit.
    ancestors = {
        "/" + "/".join(parts[: i + 1]) + "/"
        for path in paths
        for parts in [path.strip("/").split("/")]
        for i in range(len(parts))
    }
    if not ancestors:
        return []
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.is_enabled,
                User.id.in_(
                    select(RoleAssignment.user_id)
                    .join(Unit, Unit.id == RoleAssignment.unit_id)
                    .where(RoleAssignment.role == Role.SUPERVISOR, Unit.path.in_(ancestors))
                ),
            )
            .order_by(vietnamese(User.display_name), User.id)
        )
    )
