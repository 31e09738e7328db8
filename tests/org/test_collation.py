"""Names sort in Vietnamese alphabetical order, in Python and in both databases alike."""

from __future__ import annotations

from sqlalchemy import select

from casemgr.collation import compare, sort_key, vietnamese
from casemgr.org.models import Area


def test_letters_with_marks_follow_their_base_letter():
    names = [
        "Cao Bằng",
        "Đà Nẵng",
        "Xã Yên",
        "Cà Mau",
        "Bắc Ninh",
        "Dak Lak",
        "Xã Ái Tử",
        "Bạc Liêu",
    ]
    assert sorted(names, key=sort_key) == [
        "Bạc Liêu",  # a before ă
        "Bắc Ninh",
        "Cà Mau",  # the tone counts only after the letters: "ca " before "cao"
        "Cao Bằng",
        "Dak Lak",  # d before đ
        "Đà Nẵng",
        "Xã Ái Tử",  # an accented first letter is still an a
        "Xã Yên",
    ]


def test_the_alphabet_and_the_tones():
    assert sorted(["ư", "ơ", "u", "ô", "o", "ê", "e", "đ", "d", "â", "ă", "a"], key=sort_key) == [
        "a", "ă", "â", "d", "đ", "e", "ê", "o", "ô", "ơ", "u", "ư",
    ]  # fmt: skip
    # ngang, huyền, hỏi, ngã, sắc, nặng; composed and decomposed forms alike
    assert sorted(["mạ", "má", "mã", "ma\u0309", "mà", "ma"], key=sort_key) == [
        "ma", "mà", "ma\u0309", "mã", "má", "mạ",
    ]  # fmt: skip
    assert compare("mả", "ma\u0309") == 0
    assert sorted(["An", "an", "ăn"], key=sort_key) == ["an", "An", "ăn"]
    assert sorted(["Phường 2", "Phường-1", "Phường 1", "Phường A"], key=sort_key) == [
        "Phường 1",
        "Phường 2",
        "Phường A",
        "Phường-1",
    ]  # fmt: skip  (a space before punctuation, before digits, before letters: as ICU)


def test_both_databases_order_the_country_as_python_does(db):
    """Every province and commune (3,000+ real names): PostgreSQL's ICU collation and the
    collation SQLite gets on each connection give the order of `sort_key`."""
    names = db.session.scalars(select(Area.name).order_by(vietnamese(Area.name), Area.id)).all()
    assert len(names) > 3000
    assert names == sorted(names, key=sort_key)
    assert names != sorted(names)  # code-point order differs: the test can tell them apart


def test_numbers_compare_by_value_so_paths_sort_in_tree_order(db):
    assert sorted(["Phường 10", "Phường 2", "Phường 1"], key=sort_key) == [
        "Phường 1", "Phường 2", "Phường 10",
    ]  # fmt: skip
    assert sorted(["/1/10/", "/1/2/3/", "/1/", "/1/2/"], key=sort_key) == [
        "/1/", "/1/2/", "/1/2/3/", "/1/10/",
    ]  # fmt: skip


def test_the_unit_list_is_in_tree_order_with_the_tenth_office_after_the_second(client, make, db):
    from casemgr.auth.roles import Role
    from casemgr.org.models import UnitKind

    province = make.unit(kind=UnitKind.PROVINCIAL_DEPARTMENT)
    second, tenth = make.unit(province), make.unit(province)
    # Ids across a power of ten, as the demo's second and tenth commune offices (2 and 11):
    # text order put "/1/11/" before "/1/2/".
    second.path, tenth.path = f"{province.path}99999998/", f"{province.path}100000000/"
    db.session.flush()
    client.login(make.user(Role.ADMINISTRATOR, province))
    html = client.get("/admin/units?per_page=100").get_data(as_text=True)
    assert html.index(f">{second.code}<") < html.index(f">{tenth.code}<")
