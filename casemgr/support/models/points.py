"""Service points and partner organisations: shelters, clinics, legal aid, police, schools, and
the communes' reliable addresses."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.db import Base, BigId, UTCDateTime, intpk, str200, timestamp, utcnow, value_enum
from casemgr.org.models import Area
from casemgr.reference.models import TargetGroup
from casemgr.support.sealing import SealedText


class ServicePointKind(enum.StrEnum):
    """What a service point is (labels are translated in the UI)."""

    SHELTER = "shelter"
    SOCIAL_PROTECTION_CENTRE = "social_protection_centre"
    HEALTH_FACILITY = "health_facility"
    LEGAL_AID_CENTRE = "legal_aid_centre"
    POLICE = "police"
    SCHOOL = "school"
    VOCATIONAL_TRAINING = "vocational_training"
    NGO = "ngo"
    RELIABLE_ADDRESS = "reliable_address"
    OTHER = "other"


# Kinds whose location is confidential (DOMAIN.md §2.5): address and contact are shown only to
# users whose units serve the area, and to administrators (support/policy.py).
CONFIDENTIAL_KINDS = frozenset({ServicePointKind.RELIABLE_ADDRESS})


class ServicePoint(Base):
    """A place or organisation people are referred to or receive services from.

    Name, kind and area are plain (lists filter by them; a reliable address is named by a
    label that neither names its host nor locates it). Address and contact are sealed for
    every kind, so the rule for confidential kinds cannot be forgotten on a later edit.
    """

    __tablename__ = "service_points"

    id: Mapped[intpk]
    kind: Mapped[ServicePointKind] = mapped_column(value_enum(ServicePointKind, 30), index=True)
    name: Mapped[str200]
    area_id: Mapped[int] = mapped_column(BigId, ForeignKey("areas.id"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[timestamp]
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    address_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    contact_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    address = SealedText("address_enc")
    contact = SealedText("contact_enc")

    area: Mapped[Area] = relationship(lazy="joined")
    # The target groups it serves; none recorded (points added before groups were kept) means
    # it is still offered to every group until an office records them.
    groups: Mapped[list[TargetGroup]] = relationship(
        secondary="service_point_groups", order_by="TargetGroup.code", lazy="selectin"
    )

    def serves(self, group_code: str) -> bool:
        """Whether cases of the group may be referred to it or receive its services."""
        return not self.groups or any(g.code == group_code for g in self.groups)

    @property
    def is_confidential(self) -> bool:
        """Whether the point's location is confidential (a reliable address)."""
        return self.kind in CONFIDENTIAL_KINDS

    def __repr__(self) -> str:
        return f"<ServicePoint {self.id}>"


class ServicePointGroup(Base):
    """A target group a service point serves."""

    __tablename__ = "service_point_groups"

    service_point_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("service_points.id"), primary_key=True
    )
    group_code: Mapped[str] = mapped_column(
        String(20), ForeignKey("target_groups.code"), primary_key=True
    )
