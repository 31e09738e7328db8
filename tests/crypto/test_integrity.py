"""Rollback, blanking and key tampering are refused, audited once per object and alerted.

Issue 16, points 3 and 4: every path that can fail to open a value or a key records
crypto.integrity_failure (ids only) and raises an integrity alert; erasure still reads as
erased; a whole-row copy is the one rollback this layer cannot see (docs/encryption.md §3).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from casemgr.audit.models import AlertKind, AuditAlert, AuditEvent
from casemgr.auth.roles import Role
from casemgr.crypto import envelope
from casemgr.crypto.errors import IntegrityFailure
from casemgr.crypto.fields import ERASED, UNREADABLE
from casemgr.crypto.models import DataKey
from casemgr.people import services
from casemgr.people.models import ErasureReason, Person

persons = Person.__table__
data_keys = DataKey.__table__


def _person(given: str = "Ánh") -> Person:
    return services.register_person(
        None, surname="Nguyễn", middle_name="Thị", given_name=given, note="ghi chú cũ"
    )


def _fresh(db, person: Person) -> Person:
    """The person as the next request sees it: nothing cached."""
    db.session.commit()
    envelope.forget()
    db.session.expire_all()
    return db.session.get(Person, person.id)


def _sql(db, table: sa.Table, where, **values) -> None:
    db.session.execute(table.update().where(where).values(**values))
    db.session.commit()


def _failure_events(db, person_id: int) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.action == "crypto.integrity_failure",
                AuditEvent.object_id == str(person_id),
            )
        )
    )


def _assert_audited_and_alerted(db, person_id: int, reason: str) -> None:
    db.session.commit()
    events = _failure_events(db, person_id)
    assert [(e.object_type, e.reason, e.outcome) for e in events] == [("persons", reason, "error")]
    alert = db.session.scalar(
        sa.select(AuditAlert).where(AuditAlert.key == f"integrity:{events[0].seq}")
    )
    assert alert is not None and alert.kind == AlertKind.INTEGRITY
    assert alert.first_seq == events[0].seq


def test_old_ciphertext_restored_after_an_edit_is_refused_and_audited(db):
    person = _person()
    db.session.commit()
    old = db.session.scalar(sa.select(persons.c.note_enc).where(persons.c.id == person.id))
    services.update_person(None, person, note="ghi chú mới")
    assert _fresh(db, person).note == "ghi chú mới"
    _sql(db, persons, persons.c.id == person.id, note_enc=old)
    tampered = _fresh(db, person)
    with pytest.raises(IntegrityFailure) as caught:
        _ = tampered.note
    assert caught.value.reason == "row seal" and "ghi" not in str(caught.value)
    _assert_audited_and_alerted(db, person.id, "row seal")


def test_value_set_to_null_is_refused_not_blank(db):
    person = _person()
    db.session.commit()
    _sql(db, persons, persons.c.id == person.id, note_enc=None)
    with pytest.raises(IntegrityFailure):
        _ = _fresh(db, person).note
    _assert_audited_and_alerted(db, person.id, "row seal")


def test_null_wrapped_key_without_erasure_is_refused_not_erased(db):
    person = _person()
    db.session.commit()
    _sql(db, data_keys, data_keys.c.person_id == person.id, wrapped_key=None)
    tampered = _fresh(db, person)
    with pytest.raises(IntegrityFailure) as caught:
        _ = tampered.given_name
    assert caught.value.reason == "null key"
    assert tampered.display_name() == str(UNREADABLE)  # never "[erased]"
    _assert_audited_and_alerted(db, person.id, "null key")


def test_destroyed_key_without_the_erasure_record_is_refused(db):
    person = _person()
    db.session.commit()
    envelope.destroy(db.session, person.id)  # the key row says destroyed; erased_at is unset
    with pytest.raises(IntegrityFailure):
        _ = _fresh(db, person).given_name
    _assert_audited_and_alerted(db, person.id, "null key")


def test_erasure_flow_still_reads_as_erased(db, make):
    unit = make.unit()
    first, second = make.user(Role.SUPERVISOR, unit), make.user(Role.SUPERVISOR, unit)
    person = _person()
    request = services.request_erasure(first, person, ErasureReason.SUBJECT_REQUEST)
    services.confirm_erasure(second, request)
    erased = _fresh(db, person)
    assert erased.given_name is ERASED and erased.note is ERASED
    assert erased.display_name() == str(ERASED)
    assert _failure_events(db, person.id) == []


def _unknown_master_key(db, person):
    _sql(db, data_keys, data_keys.c.person_id == person.id, master_key_id="mk-gone")


def _missing_key(db, person):
    db.session.execute(data_keys.delete().where(data_keys.c.person_id == person.id))
    db.session.commit()


def _bad_storage_class(db, person):
    _sql(db, persons, persons.c.id == person.id, note_enc=sa.literal_column("12345"))


def _invalid_utf8_text(db, person):
    _sql(db, persons, persons.c.id == person.id, note_enc=sa.text("CAST(x'c328ff80' AS TEXT)"))


def _forged_bytes(db, person):
    _sql(db, persons, persons.c.id == person.id, note_enc=b"\x02" + b"\x00" * 60)


@pytest.mark.parametrize(
    ("tamper", "reason", "sqlite_only"),
    [
        (_unknown_master_key, "unknown master key", False),
        (_missing_key, "missing key", False),
        (_bad_storage_class, "bad value", True),
        (_invalid_utf8_text, "bad value", True),
        (_forged_bytes, "bad value", False),
    ],
    ids=["unknown-master-key", "missing-key", "storage-class", "invalid-utf8", "forged"],
)
def test_each_failure_path_is_audited_and_alerted(db, tamper, reason, sqlite_only):
    if sqlite_only and db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL keeps bytea: no other storage class, no TEXT to mis-decode")
    person = _person()
    db.session.commit()
    tamper(db, person)
    tampered = _fresh(db, person)
    with pytest.raises(IntegrityFailure) as caught:
        _ = tampered.note
    assert caught.value.reason == reason
    _assert_audited_and_alerted(db, person.id, reason)


def test_one_event_per_object_however_many_reads(db):
    people = [_person(f"Ánh{i}") for i in range(3)]
    db.session.commit()
    _sql(db, persons, persons.c.id == people[1].id, given_name_enc=None)
    envelope.forget()
    db.session.expire_all()
    envelope.preload(db.session, [p.id for p in people])  # a list page: no raise here
    names = [db.session.get(Person, p.id).display_name() for p in people for _ in range(3)]
    for name in Person.__encrypted_fields__:
        with pytest.raises(IntegrityFailure):
            getattr(db.session.get(Person, people[1].id), name)
    assert names[3:6] == [str(UNREADABLE)] * 3
    assert names[0] == "Nguyễn Thị Ánh0" and names[6] == "Nguyễn Thị Ánh2"
    assert len(_failure_events(db, people[1].id)) == 1


def test_a_tampered_row_cannot_be_laundered_by_an_edit(db):
    person = _person()
    db.session.commit()
    _sql(db, persons, persons.c.id == person.id, note_enc=None)
    tampered = _fresh(db, person)
    with pytest.raises(IntegrityFailure):
        tampered.given_name = "Bình"  # re-sealing would make the NULL look genuine
    db.session.rollback()
    with pytest.raises(IntegrityFailure):
        _ = _fresh(db, person).note


def test_every_change_advances_the_version_and_reseals(db):
    person = _person()
    db.session.commit()
    assert person.enc_version == 1
    services.update_person(None, person, note="một", given_name="Hai")
    db.session.commit()
    assert person.enc_version == 2  # once per flush, however many fields
    services.update_person(None, person, note=None)
    fresh = _fresh(db, person)
    assert fresh.enc_version == 3 and fresh.note is None and fresh.given_name == "Hai"


def test_search_leaves_out_a_candidate_that_cannot_be_confirmed(db):
    from casemgr.people import queries

    good = services.register_person(
        None, surname="Lê", given_name="Hoa", national_id="079085001111"
    )
    bad = services.register_person(None, surname="Lê", given_name="Hoa", national_id="079085002222")
    db.session.commit()
    _sql(db, persons, persons.c.id == bad.id, national_id_enc=None)  # blanked: seal fails
    envelope.forget()
    db.session.expire_all()
    assert queries.find_persons_by(None, name="Lê Hoa") == [db.session.get(Person, good.id)]
    _assert_audited_and_alerted(db, bad.id, "row seal")
