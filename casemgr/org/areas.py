"""Loading administrative areas: current ones from `vietnam-provinces`, legacy ones from CSV."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from vietnam_provinces import Province, Ward

from casemgr.audit import record
from casemgr.extensions import db
from casemgr.org.models import Area, AreaLevel, AreaSuccession

# The two-level system (provinces and communes, no districts) took effect on this day.
REFORM_DATE = dt.date(2025, 7, 1)
CODE_WIDTH = {AreaLevel.PROVINCE: 2, AreaLevel.DISTRICT: 3, AreaLevel.COMMUNE: 5}


def official_code(level: AreaLevel, number: int | str) -> str:
    """The official code as written by the statistics office (zero-padded)."""
    return str(int(number)).zfill(CODE_WIDTH[level])


AreaKey = tuple[AreaLevel, str, dt.date]


def _existing() -> dict[AreaKey, Area]:
    return {(a.level, a.code, a.valid_from): a for a in db.session.scalars(select(Area))}


def _upsert(
    existing: dict[AreaKey, Area], level: AreaLevel, code: str, valid_from: dt.date, **values
) -> Area:
    area = existing.get((level, code, valid_from))
    if area is None:
        area = Area(level=level, code=code, valid_from=valid_from, **values)
        db.session.add(area)
        existing[(level, code, valid_from)] = area
    else:
        for name, value in values.items():
            setattr(area, name, value)
    return area


def load_current_areas(progress: Callable[[int], None] | None = None) -> tuple[int, int]:
    """Insert or update the 34 provinces and 3,321 communes; return (provinces, communes)."""
    existing = _existing()
    provinces: dict[int, Area] = {}
    for province in Province.iter_all():
        provinces[int(province.code)] = _upsert(
            existing,
            AreaLevel.PROVINCE,
            official_code(AreaLevel.PROVINCE, province.code),
            REFORM_DATE,
            name=province.name,
            division_type=province.division_type.value,
            valid_to=None,
            parent=None,
        )
    db.session.flush()
    communes = 0
    for ward in Ward.iter_all():
        _upsert(
            existing,
            AreaLevel.COMMUNE,
            official_code(AreaLevel.COMMUNE, ward.code),
            REFORM_DATE,
            name=ward.name,
            division_type=ward.division_type.value,
            valid_to=None,
            parent=provinces[int(ward.province_code)],
        )
        communes += 1
        if progress and communes % 500 == 0:
            progress(500)
    db.session.flush()
    record("areas.load", actor=None, object_type="areas", reason=f"{len(provinces)}/{communes}")
    return len(provinces), communes


LEGACY_COLUMNS = (
    "level",
    "code",
    "name",
    "division_type",
    "parent_code",
    "valid_from",
    "valid_to",
    "new_codes",
)
NEW_LEVEL = {
    AreaLevel.PROVINCE: AreaLevel.PROVINCE,
    AreaLevel.DISTRICT: AreaLevel.COMMUNE,
    AreaLevel.COMMUNE: AreaLevel.COMMUNE,
}
PARENT_LEVEL = {AreaLevel.DISTRICT: AreaLevel.PROVINCE, AreaLevel.COMMUNE: AreaLevel.DISTRICT}


def load_legacy_areas(path: Path) -> int:
    """Load pre-reform areas and their old->new mapping from a CSV file; return rows read.

    The `vietnam-provinces` package ships only the current divisions, so the legacy ones come
    from a file. Columns: level (province/district/commune), code, name, division_type,
    parent_code (the old parent's code, empty for provinces), valid_from and valid_to (ISO
    dates), and new_codes (space-separated current codes the area continues in). Rows must
    list parents before children.
    """
    existing = _existing()
    legacy_by_code: dict[tuple[AreaLevel, str], Area] = {}
    rows = 0
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = set(LEGACY_COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"legacy area file lacks columns: {', '.join(sorted(missing))}")
        for row in reader:
            level = AreaLevel(row["level"])
            code = official_code(level, row["code"])
            parent = None
            if level in PARENT_LEVEL:
                parent_code = official_code(PARENT_LEVEL[level], row["parent_code"])
                parent = legacy_by_code.get((PARENT_LEVEL[level], parent_code))
            area = _upsert(
                existing,
                level,
                code,
                dt.date.fromisoformat(row["valid_from"]),
                name=row["name"],
                division_type=row["division_type"],
                parent=parent,
                valid_to=dt.date.fromisoformat(row["valid_to"]),
            )
            legacy_by_code[(level, code)] = area
            db.session.flush()
            for new_code in row["new_codes"].split():
                new = existing.get(
                    (NEW_LEVEL[level], official_code(NEW_LEVEL[level], new_code), REFORM_DATE)
                )
                if new is None:
                    raise ValueError(
                        f"unknown current area code {new_code} on line {reader.line_num}"
                    )
                link = db.session.scalar(
                    select(AreaSuccession).where(
                        AreaSuccession.old_area_id == area.id, AreaSuccession.new_area_id == new.id
                    )
                )
                if link is None:
                    db.session.add(
                        AreaSuccession(
                            old_area_id=area.id, new_area_id=new.id, effective_on=area.valid_to
                        )
                    )
            rows += 1
    db.session.flush()
    record("areas.load_legacy", actor=None, object_type="areas", reason=str(rows))
    return rows


def successors_of(area: Area) -> list[Area]:
    """The current areas an old area continues in."""
    return list(
        db.session.scalars(
            select(Area)
            .join(AreaSuccession, AreaSuccession.new_area_id == Area.id)
            .where(AreaSuccession.old_area_id == area.id)
            .order_by(Area.code)
        )
    )
