"""A new unit's communes, picked by name: a province, then the boxes of its communes in
Vietnamese order; unknown communes and communes of another province are refused under the
field, with everything typed kept."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from casemgr.auth.roles import Role
from casemgr.collation import sort_key
from casemgr.org.models import Area, AreaLevel, Unit, UnitKind
from casemgr.org.queries import unit_by_code
from casemgr.org.services import UnitError, open_unit, set_unit_areas
from tests.validation.browser_form import errors_under
from tests.walk.dom import parse

QUANG_TRI, HANOI = "44", "01"


def area(db, level: AreaLevel, code: str) -> Area:
    return db.session.scalar(
        sa.select(Area).where(Area.level == level, Area.code == code, Area.valid_to.is_(None))
    )


def communes_of(db, province: Area) -> list[Area]:
    return list(
        db.session.scalars(
            sa.select(Area).where(
                Area.parent_id == province.id,
                Area.level == AreaLevel.COMMUNE,
                Area.valid_to.is_(None),
            )
        )
    )


@pytest.fixture
def province_office(db, make):
    """A provincial department of Quảng Trị (serving the province) and its administrator."""
    quang_tri = area(db, AreaLevel.PROVINCE, QUANG_TRI)
    office = open_unit(
        None,
        code="QT-SYT",
        name="Sở Y tế Quảng Trị",
        kind=UnitKind.PROVINCIAL_DEPARTMENT,
        parent=None,
        valid_from=dt.date(2025, 7, 1),
        areas=[quang_tri],
    )
    return office, make.user(Role.ADMINISTRATOR, office), quang_tri


def boxes(html: str) -> list[tuple[str, str, bool]]:
    """The commune boxes shown: (value, label, ticked)."""
    page = parse(html)
    labels = {label.attrs.get("for"): label for label in page.iter("label")}
    return [
        (i.attrs["value"], labels[i.attrs["id"]].children[0].strip(), "checked" in i.attrs)
        for i in page.iter("input")
        if i.attrs.get("name") == "area_ids"
    ]


def form(parent: Unit, **extra) -> dict:
    return {
        "code": "QT-NEW",
        "name": "Văn phòng thử nghiệm",
        "kind": "commune_office",
        "parent_id": parent.id,
        "valid_from": "2025-07-01",
        **extra,
    }


def test_the_province_in_use_shows_its_communes_by_name_in_vietnamese_order(
    client, db, province_office
):
    _, admin, quang_tri = province_office
    client.login(admin)
    html = client.get("/admin/units/new").get_data(as_text=True)
    shown = boxes(html)
    expected = sorted(communes_of(db, quang_tri), key=lambda a: (sort_key(a.name), a.id))
    assert [(value, label) for value, label, _ in shown] == [(str(a.id), a.name) for a in expected]
    assert len(shown) > 50 and not any(ticked for *_, ticked in shown)  # nothing ticked for you
    assert [label for _, label, _ in shown][:2] == ["Đặc khu Cồn Cỏ", "Phường Ba Đồn"]  # Đ < P
    # Each box shows the commune's official code beside its name.
    assert f"{expected[0].name} <span" in html and expected[0].code in html
    # The province select: every province, Vietnamese order, this one chosen.
    select = next(s for s in parse(html).iter("select") if s.attrs.get("name") == "province_id")
    options = [(o.attrs["value"], o.text(), "selected" in o.attrs) for o in select.iter("option")]
    assert len(options) == 35 and options[0][0] == ""
    names = [name for _, name, _ in options[1:]]
    assert names == sorted(names, key=sort_key)
    assert [name for _, name, chosen in options if chosen] == ["Quảng Trị"]


def test_no_province_is_chosen_when_none_or_several_are_in_use(client, db, make):
    client.login(make.user(Role.ADMINISTRATOR))  # its unit serves no area
    html = client.get("/admin/units/new").get_data(as_text=True)
    assert boxes(html) == []
    assert "Chọn tỉnh, thành phố rồi bấm “Hiện các xã, phường”." in html


def test_show_its_communes_redraws_the_boxes_and_keeps_what_was_typed(client, db, province_office):
    _, admin, _ = province_office
    hanoi = area(db, AreaLevel.PROVINCE, HANOI)
    client.login(admin)
    response = client.post_form(
        "/admin/units/new",
        {"code": "HN-X", "name": "", "province_id": hanoi.id, "show_communes": "1"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and unit_by_code("HN-X") is None
    shown = {label for _, label, _ in boxes(html)}
    assert shown == {a.name for a in communes_of(db, hanoi)}
    assert 'value="HN-X"' in html
    assert "invalid-feedback" not in html  # a redraw, not a refusal


def test_the_ticked_communes_are_saved(client, db, province_office):
    office, admin, quang_tri = province_office
    chosen = sorted(communes_of(db, quang_tri), key=lambda a: a.code)[:3]
    client.login(admin)
    response = client.post_form(
        "/admin/units/new",
        form(office, province_id=quang_tri.id, area_ids=[a.id for a in chosen]),
    )
    assert response.status_code == 302
    unit = unit_by_code("QT-NEW")
    assert unit.parent_id == office.id
    assert [a.id for a in unit.areas] == [a.id for a in chosen]
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert all(f"{a.name} ({a.code})" in detail for a in chosen)


def refused(client, data: dict, field: str) -> list[str]:
    response = client.post_form("/admin/units/new", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and unit_by_code(data["code"]) is None
    assert f'value="{data["code"]}"' in html and "Văn phòng thử nghiệm" in html  # kept
    return errors_under(html, field)


def test_a_commune_of_another_province_is_refused_by_name(client, db, province_office):
    office, admin, quang_tri = province_office
    hanoi = area(db, AreaLevel.PROVINCE, HANOI)
    theirs = communes_of(db, hanoi)[0]
    ours = communes_of(db, quang_tri)[0]
    client.login(admin)
    data = form(office, province_id=quang_tri.id, area_ids=[ours.id, theirs.id])
    assert refused(client, data, "area_ids") == [f"Không thuộc Quảng Trị: {theirs.name}."]
    # The commune of the chosen province stays ticked.
    html = client.post_form("/admin/units/new", data).get_data(as_text=True)
    assert (str(ours.id), ours.name, True) in boxes(html)


def test_many_communes_of_another_province_are_named_up_to_five(client, db, province_office):
    office, admin, quang_tri = province_office
    hanoi = area(db, AreaLevel.PROVINCE, HANOI)
    theirs = sorted(communes_of(db, hanoi), key=lambda a: (sort_key(a.name), a.id))[:8]
    client.login(admin)
    data = form(office, province_id=quang_tri.id, area_ids=[a.id for a in theirs])
    names = ", ".join(a.name for a in theirs[:5])
    assert refused(client, data, "area_ids") == [
        f"Không thuộc Quảng Trị: {names} và 3 xã, phường khác."
    ]


@pytest.mark.parametrize("value", ["999999999", "province", "abc"])
def test_an_unknown_commune_is_refused(client, db, province_office, value):
    office, admin, quang_tri = province_office
    value = str(quang_tri.id) if value == "province" else value  # a province is no commune
    client.login(admin)
    data = form(office, province_id=quang_tri.id, area_ids=[value])
    assert refused(client, data, "area_ids") in (
        ["Hãy đánh dấu các xã, phường trong danh sách của Quảng Trị."],
        ["Vui lòng chọn trong các lựa chọn có sẵn."],  # not a number at all
    )


def test_communes_of_another_province_than_the_parents_are_refused(client, db, province_office):
    office, admin, _ = province_office
    hanoi = area(db, AreaLevel.PROVINCE, HANOI)
    client.login(admin)
    data = form(office, province_id=hanoi.id, area_ids=[communes_of(db, hanoi)[0].id])
    (message,) = refused(client, data, "area_ids")
    assert message.startswith("Đơn vị cấp trên làm việc tại Quảng Trị:")


def test_communes_without_a_province_are_refused_under_the_province(client, db, province_office):
    office, admin, quang_tri = province_office
    client.login(admin)
    data = form(office, province_id="", area_ids=[communes_of(db, quang_tri)[0].id])
    assert refused(client, data, "province_id") == ["Hãy chọn tỉnh, thành phố của các xã, phường."]


@pytest.mark.parametrize("kind", ["provincial_department", "district_office", "service_centre"])
def test_a_unit_other_than_a_commune_office_may_serve_no_commune(client, db, province_office, kind):
    office, admin, _ = province_office
    client.login(admin)
    data = form(office, kind=kind, province_id="")
    if kind == "provincial_department":
        data["parent_id"] = 0  # a department is a top-level unit
    response = client.post_form("/admin/units/new", data)
    assert response.status_code == 302 and unit_by_code("QT-NEW").areas == []


@pytest.mark.parametrize("province", ["", "chosen"])
def test_a_commune_office_serving_no_commune_is_refused(client, db, province_office, province):
    office, admin, quang_tri = province_office
    client.login(admin)
    data = form(office, province_id=quang_tri.id if province else "")
    if province:
        assert refused(client, data, "area_ids") == ["Hãy chọn ít nhất một xã, phường."]
    else:  # no box drawn yet: the message closes the field, after how to show the boxes
        response = client.post_form("/admin/units/new", data)
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and unit_by_code("QT-NEW") is None
        assert re.search(
            r"Chọn tỉnh, thành phố rồi bấm “Hiện các xã, phường”.</p>\s*"
            r'<div id="area_ids-error" class="invalid-feedback d-block">'
            r"Hãy chọn ít nhất một xã, phường.</div>",
            html,
        )
        return
    # Refused with the other fields' refusals, and the kind stays chosen.
    html = client.post_form("/admin/units/new", {**data, "valid_from": ""}).get_data(as_text=True)
    assert errors_under(html, "area_ids") == ["Hãy chọn ít nhất một xã, phường."]
    assert errors_under(html, "valid_from") != []
    assert re.search(
        r'<option selected value="commune_office">|value="commune_office" selected', html
    )


def test_the_service_refuses_a_commune_office_serving_no_commune(db, province_office):
    office, _, quang_tri = province_office
    fields = dict(
        name="x", kind=UnitKind.COMMUNE_OFFICE, parent=office, valid_from=dt.date(2025, 7, 1)
    )
    with pytest.raises(UnitError, match="no communes"):
        open_unit(None, code="QT-NONE", **fields)
    with pytest.raises(UnitError, match="no communes"):  # a province is no commune
        open_unit(None, code="QT-PROV", areas=[quang_tri], **fields)
    unit = open_unit(None, code="QT-ONE", areas=communes_of(db, quang_tri)[:1], **fields)
    with pytest.raises(UnitError, match="no communes"):  # nor may it lose its last one
        set_unit_areas(None, unit, [])
    assert len(unit.areas) == 1


def test_another_provinces_ticks_are_dropped_and_said_so(client, db, province_office):
    office, admin, quang_tri = province_office
    hanoi = area(db, AreaLevel.PROVINCE, HANOI)
    ours, theirs = communes_of(db, quang_tri)[:2], communes_of(db, hanoi)[:1]
    client.login(admin)
    data = form(office, area_ids=[a.id for a in ours + theirs], show_communes="1")
    html = client.post_form("/admin/units/new", {**data, "province_id": hanoi.id}).get_data(
        as_text=True
    )
    assert "Đã bỏ chọn 2 xã, phường của tỉnh khác." in html
    assert [value for value, _, ticked in boxes(html) if ticked] == [str(theirs[0].id)]
    assert "Đã chọn: 1." in html  # the count is of the boxes ticked: what will be saved
    assert "invalid-feedback" not in html
    # Back to Quảng Trị: the Hà Nội tick is dropped in turn; nothing is said when none is.
    html = client.post_form("/admin/units/new", {**data, "province_id": quang_tri.id}).get_data(
        as_text=True
    )
    assert "Đã bỏ chọn 1 xã, phường của tỉnh khác." in html and "Đã chọn: 2." in html
    assert {value for value, _, ticked in boxes(html) if ticked} == {str(a.id) for a in ours}
    html = client.post_form(
        "/admin/units/new", {**data, "province_id": quang_tri.id, "area_ids": ours[0].id}
    ).get_data(as_text=True)
    assert "Đã bỏ chọn" not in html and "Đã chọn: 1." in html


def test_the_count_is_of_the_boxes_ticked_when_some_are_refused(client, db, province_office):
    office, admin, quang_tri = province_office
    theirs = communes_of(db, area(db, AreaLevel.PROVINCE, HANOI))[0]
    client.login(admin)
    data = form(
        office, province_id=quang_tri.id, area_ids=[communes_of(db, quang_tri)[0].id, theirs.id]
    )
    html = client.post_form("/admin/units/new", data).get_data(as_text=True)
    assert "Đã chọn: 1." in html


def test_the_service_refuses_areas_outside_the_parents_province(db, province_office):
    office, _, _ = province_office
    hanoi = area(db, AreaLevel.PROVINCE, HANOI)
    with pytest.raises(UnitError, match="areas outside province"):
        open_unit(
            None,
            code="HN-UNDER-QT",
            name="x",
            kind=UnitKind.COMMUNE_OFFICE,
            parent=office,
            valid_from=dt.date(2025, 7, 1),
            areas=[communes_of(db, hanoi)[0]],
        )
    # A top-level unit, or one under a unit serving no area, may serve any province.
    assert open_unit(
        None,
        code="HN-ROOT",
        name="x",
        kind=UnitKind.PROVINCIAL_DEPARTMENT,
        parent=None,
        valid_from=dt.date(2025, 7, 1),
        areas=[hanoi],
    ).areas == [hanoi]


def test_the_page_has_its_filter_script_and_no_inline_code(client, province_office):
    _, admin, _ = province_office
    client.login(admin)
    html = client.get("/admin/units/new").get_data(as_text=True)
    assert re.search(r'<script src="/static/js/commune_picker\.js" defer>', html)
    assert " style=" not in html and "<script>" not in html
    assert "data-commune-filter hidden" in html  # shown by the script only
