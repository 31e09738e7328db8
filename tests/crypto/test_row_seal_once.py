"""The row seal is computed once per changed row, in the flush, and checked once per loaded
state of a row; nothing written or loaded outside the encrypted fields is sealed or trusted
on the way (issue 12: the attribute path's cost, without weakening issue 16's guarantees)."""

from __future__ import annotations

import hmac
import os

import pytest
import sqlalchemy as sa

from casemgr.audit.models import AuditEvent
from casemgr.crypto import envelope, rowseal
from casemgr.crypto.errors import IntegrityFailure
from casemgr.people import services
from casemgr.people.models import Person

persons = Person.__table__


@pytest.fixture
def seals(monkeypatch) -> list[int]:
    """The row ids whose seal was computed (to seal a row, or to check one)."""
    seen: list[int] = []
    real = rowseal.RowLayout.compute

    def counting(self, key, row_id, person_id, version, blobs):
        seen.append(row_id)
        return real(self, key, row_id, person_id, version, blobs)

    monkeypatch.setattr(rowseal.RowLayout, "compute", counting)
    return seen


def _registered(db) -> Person:
    person = services.register_person(
        None, surname="Nguyễn", middle_name="Thị", given_name="Ánh", note="ghi chú cũ"
    )
    db.session.commit()
    envelope.forget()
    db.session.expire_all()
    return db.session.get(Person, person.id)


def _failures(db, person_id: int) -> list[tuple[str | None, str]]:
    with db.session.no_autoflush:  # the refused row stays unflushed
        return [
            (e.reason, e.outcome)
            for e in db.session.scalars(
                sa.select(AuditEvent).where(
                    AuditEvent.action == "crypto.integrity_failure",
                    AuditEvent.object_id == str(person_id),
                )
            )
        ]


def test_a_row_with_several_fields_set_is_sealed_once_in_the_flush(db, seals):
    person = _registered(db)
    seals.clear()  # the registration's own seal
    assert person.given_name == "Ánh"
    assert seals == [person.id]  # the first read checked the row
    person.given_name = "Mai"
    person.note = "ghi chú mới"
    person.phone = "0912345678"
    person.given_name = "Hoa"
    assert person.given_name == "Hoa" and seals == [person.id]  # nothing sealed yet
    db.session.flush()
    assert seals == [person.id, person.id]  # one seal for the row, in the flush
    assert person.enc_version == 2  # one version for the flush, however many fields
    db.session.commit()
    envelope.forget()
    db.session.expire_all()
    again = db.session.get(Person, person.id)
    assert (again.given_name, again.note, again.phone) == ("Hoa", "ghi chú mới", "0912345678")


def test_the_seal_is_checked_once_per_loaded_state_of_a_row(db, seals):
    person = _registered(db)
    seals.clear()
    for _ in range(3):
        for name in Person.__encrypted_fields__:
            getattr(person, name)
    assert seals == [person.id]
    db.session.commit()  # expired: the next read loads the row again, unchanged
    assert person.note == "ghi chú cũ"
    assert seals == [person.id]  # the same sealed state: nothing to check again


def test_a_rolled_back_cell_is_refused_with_the_key_still_open(db):
    person = _registered(db)
    old = person.note_enc
    person.note = "ghi chú mới"
    db.session.commit()
    assert person.note == "ghi chú mới"
    db.session.execute(persons.update().where(persons.c.id == person.id).values(note_enc=old))
    db.session.commit()
    db.session.expire_all()  # the data key stays open: only the row's values are read again
    with pytest.raises(IntegrityFailure) as caught:
        _ = db.session.get(Person, person.id).given_name
    assert caught.value.reason == "row seal"
    assert _failures(db, person.id) == [("row seal", "error")]


def test_a_change_in_the_database_under_a_pending_write_is_refused(db):
    person = _registered(db)
    assert person.note == "ghi chú cũ"
    person.note = "ghi chú mới"  # not flushed: the row seal is due at the flush
    with db.session.no_autoflush:
        db.session.execute(
            persons.update().where(persons.c.id == person.id).values(given_name_enc=None)
        )
    db.session.expire(person, ["given_name_enc"])
    with pytest.raises(IntegrityFailure) as caught:
        _ = person.surname
    assert caught.value.reason == "row seal"
    with pytest.raises(IntegrityFailure):
        db.session.flush()  # never sealed over the blanked value
    assert _failures(db, person.id) == [("row seal", "error")]  # once per object
    db.session.rollback()


def test_a_column_written_outside_its_field_is_not_sealed_into_the_row(db):
    person = _registered(db)
    person.given_name = "Mai"
    person.surname_enc = person.given_name_enc  # not through the field: never sealed
    with pytest.raises(IntegrityFailure):
        db.session.flush()
    assert _failures(db, person.id) == [("row seal", "error")]
    db.session.rollback()


def test_a_write_rolled_back_is_not_trusted_afterwards(db):
    person = _registered(db)
    person.note = "ghi chú mới"
    db.session.flush()
    db.session.rollback()
    assert person.note == "ghi chú cũ" and person.enc_version == 1
    person.given_name = "Mai"  # the version advances from the stored one
    db.session.commit()
    envelope.forget()
    db.session.expire_all()
    again = db.session.get(Person, person.id)
    assert (again.given_name, again.note, again.enc_version) == ("Mai", "ghi chú cũ", 2)


@pytest.mark.parametrize("key_size", [0, 16, 32, 64, 65, 200])
def test_row_mac_is_hmac_sha256(key_size):
    key = os.urandom(key_size)
    mac = rowseal.RowMac(key)
    for size in (0, 1, 55, 64, 400, 4096):
        message = os.urandom(size)
        assert mac.digest(message) == hmac.digest(key, message, "sha256")
        assert mac.digest(message) == mac.digest(message)  # the hashed key blocks are kept
    assert repr(mac) == "<RowMac>"  # nothing of the key
