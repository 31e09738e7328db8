"""Registering and correcting persons: stored forms, validation, audit without values."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from casemgr.audit.models import AuditEvent
from casemgr.people import services
from casemgr.people.models import Person, Sex


def test_register_stores_nfc_names_and_digit_ids(db):
    person = services.register_person(
        None,
        surname="  Nguye\u0302\u0303n ",
        given_name="A\u0302n",
        national_id="079 085 001 234",
        phone=" 0912 345 678 ",
        sex=Sex.MALE,
        birth_year=1985,
    )
    assert person.surname == "Nguyễn" and person.given_name == "Ân"
    assert person.national_id == "079085001234"
    assert person.phone == "0912 345 678"
    assert (person.sex, person.birth_year) == (Sex.MALE, 1985)
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "person.create")
    ).all()[-1]
    assert event.fields == "birth_year,given_name,national_id,phone,surname"
    assert "Nguy" not in repr(person) and "079" not in repr(person)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("national_id", "12345", "national id"), ("phone", "+1 202 555 0100", "phone")],
)
def test_invalid_ids_refused_without_echoing_them(db, field, value, message):
    with pytest.raises(services.PersonError, match=message) as caught:
        services.register_person(None, **{field: value})
    assert value not in str(caught.value)


def test_unknown_fields_refused(db):
    with pytest.raises(TypeError):
        services.register_person(None, nickname="x")


def test_update_audits_field_names(db):
    person = services.register_person(None, given_name="Hoa")
    services.update_person(None, person, note="ghi chú", birth_year=2001)
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "person.update")
    ).all()[-1]
    assert event.fields == "birth_year,note"
    assert db.session.get(Person, person.id).note == "ghi chú"
