"""Organisational units: a dated tree, subtrees, closing with a successor."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from casemgr.extensions import db as _db
from casemgr.org.models import Area, AreaLevel, UnitKind
from casemgr.org.queries import units_in_subtrees
from casemgr.org.services import UnitError, close_unit


def test_subtree_contains_descendants_only(make, db):
    province = make.unit(kind=UnitKind.PROVINCIAL_DEPARTMENT)
    commune_a, commune_b = make.unit(province), make.unit(province)
    team = make.unit(commune_a)
    elsewhere = make.unit()
    ids = {u.id for u in db.session.scalars(units_in_subtrees([commune_a]))}
    assert ids == {commune_a.id, team.id}
    ids = {u.id for u in db.session.scalars(units_in_subtrees([province]))}
    assert ids == {province.id, commune_a.id, commune_b.id, team.id}
    assert elsewhere.id not in ids


def test_closing_names_a_successor(make, db):
    old, new = make.unit(), make.unit()
    close_unit(None, old, on=dt.date(2026, 1, 1), successor=new)
    assert old.valid_to == dt.date(2026, 1, 1) and old.successor_id == new.id
    assert old.is_open_on(dt.date(2025, 12, 31)) and not old.is_open_on(dt.date(2026, 1, 1))


def test_successor_must_be_outside_and_open(make):
    parent = make.unit()
    child = make.unit(parent)
    with pytest.raises(UnitError):
        close_unit(None, parent, on=dt.date(2026, 1, 1), successor=child)
    closed = make.unit()
    other = make.unit()
    close_unit(None, closed, on=dt.date(2025, 12, 1), successor=other)
    with pytest.raises(UnitError):
        close_unit(None, make.unit(), on=dt.date(2026, 1, 1), successor=closed)


def commune(code: str) -> Area:
    return _db.session.scalar(
        sa.select(Area).where(Area.level == AreaLevel.COMMUNE, Area.code == code)
    )


def province(code: str) -> Area:
    return _db.session.scalar(
        sa.select(Area).where(Area.level == AreaLevel.PROVINCE, Area.code == code)
    )


def test_admin_creates_and_closes_a_unit_through_the_ui(client, make, db):
    from casemgr.auth.roles import Role
    from casemgr.org.queries import unit_by_code

    admin = make.user(Role.ADMINISTRATOR)
    parent = make.unit()
    client.login(admin)
    hanoi, first, second = province("01"), commune("00070"), commune("00073")
    response = client.post_form(
        "/admin/units/new",
        {
            "code": "NEW-01",
            "name": "Văn phòng thử",
            "kind": "commune_office",
            "parent_id": parent.id,
            "valid_from": "2025-07-01",
            "province_id": hanoi.id,
            "area_ids": [first.id, second.id],
        },
    )
    assert response.status_code == 302
    unit = unit_by_code("NEW-01")
    assert unit.path.startswith(parent.path) and [a.code for a in unit.areas] == ["00070", "00073"]
    successor = make.unit()
    response = client.post_form(
        f"/admin/units/{unit.id}", {"successor_id": successor.id, "closed_on": "2026-01-01"}
    )
    assert response.status_code == 302
    assert _db.session.get(type(unit), unit.id).successor_id == successor.id
