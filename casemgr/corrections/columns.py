"""The columns every correctable record carries, and its one "current rows" condition.

A correction writes a NEW row (`replaces_id` -> the old one) and sets the old row's
`superseded_by_id`; a void sets `voided_at`/`voided_by_id` and a reason sealed under the
person's data key. Readers that list or count records use `current()`; history readers don't.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, and_
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from casemgr.crypto.fields import EncryptedField
from casemgr.db import BigId, UTCDateTime


class Correctable:
    """Mixin: versions linked by replaces/superseded-by, and a void with who, when and why."""

    voided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    void_reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    correction_reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    void_reason = EncryptedField("void_reason_enc")
    correction_reason = EncryptedField("correction_reason_enc")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # The model's own encrypted fields plus the two reasons (rotation and erasure read them).
        own = cls.__dict__.get("__encrypted_fields__", {})
        cls.__encrypted_fields__ = {**Correctable.__encrypted_fields__, **own}

    @declared_attr
    def voided_by_id(cls) -> Mapped[int | None]:
        return mapped_column(BigId, ForeignKey("users.id"))

    @declared_attr
    def corrected_by_id(cls) -> Mapped[int | None]:
        return mapped_column(BigId, ForeignKey("users.id"))

    @declared_attr
    def replaces_id(cls) -> Mapped[int | None]:
        return mapped_column(BigId, ForeignKey(f"{cls.__tablename__}.id"))

    @declared_attr
    def superseded_by_id(cls) -> Mapped[int | None]:
        return mapped_column(BigId, ForeignKey(f"{cls.__tablename__}.id"))

    @declared_attr
    def voided_by(cls) -> Mapped[Any]:
        return relationship("User", foreign_keys=f"[{cls.__name__}.voided_by_id]", viewonly=True)

    @declared_attr
    def corrected_by(cls) -> Mapped[Any]:
        return relationship("User", foreign_keys=f"[{cls.__name__}.corrected_by_id]", viewonly=True)

    @classmethod
    def current(cls):
        """SQL: rows that are neither voided nor superseded (what lists and counts read)."""
        return and_(cls.voided_at.is_(None), cls.superseded_by_id.is_(None))

    @classmethod
    def not_superseded(cls):
        """SQL: the latest version of each record, voided ones included (timelines)."""
        return cls.superseded_by_id.is_(None)

    @property
    def is_voided(self) -> bool:
        """Whether the record was voided."""
        return self.voided_at is not None

    @property
    def is_current(self) -> bool:
        """Whether the record counts: neither voided nor superseded."""
        return self.voided_at is None and self.superseded_by_id is None

    @property
    def was_corrected(self) -> bool:
        """Whether this version replaced an earlier one."""
        return self.replaces_id is not None
