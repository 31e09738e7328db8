"""Reads over units and areas: subtrees, current units, area look-ups."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, Select, case, or_, select

from casemgr import clock
from casemgr.collation import vietnamese
from casemgr.db import in_subtree
from casemgr.extensions import db
from casemgr.org.models import Area, AreaLevel, Unit, UnitArea


def tree_order() -> ColumnElement:
    """Units in the tree's order: by path, whose ids compare as numbers ("/1/2/" before
    "/1/10/"; plain text order put the tenth commune office before the second)."""
    return vietnamese(Unit.path)


def subtree_condition(units: list[Unit]):
    """A SQL condition selecting every unit in the subtrees of `units`."""
    return or_(*(in_subtree(Unit.path, unit.path) for unit in units)) if units else False


def units_in_subtrees(units: list[Unit]) -> Select:
    """Every unit at or below the given ones."""
    return select(Unit).where(subtree_condition(units)).order_by(tree_order())


def open_units(on: dt.date | None = None) -> list[Unit]:
    """Units open on a day (today by default), in tree order."""
    day = on or clock.today()
    return list(
        db.session.scalars(
            select(Unit)
            .where(Unit.valid_from <= day, or_(Unit.valid_to.is_(None), Unit.valid_to > day))
            .order_by(tree_order())
        )
    )


def unit_by_code(code: str) -> Unit | None:
    """The unit with this code."""
    return db.session.scalar(select(Unit).where(Unit.code == code))


def areas_by_codes(level: AreaLevel, codes: list[str]) -> list[Area]:
    """Areas of one level with the given official codes."""
    if not codes:
        return []
    return list(db.session.scalars(select(Area).where(Area.level == level, Area.code.in_(codes))))


def provinces_served(units: list[Unit]) -> set[int]:
    """Ids of the provinces the units, or the units above them, serve (a province itself, or
    communes of it)."""
    ancestor_ids = {int(part) for unit in units for part in unit.path.strip("/").split("/") if part}
    if not ancestor_ids:
        return set()
    served = db.session.scalars(
        select(Area)
        .join(UnitArea, UnitArea.area_id == Area.id)
        .where(UnitArea.unit_id.in_(ancestor_ids))
    ).all()
    return {province_id(a) for a in served}


def province_id(area: Area) -> int | None:
    """The id of the province an area is (a province) or lies in (a current commune)."""
    return area.id if area.level == AreaLevel.PROVINCE else area.parent_id


def provinces_in_use() -> set[int]:
    """Ids of the provinces that some unit serves, itself or through its communes."""
    served = case((Area.level == AreaLevel.PROVINCE, Area.id), else_=Area.parent_id)
    return set(
        db.session.scalars(
            select(served).distinct().join(UnitArea, UnitArea.area_id == Area.id)
        ).all()
    ) - {None}


def current_provinces() -> list[Area]:
    """The current provinces and centrally-run cities, in Vietnamese order."""
    return list(
        db.session.scalars(
            select(Area)
            .where(Area.level == AreaLevel.PROVINCE, Area.valid_to.is_(None))
            .order_by(vietnamese(Area.name), Area.id)
        )
    )


def communes_of(province_ids: set[int]) -> list[Area]:
    """The current communes of the given provinces, in Vietnamese order."""
    if not province_ids:
        return []
    return list(
        db.session.scalars(
            select(Area)
            .where(
                Area.parent_id.in_(province_ids),
                Area.level == AreaLevel.COMMUNE,
                Area.valid_to.is_(None),
            )
            .order_by(vietnamese(Area.name), Area.id)
        )
    )


def unit_names() -> list[tuple[int, str, str]]:
    """Every unit's id, code and name (units are few; their names are not case data)."""
    return [tuple(row) for row in db.session.execute(select(Unit.id, Unit.code, Unit.name))]


def current_communes_by_ids(ids: list[int]) -> list[Area]:
    """The current communes among the given ids (any province), in Vietnamese order."""
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Area)
            .where(Area.id.in_(ids), Area.level == AreaLevel.COMMUNE, Area.valid_to.is_(None))
            .order_by(vietnamese(Area.name), Area.id)
        )
    )


def communes_for_units(units: list[Unit]) -> list[Area]:
    """Current communes of the provinces the units (or the units above them) serve, by name."""
    return communes_of(provinces_served(units))
