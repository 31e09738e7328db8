"""Verbs on organisational units: open, serve areas, close with a successor."""

from __future__ import annotations

import datetime as dt

from casemgr import clock
from casemgr.audit import record
from casemgr.audit.recorder import Actor
from casemgr.extensions import db
from casemgr.org.models import OPENING_LEAD_YEARS, PARENT_KINDS, Area, AreaLevel, Unit, UnitKind
from casemgr.org.queries import province_id, provinces_served, unit_by_code


class UnitError(ValueError):
    """A unit change that breaks rules. `problems` maps each argument at fault ("code",
    "kind", "parent", "valid_from", "areas"; "" when none is) to the codes of the rules it
    breaks, for the caller to translate; str() lists every code."""

    def __init__(self, problems: dict[str, list[str]] | str) -> None:
        if isinstance(problems, str):
            problems = {"": [problems]}
        self.problems = problems
        super().__init__(", ".join(code for codes in problems.values() for code in codes))


def latest_opening(today: dt.date | None = None) -> dt.date:
    """The last day a unit set up today may open on (OPENING_LEAD_YEARS ahead)."""
    day = today or clock.today()
    try:
        return day.replace(year=day.year + OPENING_LEAD_YEARS)
    except ValueError:  # 29 February
        return day.replace(year=day.year + OPENING_LEAD_YEARS, day=28)


def new_unit_problems(
    *,
    code: str | None = None,
    kind: UnitKind | None = None,
    parent: Unit | None = None,
    valid_from: dt.date | None = None,
    areas: list[Area] | None = None,
) -> dict[str, list[str]]:
    """Every rule a new unit would break, by argument, all at once (a form shows them together).
    An argument left None is not judged: a form passes only the values it could read. A
    parent of None is a top-level unit, which any kind may be."""
    problems: dict[str, list[str]] = {}

    def add(argument: str, problem: str) -> None:
        problems.setdefault(argument, []).append(problem)

    if code is not None and unit_by_code(code) is not None:
        add("code", "code in use")
    if valid_from is not None and valid_from > latest_opening():
        add("valid_from", "opens too far ahead")
    if parent is not None:
        if kind is not None and parent.kind not in PARENT_KINDS[kind]:
            add("parent", "parent kind")
        if valid_from is not None and not parent.is_open_on(valid_from):
            add("parent", "parent closed")
    if areas is not None:
        if kind is not None and _lacks_communes(kind, areas):
            add("areas", "no communes")
        # A unit works in its parent's province: areas elsewhere are a mistake (an office of
        # one province's department cannot serve another province's communes).
        allowed = provinces_served([parent]) if parent is not None else set()
        if allowed and any(province_id(area) not in allowed for area in areas):
            add("areas", "areas outside province")
    return problems


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
    """Create a unit under a parent (or as a root) serving the given areas; UnitError names
    every rule broken."""
    problems = new_unit_problems(
        code=code, kind=kind, parent=parent, valid_from=valid_from, areas=list(areas)
    )
    if problems:
        raise UnitError(problems)
    unit = Unit(
        code=code, name=name, kind=kind, parent=parent, valid_from=valid_from, areas=list(areas)
    )
    db.session.add(unit)
    db.session.flush()
    unit.path = (parent.path if parent is not None else "/") + f"{unit.id}/"
    record("unit.open", actor=actor, object_type="unit", object_id=unit.id)
    return unit


def _lacks_communes(kind: UnitKind, areas: list[Area]) -> bool:
    """A commune office serves at least one commune; other kinds may serve no area (a social
    service centre, a department whose communes are served by its offices)."""
    return kind == UnitKind.COMMUNE_OFFICE and not any(a.level == AreaLevel.COMMUNE for a in areas)


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
    if _lacks_communes(unit.kind, areas):
        raise UnitError({"areas": ["no communes"]})
    unit.areas = list(areas)
    record("unit.areas", actor=actor, object_type="unit", object_id=unit.id, fields=["areas"])
