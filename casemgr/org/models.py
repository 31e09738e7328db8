"""Administrative areas (official codes, old->new mapping) and dated organisational units."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.db import Base, BigId, intpk, str200, value_enum


class AreaLevel(enum.StrEnum):
    """Levels of Viet Nam's administrative divisions; districts exist only before 1 July 2025."""

    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"


class Area(Base):
    """An administrative area with its official code and the dates it existed."""

    __tablename__ = "areas"
    # A code can be reused by a later area: records are dated, so (level, code, valid_from)
    # is what is unique.
    __table_args__ = (UniqueConstraint("level", "code", "valid_from"),)

    id: Mapped[intpk]
    level: Mapped[AreaLevel] = mapped_column(value_enum(AreaLevel, 20))
    code: Mapped[str] = mapped_column(String(10))
    name: Mapped[str200]
    division_type: Mapped[str] = mapped_column(String(40))
    parent_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("areas.id"), index=True)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)

    parent: Mapped[Area | None] = relationship(remote_side="Area.id")

    def __repr__(self) -> str:
        return f"<Area {self.level} {self.code}>"


class AreaSuccession(Base):
    """Old->new mapping: an area that ceased (wholly or partly) continues in another."""

    __tablename__ = "area_successions"
    __table_args__ = (UniqueConstraint("old_area_id", "new_area_id"),)

    id: Mapped[intpk]
    old_area_id: Mapped[int] = mapped_column(BigId, ForeignKey("areas.id"), index=True)
    new_area_id: Mapped[int] = mapped_column(BigId, ForeignKey("areas.id"), index=True)
    effective_on: Mapped[dt.date] = mapped_column(Date)


class UnitKind(enum.StrEnum):
    """What an organisational unit is; labels are translated in the UI."""

    PROVINCIAL_DEPARTMENT = "provincial_department"
    DISTRICT_OFFICE = "district_office"
    COMMUNE_OFFICE = "commune_office"
    SERVICE_CENTRE = "service_centre"


# Which kinds of unit each kind may sit under. The tree follows the administration: the
# provincial department (Sở) heads it and sits under no unit; before 1 July 2025 district
# offices (Phòng) sat under it; commune offices sit under the department or, before the
# reform, a district office; a social service centre may be run at any level, or be a branch
# of another centre. Any kind may be a top-level unit: a deployment may start with one office
# or centre before the rest of its province joins.
PARENT_KINDS: dict[UnitKind, frozenset[UnitKind]] = {
    UnitKind.PROVINCIAL_DEPARTMENT: frozenset(),
    UnitKind.DISTRICT_OFFICE: frozenset({UnitKind.PROVINCIAL_DEPARTMENT}),
    UnitKind.COMMUNE_OFFICE: frozenset({UnitKind.PROVINCIAL_DEPARTMENT, UnitKind.DISTRICT_OFFICE}),
    UnitKind.SERVICE_CENTRE: frozenset(UnitKind),
}
# A unit is set up ahead of its opening by at most this many years (an office is prepared
# for the coming year, not a decade ahead): a date further ahead is a typing mistake (2030
# for 2026).
OPENING_LEAD_YEARS = 1


class Unit(Base):
    """An office in the dated tree of organisational units; `path` makes subtree queries cheap."""

    __tablename__ = "units"
    __table_args__ = (Index("ix_units_path", "path"),)

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str200]
    kind: Mapped[UnitKind] = mapped_column(value_enum(UnitKind))
    parent_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("units.id"))
    # Materialised path of ids, e.g. "/1/7/": a unit's subtree is every path starting with its own.
    path: Mapped[str] = mapped_column(String(400), default="")
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    successor_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("units.id"))

    parent: Mapped[Unit | None] = relationship(remote_side="Unit.id", foreign_keys=[parent_id])
    successor: Mapped[Unit | None] = relationship(
        remote_side="Unit.id", foreign_keys=[successor_id]
    )
    areas: Mapped[list[Area]] = relationship(secondary="unit_areas", order_by="Area.code")

    def is_open_on(self, day: dt.date) -> bool:
        """Whether the unit exists on the given day."""
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"


class UnitArea(Base):
    """Which areas a unit serves."""

    __tablename__ = "unit_areas"

    unit_id: Mapped[int] = mapped_column(BigId, ForeignKey("units.id"), primary_key=True)
    area_id: Mapped[int] = mapped_column(BigId, ForeignKey("areas.id"), primary_key=True)
