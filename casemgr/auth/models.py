"""Users, their role assignments (each bound to a unit) and their server-side sessions."""

from __future__ import annotations

import datetime as dt

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.auth.roles import Role
from casemgr.db import Base, BigId, UTCDateTime, intpk, str200, timestamp, value_enum
from casemgr.org.models import Unit


class User(UserMixin, Base):
    """A person who signs in; holds one or more role assignments."""

    __tablename__ = "users"

    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str200]
    email: Mapped[str | None] = mapped_column(String(200))
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    password_changed_at: Mapped[timestamp]
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    # TOTP secret, encrypted under the app secret and bound to this row (see auth.mfa).
    totp_secret_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    mfa_enrolled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    locale: Mapped[str | None] = mapped_column(String(8))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[timestamp]

    # Loaded on first use: the signed-in user's come with the session record (auth.sessions);
    # owners, authors and co-workers shown on a page never need theirs.
    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="select"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.is_enabled

    @property
    def mfa_enrolled(self) -> bool:
        """Whether the user has a confirmed TOTP secret."""
        return self.mfa_enrolled_at is not None

    def role_set(self) -> set[Role]:
        """The distinct roles the user holds, in any unit."""
        return {assignment.role for assignment in self.roles}

    def has_role(self, role: Role) -> bool:
        """Whether the user holds the role in at least one unit."""
        return role in self.role_set()

    def audit_roles(self) -> str:
        """Roles held, as role@unit-code pairs, for the audit trail."""
        return ",".join(sorted(f"{a.role}@{a.unit.code}" for a in self.roles))

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class RoleAssignment(Base):
    """One role held by one user in one unit."""

    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("user_id", "role", "unit_id"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    role: Mapped[Role] = mapped_column(value_enum(Role, 20))
    unit_id: Mapped[int] = mapped_column(BigId, ForeignKey("units.id"), index=True)
    created_at: Mapped[timestamp]

    user: Mapped[User] = relationship(back_populates="roles")
    unit: Mapped[Unit] = relationship(lazy="joined")


class UserSession(Base):
    """A signed-in session; the cookie holds a random token, the database only its hash."""

    __tablename__ = "user_sessions"

    id: Mapped[intpk]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    created_at: Mapped[timestamp]
    last_seen_at: Mapped[timestamp]
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(40))

    user: Mapped[User] = relationship()


class RecoveryCode(Base):
    """One single-use MFA recovery code; only a keyed hash of it is kept (see auth.recovery)."""

    __tablename__ = "mfa_recovery_codes"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    # HMAC-SHA256 under a key derived from the app secret, bound to the user id (hex).
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[timestamp]
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
