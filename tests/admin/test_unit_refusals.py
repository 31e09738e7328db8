"""The new-unit page refuses impossible units, under the field at fault, in Vietnamese, and names
every problem of a submission at once (the fields' own checks and the service's rules)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from casemgr.auth.roles import Role
from casemgr.extensions import db as _db
from casemgr.org.models import Unit, UnitKind
from casemgr.org.queries import unit_by_code
from casemgr.org.services import latest_opening
from tests.validation.browser_form import errors_under

TOP_LEVEL_ONLY = "Sở (cấp tỉnh) là đơn vị cấp cao nhất: hãy chọn “(không có: đơn vị cấp cao nhất)”."
COMMUNE_UNDER = (
    "Văn phòng xã chỉ có thể trực thuộc: Sở (cấp tỉnh), Phòng cấp huyện (trước năm 2025)."
)
CODE_HINT = "Chỉ dùng chữ cái không dấu, chữ số, dấu chấm, dấu gạch ngang hoặc dấu gạch dưới."


def too_late() -> str:
    return (
        "Đơn vị chỉ được tạo trước ngày hoạt động tối đa 1 năm: hãy nhập ngày không muộn hơn "
        f"{latest_opening():%d/%m/%Y}."
    )


@pytest.fixture
def world(client, make):
    """A provincial department, a commune office under it (like DEMO-C01), a signed-in admin."""
    province = make.unit(kind=UnitKind.PROVINCIAL_DEPARTMENT, code="T-SYT")
    commune = make.unit(province, code="T-C01")
    client.login(make.user(Role.ADMINISTRATOR, province))
    return province, commune


def submit(client, **fields) -> str:
    data = {"code": "T-NEW", "name": "Đơn vị thử", "province_id": "", **fields}
    units = _db.session.scalar(sa.select(sa.func.count(Unit.id)))
    response = client.post_form("/admin/units/new", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _db.session.scalar(sa.select(sa.func.count(Unit.id))) == units  # nothing saved
    assert "Đã tạo đơn vị." not in html
    assert f'value="{data["code"]}"' in html and 'value="Đơn vị thử"' in html  # kept
    return html


def test_a_department_under_a_commune_office_opening_in_2030_is_refused(client, world):
    """The walk's finding: "Sở (cấp tỉnh)" under DEMO-C01 from 01/01/2030 was created."""
    _, commune = world
    late = max(dt.date(2030, 1, 1), latest_opening() + dt.timedelta(days=1))
    html = submit(
        client, kind="provincial_department", parent_id=commune.id, valid_from=late.isoformat()
    )
    assert errors_under(html, "parent_id") == [TOP_LEVEL_ONLY]
    assert errors_under(html, "valid_from") == [too_late()]
    assert errors_under(html, "code") == []


def test_a_commune_office_under_a_commune_office_is_refused(client, db, world):
    _, commune = world
    html = submit(client, kind="commune_office", parent_id=commune.id, valid_from="2025-07-01")
    assert errors_under(html, "parent_id") == [COMMUNE_UNDER]


def test_a_department_at_the_top_opening_within_a_year_is_created(client, world):
    last = latest_opening()
    response = client.post_form(
        "/admin/units/new",
        {
            "code": "T-SYT2",
            "name": "Sở mới",
            "kind": "provincial_department",
            "parent_id": 0,
            "valid_from": last.isoformat(),
            "province_id": "",
        },
    )
    assert response.status_code == 302
    unit = unit_by_code("T-SYT2")
    assert unit.parent_id is None and unit.valid_from == last


def test_a_taken_code_and_no_commune_are_named_together(client, db, world):
    """The walk's finding: the missing commune was named first, the taken code only on the
    next submission."""
    from tests.admin.test_unit_communes import HANOI, AreaLevel, area

    province, commune = world
    hanoi = area(db, AreaLevel.PROVINCE, HANOI)
    html = submit(
        client,
        code=commune.code,
        kind="commune_office",
        parent_id=province.id,
        valid_from="2025-07-01",
        province_id=hanoi.id,
    )
    assert errors_under(html, "code") == ["Mã này đã được một đơn vị khác sử dụng."]
    assert errors_under(html, "area_ids") == ["Hãy chọn ít nhất một xã, phường."]


def test_the_fields_and_the_service_refuse_together(client, world):
    """An empty date (a field's check) does not hide the impossible parent (the service's)."""
    _, commune = world
    html = submit(client, kind="provincial_department", parent_id=commune.id, valid_from="")
    assert errors_under(html, "valid_from") == ["Trường này là bắt buộc."]
    assert errors_under(html, "parent_id") == [TOP_LEVEL_ONLY]


@pytest.mark.parametrize("code", ["bad code!", "mã-đơn-vị", "T/01"])
def test_a_code_with_other_characters_says_what_a_code_may_contain(client, world, code):
    province, _ = world
    html = submit(
        client, code=code, kind="service_centre", parent_id=province.id, valid_from="2025-07-01"
    )
    assert errors_under(html, "code") == [CODE_HINT]


def test_the_code_field_describes_what_it_may_contain(client, world):
    html = client.get("/admin/units/new").get_data(as_text=True)
    assert (
        "Chữ cái không dấu, chữ số, dấu chấm, dấu gạch ngang hoặc dấu gạch dưới, không có dấu "
        "cách; ví dụ SYT-QT hoặc XA-00070."
    ) in html


def test_a_parent_closing_before_the_opening_day_is_named_under_the_parent(client, make, world):
    """It was shown under the code."""
    from casemgr.clock import today
    from casemgr.org.services import close_unit

    province, commune = world
    successor = make.unit(_db.session.get(Unit, province.id))
    closes = today() + dt.timedelta(days=30)  # still offered today
    close_unit(None, _db.session.get(Unit, commune.id), on=closes, successor=successor)
    _db.session.flush()
    opens = (closes + dt.timedelta(days=30)).isoformat()
    html = submit(client, kind="service_centre", parent_id=commune.id, valid_from=opens)
    assert errors_under(html, "parent_id") == ["Đơn vị cấp trên đã ngừng hoạt động vào ngày đó."]
    assert errors_under(html, "code") == []
