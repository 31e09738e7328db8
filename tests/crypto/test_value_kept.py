"""A decrypted value is kept on its object for the rest of the request: a second read of the
field does not decrypt again; a reload, a change or an erasure is never answered from it."""

from __future__ import annotations

import pytest

from casemgr.crypto import envelope, fields
from casemgr.crypto.errors import IntegrityFailure
from casemgr.crypto.fields import ERASED
from casemgr.people import services
from casemgr.people.models import Person


@pytest.fixture
def opened(monkeypatch) -> list[str]:
    """The columns whose ciphertexts are decrypted (fields.open_value calls)."""
    seen: list[str] = []
    real = fields.open_value

    def counting(aead_for, blob, context):
        seen.append(context.column)
        return real(aead_for, blob, context)

    monkeypatch.setattr(fields, "open_value", counting)
    return seen


def _reloaded(db, person: Person) -> Person:
    """The row as the next request sees it: committed, expired, nothing unwrapped."""
    db.session.commit()
    envelope.forget()
    db.session.expire_all()
    return db.session.get(Person, person.id)


def test_a_second_read_does_not_decrypt_again(db, opened):
    person = _reloaded(db, services.register_person(None, surname="Lê", given_name="Hoa"))
    assert person.given_name == "Hoa" and person.given_name == "Hoa"
    assert opened == ["given_name_enc"]
    assert person.surname == "Lê"
    assert opened == ["given_name_enc", "surname_enc"]


def test_a_value_just_written_is_read_without_decrypting(db, opened):
    person = _reloaded(db, services.register_person(None, given_name="Hoa"))
    person.given_name = "Mai"
    assert person.given_name == "Mai"
    assert opened == []


def test_a_reload_decrypts_again(db, opened):
    person = _reloaded(db, services.register_person(None, given_name="Hoa"))
    assert person.given_name == "Hoa"
    again = _reloaded(db, person)
    assert again.given_name == "Hoa"
    assert opened == ["given_name_enc", "given_name_enc"]


def test_a_ciphertext_replaced_under_the_object_is_opened_and_refused(db, opened):
    first = services.register_person(None, given_name="Hoa")
    second = services.register_person(None, given_name="Mai")
    first, second = _reloaded(db, first), _reloaded(db, second)
    assert first.given_name == "Hoa"
    first.given_name_enc = second.given_name_enc  # another row's value: bound elsewhere
    with pytest.raises(IntegrityFailure):
        _ = first.given_name


def test_an_erasure_in_the_same_request_is_not_answered_from_the_kept_value(db, opened):
    person = _reloaded(db, services.register_person(None, given_name="Hoa"))
    assert person.given_name == "Hoa"
    envelope.destroy(db.session, person.id)
    person.erased_at = person.created_at
    assert person.given_name is ERASED
