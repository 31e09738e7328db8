"""Administrators' verbs on users: create, assign roles, disable, reset MFA, temporary passwords."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from casemgr.admin.queries import open_case_count
from casemgr.audit import record
from casemgr.auth import recovery
from casemgr.auth.models import RoleAssignment, User
from casemgr.auth.roles import Role
from casemgr.auth.services import find_user, normalise_username, set_password
from casemgr.auth.sessions import end_user_sessions
from casemgr.extensions import db
from casemgr.org.models import Unit

# Readable, unambiguous characters for temporary passwords read aloud or copied by hand.
TEMP_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"


class UserError(ValueError):
    """A user change that breaks a rule; the code names which (translated by the view)."""


def temporary_password() -> str:
    """A random 16-character password, shown once to the administrator."""
    return "".join(secrets.choice(TEMP_ALPHABET) for _ in range(16))


def new_user_problems(*, username: str | None = None) -> list[str]:
    """The rules a new user would break (codes, for the caller to translate), all at once; a
    value left None is not judged (a form passes only what its fields could read)."""
    problems = []
    if username is not None and find_user(username) is not None:
        problems.append("username taken")
    return problems


def create_user(
    actor: User | None,
    *,
    username: str,
    display_name: str,
    email: str | None,
    role: Role,
    unit: Unit,
    password: str | None = None,
    is_demo: bool = False,
) -> tuple[User, str | None]:
    """Create a user with one role; without a password, a temporary one is returned."""
    username = normalise_username(username)
    problems = new_user_problems(username=username)
    if problems:
        raise UserError(problems[0])
    user = User(
        username=username,
        display_name=display_name.strip(),
        email=email or None,
        is_demo=is_demo,
        password_hash="!",  # noqa: S106 - unusable until set_password below
    )
    db.session.add(user)
    temp = None
    if password is None:
        temp = temporary_password()
        set_password(user, temp, temporary=True)
    else:
        set_password(user, password)
    db.session.flush()
    user.roles.append(RoleAssignment(role=role, unit=unit))
    db.session.flush()
    record(
        "user.create",
        actor=actor,
        object_type="user",
        object_id=user.id,
        fields=["username", "display_name", "email", "role"],
    )
    return user, temp


def assign_role(actor: User | None, user: User, role: Role, unit: Unit) -> RoleAssignment:
    """Give the user a role in a unit (idempotent)."""
    for assignment in user.roles:
        if assignment.role == role and assignment.unit_id == unit.id:
            return assignment
    assignment = RoleAssignment(role=role, unit=unit)
    user.roles.append(assignment)
    db.session.flush()
    record(
        "user.role_add",
        actor=actor,
        object_type="user",
        object_id=user.id,
        reason=f"{role}@{unit.code}",
    )
    return assignment


def remove_role(actor: User | None, user: User, assignment_id: int) -> None:
    """Take a role assignment away; the last one cannot be removed (disable the user instead)."""
    assignment = db.session.scalar(
        select(RoleAssignment).where(
            RoleAssignment.id == assignment_id, RoleAssignment.user_id == user.id
        )
    )
    if assignment is None:
        raise UserError("no such role")
    if len(user.roles) == 1:
        raise UserError("last role")
    user.roles.remove(assignment)
    end_user_sessions(user, "roles changed")
    record(
        "user.role_remove",
        actor=actor,
        object_type="user",
        object_id=user.id,
        reason=f"{assignment.role}@{assignment.unit.code}",
    )


def set_enabled(
    actor: User | None, user: User, enabled: bool, *, open_cases_acknowledged: bool = False
) -> None:
    """Disable (ending every live session at once) or re-enable a user.

    A user who still owns open cases is disabled only once the actor has acknowledged that
    those cases stay with them until a supervisor reassigns them (administrators have no case
    access: the supervisors of the cases' units reassign).
    """
    if actor is not None and actor.id == user.id and not enabled:
        raise UserError("cannot disable self")
    owned = 0 if enabled else open_case_count(user)
    if owned and not open_cases_acknowledged:
        raise UserError("owns open cases")
    user.is_enabled = enabled
    if not enabled:
        end_user_sessions(user, "disabled")
    record(
        "user.enable" if enabled else "user.disable",
        actor=actor,
        object_type="user",
        object_id=user.id,
        reason=f"open cases: {owned}" if owned else None,
    )


def reset_mfa(actor: User | None, user: User) -> None:
    """Remove the user's TOTP secret; they enrol again at their next sign-in."""
    user.totp_secret_enc = None
    user.totp_last_step = None
    user.mfa_enrolled_at = None
    recovery.drop_codes(user)  # the codes belonged to the second factor just removed
    end_user_sessions(user, "mfa reset")
    record("user.mfa_reset", actor=actor, object_type="user", object_id=user.id)


def reset_password(actor: User | None, user: User) -> str:
    """Set a temporary password that must be changed at next sign-in; return it once."""
    temp = temporary_password()
    set_password(user, temp, temporary=True)
    end_user_sessions(user, "password reset")
    record("user.password_reset", actor=actor, object_type="user", object_id=user.id)
    return temp


def update_profile(actor: User | None, user: User, *, display_name: str, email: str | None) -> None:
    """Change a user's display name and email."""
    changed = [
        name
        for name, value in (("display_name", display_name), ("email", email or None))
        if getattr(user, name) != value
    ]
    user.display_name = display_name.strip()
    user.email = email or None
    if changed:
        record("user.update", actor=actor, object_type="user", object_id=user.id, fields=changed)
