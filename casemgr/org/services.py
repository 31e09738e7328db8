"""Verbs on organisational units: open, serve areas, close with a successor."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from casemgr.audit import record
from casemgr.audit.recorder import Actor
from casemgr.extensions import db
from casemgr.org.models import Area, AreaLevel, Unit, UnitKind
from casemgr.org.queries import province_id, provinces_served


class UnitError(ValueError):
    """A unit change that breaks a rule (the message is safe to show)."""


def open_unit(
    actor: Actor | None,
    *,
    code: str,
    name: str,
    kind: UnitKind,
    parent: Unit | None,
    valid_from: dt.date,
    areas: list[Area] = (),
) -> Unit:
    """Create a unit under a parent (or as a root) serving the given areas."""
    if db.session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        raise UnitError("code in use")
    if parent is not None and not parent.is_open_on(valid_from):
        raise UnitError("parent closed")
    _check_communes(kind, areas)
    # A unit works in its parent's province: areas elsewhere are a mistake (an office of one
    # province's department cannot serve another province's communes).
    allowed = provinces_served([parent]) if parent is not None else set()
    if allowed and any(province_id(area) not in allowed for area in areas):
        raise UnitError("areas outside province")
    unit = Unit(
        code=code, name=name, kind=kind, parent=parent, valid_from=valid_from, areas=list(areas)
    )
    db.session.add(unit)
    db.session.flush()
    unit.path = (parent.path if parent is not None else "/") + f"{unit.id}/"
    record("unit.open", actor=actor, object_type="unit", object_id=unit.id)
    return unit


def _check_communes(kind: UnitKind, areas: list[Area]) -> None:
    """A commune office serves at least one commune; other kinds may serve no area (a social
    service centre, a department whose communes are served by its offices)."""
    if kind == UnitKind.COMMUNE_OFFICE and not any(a.level == AreaLevel.COMMUNE for a in areas):
        raise UnitError("no communes")


def close_unit(actor: Actor | None, unit: Unit, *, on: dt.date, successor: Unit) -> None:
    """Close a unit from a date, naming the unit that takes over its work."""
    if successor.id == unit.id or successor.path.startswith(unit.path):
        raise UnitError("successor inside unit")
    if not successor.is_open_on(on):
        raise UnitError("successor closed")
    if on < unit.valid_from:
        raise UnitError("closes before it opens")
    unit.valid_to = on
    unit.successor_id = successor.id
    record(
        "unit.close",
        actor=actor,
        object_type="unit",
        object_id=unit.id,
        reason=f"successor={successor.id}",
    )


def set_unit_areas(actor: Actor | None, unit: Unit, areas: list[Area]) -> None:
    """Replace the areas a unit serves."""
    _check_communes(unit.kind, areas)
    unit.areas = list(areas)
    record("unit.areas", actor=actor, object_type="unit", object_id=unit.id, fields=["areas"])
