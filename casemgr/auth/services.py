"""Sign-in verbs: authenticate, confirm a TOTP or recovery code, enrol MFA, change a password."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from casemgr.audit import alerts, record
from casemgr.auth import mfa, recovery
from casemgr.auth.models import User
from casemgr.auth.passwords import (
    burn_verification_time,
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)
from casemgr.auth.sessions import end_user_sessions
from casemgr.clock import utcnow
from casemgr.extensions import db


class PasswordRejected(ValueError):
    """The new password breaks a rule; `problems` says which, in the user's language."""

    def __init__(self, problems: list[str]):
        super().__init__("password rejected")
        self.problems = problems


def normalise_username(username: str) -> str:
    """Usernames are compared case-insensitively and without surrounding spaces."""
    return username.strip().lower()


def find_user(username: str) -> User | None:
    """The user with this username, if any."""
    return db.session.scalar(
        select(User).where(func.lower(User.username) == normalise_username(username))
    )


def authenticate(username: str, password: str) -> User | None:
    """Check a username and password; unknown, disabled and wrong all answer alike (audited)."""
    user = find_user(username) if len(username) <= 64 else None
    if user is None:
        burn_verification_time(password)
        record("auth.login", actor=None, outcome="denied", reason="bad credentials")
        return None
    if not verify_password(user.password_hash, password) or not user.is_enabled:
        record(
            "auth.login",
            actor=user,
            object_type="user",
            object_id=user.id,
            outcome="denied",
            reason="bad credentials" if user.is_enabled else "disabled",
        )
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    record("auth.password_ok", actor=user, object_type="user", object_id=user.id)
    return user


def confirm_totp(user: User, code: str) -> bool:
    """Accept a TOTP code once (a code is never accepted twice); audited either way."""
    secret = mfa.stored_secret(user) if user.mfa_enrolled else None
    step = mfa.check_code(secret, code, user.totp_last_step) if secret else None
    if step is None or not mfa.claim_step(user, step):
        record("auth.mfa", actor=user, object_type="user", object_id=user.id, outcome="denied")
        return False
    record("auth.mfa", actor=user, object_type="user", object_id=user.id)
    return True


def confirm_enrolment(user: User, secret: str, code: str) -> bool:
    """Keep a new TOTP secret once the user proves their app shows its codes; audited."""
    step = mfa.check_code(secret, code, None)
    if step is None:
        record(
            "auth.mfa_enrol", actor=user, object_type="user", object_id=user.id, outcome="denied"
        )
        return False
    mfa.store_secret(user, secret)
    user.totp_last_step = step
    user.mfa_enrolled_at = utcnow()
    record("auth.mfa_enrol", actor=user, object_type="user", object_id=user.id)
    return True


def make_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with ten new ones, returned once for showing; audited."""
    codes = recovery.replace_codes(user)
    record("auth.recovery_codes", actor=user, object_type="user", object_id=user.id)
    return codes


def regenerate_recovery_codes(user: User, password: str) -> list[str] | None:
    """New recovery codes after the user re-enters their password; None if it is wrong."""
    if not user.mfa_enrolled or not verify_password(user.password_hash, password):
        record(
            "auth.recovery_codes",
            actor=user,
            object_type="user",
            object_id=user.id,
            outcome="denied",
            reason="wrong current password" if user.mfa_enrolled else "mfa not enrolled",
        )
        return None
    return make_recovery_codes(user)


def confirm_recovery_code(user: User, typed: str) -> bool:
    """Accept an unused recovery code instead of a TOTP code; audited, alerts the supervisor."""
    if not user.mfa_enrolled or not recovery.spend(user, typed):
        record(
            "auth.mfa_recovery",
            actor=user,
            object_type="user",
            object_id=user.id,
            outcome="denied",
        )
        return False
    event = record(
        "auth.mfa_recovery", actor=user, object_type="user", object_id=user.id, immediate=True
    )  # its alert is keyed by its seq
    alerts.raise_recovery_code_alert(event)
    return True


def record_login(user: User) -> None:
    """Audit a completed sign-in (after every factor)."""
    record("auth.login", actor=user, object_type="user", object_id=user.id)


def set_password(user: User, new_password: str, *, temporary: bool = False) -> None:
    """Set a password that passes the rules; raise PasswordRejected otherwise."""
    problems = password_problems(new_password, user.username)
    if problems:
        raise PasswordRejected(problems)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    user.must_change_password = temporary


def change_password(user: User, current_password: str, new_password: str) -> bool:
    """Change one's own password; needs the current one and ends the user's other sessions."""
    if not verify_password(user.password_hash, current_password):
        record(
            "auth.password_change",
            actor=user,
            object_type="user",
            object_id=user.id,
            outcome="denied",
            reason="wrong current password",
        )
        return False
    if new_password == current_password:
        # A "change" to the same password leaves a temporary or exposed one in use while the
        # page says it was changed.
        raise PasswordRejected([str(_l("Choose a password other than your current one."))])
    set_password(user, new_password)
    end_user_sessions(user, "password changed", keep_current=True)
    record("auth.password_change", actor=user, object_type="user", object_id=user.id)
    return True


def set_locale(user: User, locale: str) -> None:
    """Remember the user's interface language."""
    user.locale = locale


def record_logout(user: User) -> None:
    """Audit a sign-out."""
    record("auth.logout", actor=user, object_type="user", object_id=user.id)
