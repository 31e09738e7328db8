"""A personal access token: its owner, name, scopes and lifetime; only a hash of its value."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.auth.models import User
from casemgr.db import Base, BigId, UTCDateTime, intpk, timestamp


class TokenScope(enum.StrEnum):
    """What a token may be used for (on top of what its owner's roles allow)."""

    READ = "read"
    WRITE = "write"
    AUDIT = "audit"
    INTAKE = "intake"


class ApiToken(Base):
    """One token of one user; the value is shown once and kept only as its SHA-256."""

    __tablename__ = "api_tokens"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    # Scope names, comma-separated, in TokenScope order.
    scopes: Mapped[str] = mapped_column(String(60))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[timestamp]
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")

    def scope_set(self) -> set[TokenScope]:
        """The token's scopes."""
        return {TokenScope(name) for name in self.scopes.split(",") if name}

    def is_live(self, now: dt.datetime) -> bool:
        """Neither revoked nor expired at `now`."""
        return self.revoked_at is None and now < self.expires_at

    def __repr__(self) -> str:  # never the value
        return f"<ApiToken {self.id}>"
