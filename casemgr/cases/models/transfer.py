"""Transfers of a case between units: requested, then accepted or declined by the receiver."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, LargeBinary, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.auth.models import User
from casemgr.crypto.fields import EncryptedField, EncryptedModel
from casemgr.db import Base, BigId, UTCDateTime, intpk, timestamp, value_enum
from casemgr.org.models import Unit


class TransferStatus(enum.StrEnum):
    """Where a transfer stands; only a requested one can still be decided or cancelled."""

    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"


class CaseTransfer(EncryptedModel, Base):
    """One request to move a case to another unit, kept for good whatever its outcome.

    The row is the case's history of units and owners: an accepted transfer names both the
    unit and owner before (`from_*`) and after (`to_*`).
    """

    __tablename__ = "case_transfers"
    __table_args__ = (
        # At most one open request per case, enforced by the database as well as the service.
        Index(
            "uq_case_transfers_open_case_id",
            "case_id",
            unique=True,
            sqlite_where=text("status = 'requested'"),
            postgresql_where=text("status = 'requested'"),
        ),
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), index=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"))
    status: Mapped[TransferStatus] = mapped_column(
        value_enum(TransferStatus, 20), default=TransferStatus.REQUESTED
    )
    from_unit_id: Mapped[int] = mapped_column(BigId, ForeignKey("units.id"))
    to_unit_id: Mapped[int] = mapped_column(BigId, ForeignKey("units.id"), index=True)
    from_owner_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    to_owner_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    requested_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    requested_at: Mapped[timestamp]
    decided_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Sent without everyone's transfer consent, by a role allowed to override it.
    consent_overridden: Mapped[bool] = mapped_column(default=False)
    # Free texts may name people: sealed under the case person's key.
    reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    override_reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    decline_reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    reason = EncryptedField("reason_enc")
    override_reason = EncryptedField("override_reason_enc")
    decline_reason = EncryptedField("decline_reason_enc")

    from_unit: Mapped[Unit] = relationship(foreign_keys=[from_unit_id], lazy="joined")
    to_unit: Mapped[Unit] = relationship(foreign_keys=[to_unit_id], lazy="joined")
    from_owner: Mapped[User] = relationship(foreign_keys=[from_owner_id], lazy="joined")
    to_owner: Mapped[User | None] = relationship(foreign_keys=[to_owner_id], lazy="joined")
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id], lazy="joined")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="joined")

    @property
    def is_open(self) -> bool:
        """Whether the request still waits for the receiving unit."""
        return self.status == TransferStatus.REQUESTED

    def __repr__(self) -> str:
        return f"<CaseTransfer {self.id} {self.status}>"
