"""The service catalogue of each target group, and the services delivered on a case."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.auth.models import User
from casemgr.corrections.columns import Correctable
from casemgr.crypto.fields import EncryptedField, EncryptedModel
from casemgr.db import Base, BigId, intpk, timestamp
from casemgr.reference.models import Bilingual
from casemgr.support.models.points import ServicePoint


class ServiceType(Bilingual, Base):
    """A service of one target group's catalogue; trafficking codes are the legal letters a–k."""

    __tablename__ = "service_types"
    __table_args__ = (UniqueConstraint("group_code", "code"),)

    id: Mapped[intpk]
    group_code: Mapped[str] = mapped_column(ForeignKey("target_groups.code"), index=True)
    code: Mapped[str] = mapped_column(String(30))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<ServiceType {self.group_code}:{self.code}>"


class ServiceDelivery(Correctable, EncryptedModel, Base):
    """A service delivered: type, provider, date and amount plain (reports count them); the
    free-text provider and the note encrypted (they may describe the person)."""

    __tablename__ = "service_deliveries"
    __table_args__ = (
        CheckConstraint("quantity IS NULL OR quantity > 0", name="quantity_positive"),
        CheckConstraint("amount_vnd IS NULL OR amount_vnd >= 0", name="amount_not_negative"),
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), index=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"))
    service_type_id: Mapped[int] = mapped_column(BigId, ForeignKey("service_types.id"), index=True)
    partner_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("service_points.id"))
    delivered_on: Mapped[dt.date] = mapped_column(Date, index=True)
    quantity: Mapped[int | None] = mapped_column(Integer)
    amount_vnd: Mapped[int | None] = mapped_column(BigInteger)
    author_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[timestamp]
    is_break_glass: Mapped[bool] = mapped_column(default=False)
    provider_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    note_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    provider = EncryptedField("provider_enc")
    note = EncryptedField("note_enc")

    service_type: Mapped[ServiceType] = relationship(lazy="joined")
    partner: Mapped[ServicePoint | None] = relationship(lazy="joined")
    author: Mapped[User] = relationship(foreign_keys="[ServiceDelivery.author_id]", lazy="joined")
