"""Duplicate finding: the exact national-ID and phone block and its recorded override, the
probable matches (spelling variants, swapped order, birth year ±1, other communes), and the
out-of-scope matches that are only counted."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from casemgr.audit.models import AuditEvent
from casemgr.crypto import normalise
from casemgr.people import duplicates
from casemgr.people.models import Person
from casemgr.people.relations import PersonDistinction
from casemgr.people.services import register_person

NATIONAL_ID = "001190012345"
PHONE = "0912 345 678"


def _english(client) -> None:
    client.post_form("/auth/language", {"locale": "en"})


def _form(unit, **values) -> dict:
    data = {
        "surname": "Trần",
        "middle_name": "Thị",
        "given_name": "Mỹ",
        "sex": "female",
        "birth_year": "1990",
        "unit_id": unit.id,
    }
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


def _person(user, unit, surname, middle, given, *, year=1990, sex="female", **values) -> Person:
    return register_person(
        user,
        sex=sex,
        birth_year=year,
        surname=surname,
        middle_name=middle,
        given_name=given,
        registered_unit_id=unit.id,
        registered_by_id=user.id,
        **values,
    )


def _count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Person))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("Trần", "Thị", "Mỹ"), ("Tran", "Thi", "Mĩ")),  # i/y, diacritics
        (("Huỳnh", "Văn", "Phước"), ("Hoàng", "Văn", "Phúc")),  # Sino-Vietnamese readings
        (("Võ", "Thị", "Lan"), ("Vũ", "Thị", "Lan")),
        (("Nguyễn", "Thị", "Lan"), ("Lan", "Nguyễn", "Thị")),  # swapped order
        (("Nguyễn", "Thị", "Lan"), ("Nguyễn", None, "Lan")),  # middle name left out
    ],
)
def test_variant_keys_meet(a, b):
    assert set(normalise.variant_keys(*a)) & set(normalise.variant_keys(*b))


def test_variant_keys_keep_different_names_apart():
    assert not set(normalise.variant_keys("Trần", "Thị", "Mỹ")) & set(
        normalise.variant_keys("Trần", "Thị", "Mai")
    )
    assert not set(normalise.variant_keys("Nguyễn", "Văn", "Thanh")) & set(
        normalise.variant_keys("Nguyễn", "Văn", "Thịnh")
    )


def test_exact_national_id_blocks_until_the_user_says_different_person(app, client, casework, db):
    _person(casework.colleague, casework.commune, "Lê", "Văn", "Hùng", sex="male",
            national_id=NATIONAL_ID)  # fmt: skip
    db.session.commit()
    client.login(casework.worker)
    _english(client)
    before = _count(db)
    response = client.post_form("/people/new", _form(casework.commune, national_id=NATIONAL_ID))
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert _count(db) == before
    assert "A person with this ID number is already registered (listed above)." in html
    assert "Lê Văn Hùng" in html  # in the user's scope: shown, with a link
    assert 'id="national_id"' in html and "is-invalid" in html
    assert "different person from the one already registered" in html  # the checkbox

    response = client.post_form(
        "/people/new", _form(casework.commune, national_id=NATIONAL_ID, different_person="y")
    )
    assert response.status_code == 302
    assert _count(db) == before + 1
    new = db.session.scalar(sa.select(Person).order_by(Person.id.desc()))
    other = db.session.scalar(
        sa.select(Person).where(Person.id < new.id).order_by(Person.id.desc())
    )
    pair = db.session.scalars(sa.select(PersonDistinction)).all()
    assert [(d.person_id, d.other_id, d.basis) for d in pair] == [(other.id, new.id, "national_id")]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "person.distinct"))
    assert event.object_id == str(new.id) and event.reason == f"different_from:{other.id}"
    assert event.actor_id == casework.worker.id


def test_exact_phone_blocks_in_vietnamese_under_the_field(app, client, casework, db):
    _person(casework.colleague, casework.commune, "Phạm", "Văn", "Đức", sex="male",
            phone="+84912345678")  # fmt: skip
    db.session.commit()
    client.login(casework.worker)
    client.post_form("/auth/language", {"locale": "vi"})
    response = client.post_form("/people/new", _form(casework.commune, phone=PHONE))
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert 'id="phone"' in html and "invalid-feedback" in html
    assert "Vui lòng kiểm tra các trường được đánh dấu." in html
    phone_block = html[html.index('id="phone"') :]
    assert (
        "Đã có người được đăng ký với số điện thoại này"
        in phone_block[: phone_block.index("</div>") + 400]
    )


def test_out_of_scope_exact_match_is_only_counted_and_still_recorded(app, client, casework, db):
    hidden = _person(casework.outsider, casework.other_commune, "Đỗ", "Thị", "Hằng",
                     national_id=NATIONAL_ID)  # fmt: skip
    db.session.commit()
    client.login(casework.worker)
    _english(client)
    response = client.post_form("/people/new", _form(casework.commune, national_id=NATIONAL_ID))
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "already registered in another unit" in html
    assert "Đỗ Thị Hằng" not in html and f"/people/{hidden.id}" not in html
    response = client.post_form(
        "/people/new", _form(casework.commune, national_id=NATIONAL_ID, different_person="y")
    )
    assert response.status_code == 302
    pair = db.session.scalar(sa.select(PersonDistinction))
    assert pair.person_id == hidden.id and pair.basis == "national_id"


def test_erased_or_different_values_do_not_block(app, client, casework, db):
    _person(casework.colleague, casework.commune, "Lê", "Văn", "Hùng", sex="male",
            national_id=NATIONAL_ID)  # fmt: skip
    db.session.commit()
    client.login(casework.worker)
    response = client.post_form("/people/new", _form(casework.commune, national_id="001190012346"))
    assert response.status_code == 302


TRAN_THI_MY = ("Trần", "Thị", "Mỹ")


@pytest.mark.parametrize(
    ("kind", "original", "typed"),
    [
        ("i/y", TRAN_THI_MY, ("Trần", "Thị", "Mĩ", 1990)),
        ("reading", ("Huỳnh", "Văn", "Phước"), ("Hoàng", "Văn", "Phúc", 1990)),
        ("reading", ("Võ", "Thị", "Lan"), ("Vũ", "Thị", "Lan", 1990)),
        ("swapped", TRAN_THI_MY, ("Mỹ", "Trần", "Thị", 1990)),
        ("no middle", TRAN_THI_MY, ("Tran", None, "My", 1990)),
        ("year +1", TRAN_THI_MY, ("Trần", "Thị", "Mỹ", 1991)),
        ("year -1", TRAN_THI_MY, ("Trần", "Thị", "Mỹ", 1989)),
    ],
)
def test_each_planted_variant_is_found(app, casework, db, kind, original, typed):
    person = _person(casework.colleague, casework.commune, *original, sex="unknown")
    surname, middle, given, year = typed
    found = duplicates.probable_matches(
        casework.worker, surname=surname, middle_name=middle, given_name=given,
        birth_year=year, sex="female",
    )  # fmt: skip
    assert [p.id for p in found.visible] == [person.id], kind
    assert found.elsewhere == 0


def test_other_commune_is_found_and_out_of_scope_only_counted(app, casework, db):
    from casemgr.org.models import Area

    communes = db.session.scalars(sa.select(Area.id).where(Area.level == "commune").limit(2))
    here, there = list(communes)
    mine = _person(casework.colleague, casework.commune, "Hoàng", "Văn", "Nam", sex="male",
                   area_id=there)  # fmt: skip
    _person(casework.outsider, casework.other_commune, "Huỳnh", "Văn", "Nam", sex="male",
            year=1991)  # fmt: skip
    found = duplicates.probable_matches(
        casework.worker, surname="Hoàng", middle_name="Văn", given_name="Nam",
        birth_year=1990, sex="male", area_id=here,
    )  # fmt: skip
    assert [p.id for p in found.visible] == [mine.id]
    assert found.elsewhere == 1
    assert all(isinstance(i, int) for i in found.hidden_ids)


def test_near_names_and_distant_years_are_not_matches(app, casework, db):
    _person(casework.colleague, casework.commune, "Trần", "Thị", "Mỹ")
    _person(casework.colleague, casework.commune, "Trần", "Văn", "Mỹ", sex="unknown")
    for typed in (
        dict(surname="Trần", middle_name="Thị", given_name="Mai", birth_year=1990),
        dict(surname="Trần", middle_name="Thị", given_name="Mỹ", birth_year=1992),
    ):
        found = duplicates.probable_matches(casework.worker, sex="female", **typed)
        assert not found.visible, typed
    found = duplicates.probable_matches(
        casework.worker, surname="Trần", middle_name="Thị", given_name="Mỹ",
        birth_year=1990, sex="female",
    )  # fmt: skip
    assert len(found.visible) == 1  # "Trần Văn Mỹ" (sex unknown) scores under the threshold


def test_registration_page_shows_probable_variant(app, client, casework, db):
    _person(casework.colleague, casework.commune, "Trần", "Thị", "Mỹ")
    db.session.commit()
    client.login(casework.worker)
    _english(client)
    html = client.post_form(
        "/people/new", _form(casework.commune, given_name="Mĩ", birth_year="1991")
    ).get_data(as_text=True)
    assert "This person may already be registered" in html
    assert "Trần Thị Mỹ" in html


def test_no_value_in_audit_logs_or_urls(app, client, casework, db, caplog):
    _person(casework.colleague, casework.commune, "Lê", "Văn", "Hùng", sex="male",
            national_id=NATIONAL_ID, phone=PHONE)  # fmt: skip
    db.session.commit()
    client.login(casework.worker)
    caplog.set_level(logging.DEBUG)
    first = db.session.scalar(sa.select(sa.func.max(AuditEvent.seq)))
    responses = [
        client.post_form(
            "/people/new", _form(casework.commune, national_id=NATIONAL_ID, phone=PHONE)
        ),
        client.post_form("/people/search", {"q": NATIONAL_ID}),
        client.post_form("/people/search", {"q": PHONE}),
        client.post_form("/people/search", {"q": "le van hung"}),
        client.get("/people/"),
    ]
    assert all(r.status_code in (200, 409) for r in responses)
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.seq > first)).all()
    actions = {e.action for e in events}
    assert {"person.duplicate_check", "person.search", "person.list"} <= actions
    trail = " ".join(f"{e.action} {e.reason} {e.fields} {e.object_type}" for e in events).lower()
    for value in (NATIONAL_ID, "912345678", "hung", "hùng", "Trần".lower(), "my"):
        assert value not in trail.replace("person.", "").replace("duplicate", "")
    assert NATIONAL_ID not in caplog.text and "912345678" not in caplog.text
