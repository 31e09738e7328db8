"""Factories for test data: units, users with roles, signed-in clients."""

from __future__ import annotations

import datetime as dt
import itertools

import pyotp

from casemgr.admin.services import create_user
from casemgr.auth import mfa
from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.clock import utcnow
from casemgr.org.models import Unit, UnitKind
from casemgr.org.services import open_unit

PASSWORD = "correct-horse-battery-staple-42"
_numbers = itertools.count(1)


def open_without_area(*, kind: UnitKind, **fields) -> Unit:
    """A unit serving no area, for tests where areas do not matter. The service refuses a
    commune office serving no commune, so one is opened as a centre and then given its kind
    (as a commune office opened before that rule would be)."""
    if kind != UnitKind.COMMUNE_OFFICE:
        return open_unit(None, kind=kind, **fields)
    unit = open_unit(None, kind=UnitKind.SERVICE_CENTRE, **fields)
    unit.kind = UnitKind.COMMUNE_OFFICE
    return unit


class Factories:
    """make.unit(...), make.user(...): objects flushed inside the test's transaction."""

    def __init__(self, db) -> None:
        self.db = db

    def unit(
        self,
        parent: Unit | None = None,
        *,
        code: str | None = None,
        kind: UnitKind = UnitKind.COMMUNE_OFFICE,
        valid_from: dt.date = dt.date(2025, 7, 1),
    ) -> Unit:
        number = next(_numbers)
        return open_without_area(
            code=code or f"T-U{number}",
            name=f"Test unit {number}",
            kind=kind,
            parent=parent,
            valid_from=valid_from,
        )

    def user(
        self,
        role: Role = Role.SOCIAL_WORKER,
        unit: Unit | None = None,
        *,
        username: str | None = None,
        password: str = PASSWORD,
        mfa_enrolled: bool | None = None,
    ) -> User:
        """A user with one role; MFA is enrolled by default where the role requires it."""
        unit = unit or self.unit()
        number = next(_numbers)
        user, _ = create_user(
            None,
            username=username or f"user{number}",
            display_name=f"Test user {number}",
            email=None,
            role=role,
            unit=unit,
            password=password,
        )
        user.test_password = password
        user.test_totp_secret = None
        if mfa_enrolled is None:
            mfa_enrolled = role != Role.SOCIAL_WORKER
        if mfa_enrolled:
            secret = pyotp.random_base32()
            mfa.store_secret(user, secret)
            user.mfa_enrolled_at = utcnow()
            user.test_totp_secret = secret
        self.db.session.flush()
        return user
