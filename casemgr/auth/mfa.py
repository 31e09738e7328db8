"""TOTP second factor: enrolment with a QR code, verification that refuses reused codes."""

from __future__ import annotations

import time

import pyotp
import segno
from flask import current_app
from sqlalchemy import or_, update
from sqlalchemy.orm.attributes import set_committed_value

from casemgr.auth.models import User
from casemgr.auth.roles import MFA_REQUIRED_ROLES, Role
from casemgr.crypto.secretbox import SealError, derive_key, seal, unseal
from casemgr.extensions import db

ISSUER = "casemgr"
# Accept the previous and next 30-second step too, for clock drift.
VALID_WINDOW = 1


def mfa_required(user: User) -> bool:
    """Whether the user must use TOTP to sign in."""
    roles = user.role_set()
    if roles & MFA_REQUIRED_ROLES:
        return True
    if Role.SOCIAL_WORKER in roles and current_app.config["MFA_REQUIRED_FOR_SOCIAL_WORKERS"]:
        return True
    return user.mfa_enrolled


def _key() -> bytes:
    return derive_key(current_app.extensions["casemgr.keys"].secret_key, "casemgr totp secrets")


def _aad(user: User) -> bytes:
    return f"users.totp_secret_enc:{user.id}".encode()


def seal_pending(user: User, secret: str) -> str:
    """Seal a not-yet-confirmed secret for keeping in the signed session cookie."""
    return seal(_key(), secret.encode(), b"pending:" + _aad(user)).hex()


def unseal_pending(user: User, sealed: str) -> str | None:
    """The pending secret from the session, or None if it is not this user's or was altered."""
    try:
        return unseal(_key(), bytes.fromhex(sealed), b"pending:" + _aad(user)).decode()
    except (ValueError, SealError):
        return None


def new_secret() -> str:
    """A fresh base32 TOTP secret (160 bits)."""
    return pyotp.random_base32(32)


def store_secret(user: User, secret: str) -> None:
    """Keep the secret sealed and bound to the user's row."""
    user.totp_secret_enc = seal(_key(), secret.encode(), _aad(user))
    user.totp_last_step = None


def stored_secret(user: User) -> str | None:
    """The user's TOTP secret, if any."""
    if user.totp_secret_enc is None:
        return None
    return unseal(_key(), user.totp_secret_enc, _aad(user)).decode()


def provisioning_qr_svg(user: User, secret: str) -> str:
    """An SVG data URI of the otpauth:// QR code for authenticator apps."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    return segno.make(uri, error="m").svg_data_uri(scale=5)


def check_code(
    secret: str, code: str, last_step: int | None, now: float | None = None
) -> int | None:
    """Return the time step the code matches, or None; a step at or before last_step is refused."""
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if now is None else now
    current = int(now // totp.interval)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if last_step is not None and step <= last_step:
            continue
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None


def claim_step(user: User, step: int) -> bool:
    """Spend a time step for the user; True for exactly one caller, whatever the concurrency.

    One conditional UPDATE, not a read then a write: of concurrent sign-ins with the same code,
    the database lets one change the row (PostgreSQL re-checks the condition after waiting for
    the row lock; SQLite serialises writers), and the others touch no row and are refused.
    """
    result = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    set_committed_value(user, "totp_last_step", step)
    return True
