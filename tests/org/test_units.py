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
    parent = make.unit(kind=UnitKind.PROVINCIAL_DEPARTMENT)
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


K = UnitKind
# (kind, kind of its parent) that no administration has: a department under anything, an
# office under an office of its own level or under a centre.
IMPOSSIBLE = [
    (K.PROVINCIAL_DEPARTMENT, K.PROVINCIAL_DEPARTMENT),
    (K.PROVINCIAL_DEPARTMENT, K.DISTRICT_OFFICE),
    (K.PROVINCIAL_DEPARTMENT, K.COMMUNE_OFFICE),
    (K.PROVINCIAL_DEPARTMENT, K.SERVICE_CENTRE),
    (K.DISTRICT_OFFICE, K.DISTRICT_OFFICE),
    (K.DISTRICT_OFFICE, K.COMMUNE_OFFICE),
    (K.DISTRICT_OFFICE, K.SERVICE_CENTRE),
    (K.COMMUNE_OFFICE, K.COMMUNE_OFFICE),
    (K.COMMUNE_OFFICE, K.SERVICE_CENTRE),
]
POSSIBLE = [
    (K.DISTRICT_OFFICE, K.PROVINCIAL_DEPARTMENT),
    (K.COMMUNE_OFFICE, K.PROVINCIAL_DEPARTMENT),
    (K.COMMUNE_OFFICE, K.DISTRICT_OFFICE),
    *((K.SERVICE_CENTRE, parent) for parent in K),
    *((kind, None) for kind in K),  # a top-level unit of any kind
]


def _open(code: str, kind: UnitKind, parent, valid_from=dt.date(2025, 7, 1), **extra):
    from casemgr.org.services import open_unit

    areas = [commune("00070")] if kind == K.COMMUNE_OFFICE else []
    return open_unit(
        None, code=code, name="x", kind=kind, parent=parent, valid_from=valid_from,
        areas=extra.pop("areas", areas), **extra,
    )  # fmt: skip


@pytest.mark.parametrize(("kind", "parent_kind"), IMPOSSIBLE)
def test_the_service_refuses_a_unit_under_a_kind_it_cannot_sit_under(make, kind, parent_kind):
    parent = make.unit(kind=parent_kind)
    with pytest.raises(UnitError, match="parent kind") as refused:
        _open("T-CHILD", kind, parent)
    assert refused.value.problems == {"parent": ["parent kind"]}


@pytest.mark.parametrize(("kind", "parent_kind"), POSSIBLE)
def test_the_service_opens_a_unit_under_a_kind_it_may_sit_under(make, kind, parent_kind):
    parent = make.unit(kind=parent_kind) if parent_kind is not None else None
    unit = _open("T-CHILD", kind, parent)
    assert unit.parent is parent and unit.kind == kind


def test_the_service_opens_a_unit_at_most_a_year_ahead(make, db):
    from casemgr.clock import today
    from casemgr.org.services import latest_opening

    last = latest_opening()
    now = today()
    assert (last.year, last.month) == (now.year + 1, now.month) and last.day in (now.day, 28)
    assert _open("T-LAST", K.SERVICE_CENTRE, None, valid_from=last).valid_from == last
    with pytest.raises(UnitError) as refused:
        _open("T-LATER", K.SERVICE_CENTRE, None, valid_from=last + dt.timedelta(days=1))
    assert refused.value.problems == {"valid_from": ["opens too far ahead"]}


def test_the_service_names_every_problem_at_once(make):
    commune_office = make.unit(code="T-TAKEN")
    with pytest.raises(UnitError) as refused:
        _open("T-TAKEN", K.COMMUNE_OFFICE, commune_office, valid_from=dt.date(2099, 1, 1), areas=[])
    assert refused.value.problems == {
        "code": ["code in use"],
        "valid_from": ["opens too far ahead"],
        "parent": ["parent kind"],
        "areas": ["no communes"],
    }
