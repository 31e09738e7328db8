"""MFA recovery codes: ten single-use codes, shown once, kept only as keyed hashes.

Why HMAC-SHA256 and not argon2: each code carries 50 random bits (ten characters from a
32-letter alphabet), so there is no dictionary to slow down; the key is derived from the app
secret, so a stolen table alone cannot be searched offline at all. A keyed hash is also
deterministic, which lets the MFA step find and spend a code with one conditional UPDATE
(race-safe: of two concurrent uses exactly one changes a row), instead of running argon2 over
every stored code on every attempt. Attempts are throttled like TOTP codes (same route).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app
from sqlalchemy import delete, func, select, update

from casemgr.auth.models import RecoveryCode, User
from casemgr.clock import utcnow
from casemgr.crypto.secretbox import derive_key
from casemgr.extensions import db

CODE_COUNT = 10
CODE_LENGTH = 10
# Crockford's base32: no i, l, o or u, so nothing is misread when typed from paper.
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_READ_AS = str.maketrans({"o": "0", "i": "1", "l": "1"})


def normalise(typed: str) -> str:
    """The code as stored: lower case, no spaces or dashes, look-alike letters read as digits."""
    kept = "".join(ch for ch in typed.lower() if ch not in " -\t")
    return kept.translate(_READ_AS)


def looks_like_code(typed: str) -> bool:
    """Whether the input has the shape of a recovery code (and not of a six-digit TOTP code)."""
    code = normalise(typed)
    return len(code) == CODE_LENGTH and all(ch in ALPHABET for ch in code)


def _key() -> bytes:
    return derive_key(current_app.extensions["casemgr.keys"].secret_key, "casemgr recovery codes")


def code_hash(user: User, code: str) -> str:
    """The keyed hash of a normalised code, bound to the user's id."""
    message = f"{user.id}:{code}".encode()
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def display(code: str) -> str:
    """A code as shown to the user: two groups of five."""
    return f"{code[:5]}-{code[5:]}"


def drop_codes(user: User) -> None:
    """Remove all the user's recovery codes (their second factor was reset)."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def _new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def replace_codes(user: User) -> list[str]:
    """Make ten new codes for the user, dropping any earlier ones; return them for showing once."""
    drop_codes(user)
    codes = [_new_code() for _ in range(CODE_COUNT)]
    now = utcnow()
    for code in codes:
        row = RecoveryCode(user_id=user.id, code_hash=code_hash(user, code), created_at=now)
        db.session.add(row)
    db.session.flush()
    return [display(code) for code in codes]


def spend(user: User, typed: str) -> bool:
    """Use one of the user's unused codes; True exactly once per code, even under concurrency."""
    if not looks_like_code(typed):
        return False
    result = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == code_hash(user, normalise(typed)),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def remaining(user: User) -> int:
    """How many unused codes the user has left."""
    return db.session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )
