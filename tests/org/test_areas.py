"""Administrative areas: the current 34 provinces and 3,321 communes, and legacy mapping."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from casemgr.org.areas import load_current_areas, load_legacy_areas, successors_of
from casemgr.org.models import Area, AreaLevel


def _count(db, level: AreaLevel) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Area).where(Area.level == level, Area.valid_to.is_(None))
    )


def test_all_current_areas_are_loaded_with_official_codes(db):
    assert _count(db, AreaLevel.PROVINCE) == 34
    assert _count(db, AreaLevel.COMMUNE) == 3321
    hanoi = db.session.scalar(
        select(Area).where(Area.level == AreaLevel.PROVINCE, Area.code == "01")
    )
    assert hanoi.name == "Thành phố Hà Nội" and hanoi.valid_from == dt.date(2025, 7, 1)
    hoan_kiem = db.session.scalar(select(Area).where(Area.code == "00070"))
    assert hoan_kiem.parent_id == hanoi.id


def test_loading_again_changes_nothing(db):
    assert load_current_areas() == (34, 3321)
    assert _count(db, AreaLevel.COMMUNE) == 3321


def test_legacy_areas_map_to_their_successors(db, tmp_path):
    legacy = tmp_path / "legacy.csv"
    legacy.write_text(
        "level,code,name,division_type,parent_code,valid_from,valid_to,new_codes\n"
        "province,1,Thành phố Hà Nội,thành phố trung ương,,2008-08-01,2025-07-01,01\n"
        "district,2,Quận Hoàn Kiếm,quận,1,2008-08-01,2025-07-01,00070 00073\n"
        "commune,70,Phường Phúc Tân,phường,2,2008-08-01,2025-07-01,00070\n",
        encoding="utf-8",
    )
    assert load_legacy_areas(legacy) == 3
    district = db.session.scalar(select(Area).where(Area.level == AreaLevel.DISTRICT))
    assert district.valid_to == dt.date(2025, 7, 1)
    assert [a.code for a in successors_of(district)] == ["00070", "00073"]
    old_ward = db.session.scalar(
        select(Area).where(Area.code == "00070", Area.valid_to.is_not(None))
    )
    assert old_ward.parent_id == district.id  # same code as today's ward, a different record
    assert [a.code for a in successors_of(old_ward)] == ["00070"]
    assert _count(db, AreaLevel.COMMUNE) == 3321  # today's wards untouched
