"""Encrypted attributes: round trips, binding to row/column/person, audit of failures, caching."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from casemgr.audit.models import AuditEvent
from casemgr.crypto import envelope
from casemgr.crypto.errors import IntegrityFailure
from casemgr.crypto.fields import ERASED
from casemgr.crypto.models import DataKey
from casemgr.people import services
from casemgr.people.models import Attachment, Person

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def person(i: int = 0, **extra) -> Person:
    values = {
        "surname": "Nguyễn",
        "middle_name": "Thị",
        "given_name": f"Ánh{i}",
        "national_id": f"{79085000000 + i:012d}",
        "phone": f"09{12345000 + i:08d}",
        "street_address": f"{i} Đường Lê Lợi",
        "note": f"ghi chú {i}",
        "date_of_birth": f"2010-01-{1 + i % 28:02d}",
        "uic": f"NAN2{i:06d}X",
        **extra,
    }
    return services.register_person(None, **values)


def fresh(db, obj):
    """The row as another request would see it: nothing cached, read from the database."""
    db.session.commit()
    envelope.forget()
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def failures(db, column: str | None = None) -> list[AuditEvent]:
    statement = sa.select(AuditEvent).where(AuditEvent.action == "crypto.integrity_failure")
    if column:
        statement = statement.where(AuditEvent.fields == column)
    return list(db.session.scalars(statement))


def test_round_trip_of_every_field(db):
    p = person(1)
    p2 = fresh(db, p)
    assert (p2.surname, p2.middle_name, p2.given_name) == ("Nguyễn", "Thị", "Ánh1")
    assert p2.national_id == "079085000001"
    assert p2.phone == "0912345001"
    assert p2.street_address == "1 Đường Lê Lợi"
    assert p2.note == "ghi chú 1"
    assert isinstance(p2.given_name_enc, bytes) and b"\xc3\x81nh" not in p2.given_name_enc
    p2.note = None
    p2.phone = "+84 912 000 111"
    p3 = fresh(db, p2)
    assert p3.note is None and p3.phone == "+84 912 000 111"


def test_rows_get_their_ids_before_sealing_and_keys_are_per_person(db):
    a, b = person(1), person(2)
    keys = db.session.scalars(sa.select(DataKey).where(DataKey.person_id.in_([a.id, b.id])))
    keys = {k.person_id: k for k in keys}
    assert set(keys) == {a.id, b.id}
    assert keys[a.id].wrapped_key != keys[b.id].wrapped_key
    assert int.from_bytes(a.surname_enc[1:9], "big") == keys[a.id].id  # key id in the header


def test_value_copied_to_another_row_is_refused_and_audited(db):
    a, b = person(1), person(2)
    b.given_name_enc = a.given_name_enc
    b2 = fresh(db, b)
    with pytest.raises(IntegrityFailure) as caught:
        _ = b2.given_name
    assert (caught.value.table, caught.value.column, caught.value.row_id) == (
        "persons",
        "given_name_enc",
        b.id,
    )
    assert "Ánh" not in str(caught.value)
    events = failures(db, "given_name_enc")
    assert [e.object_id for e in events] == [str(b.id)]
    assert events[0].object_type == "persons" and events[0].outcome == "error"


def test_value_copied_to_another_column_is_refused(db):
    a = person(1)
    a.surname_enc = a.given_name_enc
    a2 = fresh(db, a)
    with pytest.raises(IntegrityFailure):
        _ = a2.surname
    with pytest.raises(IntegrityFailure):  # the row seal no longer matches: the whole row
        _ = a2.given_name


def test_value_copied_between_rows_of_one_person_is_refused(db):
    a = person(1)
    first = services.add_attachment(None, a, filename="a.png", content_type="image/png", data=PNG)
    second = services.add_attachment(
        None, a, filename="b.png", content_type="image/png", data=PNG + b"2"
    )
    second.content_enc = first.content_enc
    s2 = fresh(db, second)
    with pytest.raises(IntegrityFailure):
        _ = s2.content
    assert failures(db, "content_enc")[0].object_id == str(second.id)


def test_wrapped_data_key_copied_to_another_person_is_refused(db):
    a, b = person(1), person(2)
    key_a = db.session.scalar(sa.select(DataKey).where(DataKey.person_id == a.id))
    key_b = db.session.scalar(sa.select(DataKey).where(DataKey.person_id == b.id))
    key_b.wrapped_key = key_a.wrapped_key
    b2 = fresh(db, b)
    with pytest.raises(IntegrityFailure):
        _ = b2.given_name


def test_swaps_of_many_values_all_refused(db):
    people = [person(i) for i in range(20)]
    columns = Person.encrypted_columns()
    originals = {(p.id, c): getattr(p, c) for p in people for c in columns}
    # Each value moves to the next person, same column; then to the next column, same person.
    for i, p in enumerate(people):
        other = people[(i + 1) % len(people)]
        for c in columns:
            setattr(p, c, originals[(other.id, c)])
    db.session.commit()
    envelope.forget()
    db.session.expire_all()
    refused = 0
    for p in people:
        for name in Person.__encrypted_fields__:
            with pytest.raises(IntegrityFailure):
                getattr(db.session.get(Person, p.id), name)
            refused += 1
    assert refused == 20 * len(Person.__encrypted_fields__)
    assert len(failures(db)) == 20  # audited once per row, not once per field read


def test_unwrapped_at_most_once_per_request(db, app, monkeypatch):
    people = [person(i) for i in range(3)]
    db.session.commit()
    calls = []
    real = envelope.unwrap

    def counting(*args):
        calls.append(args[2])
        return real(*args)

    monkeypatch.setattr(envelope, "unwrap", counting)
    for _ in range(2):  # two requests
        with app.test_request_context():
            envelope.forget()  # a new request: a new session, an empty cache
            db.session.expire_all()
            for _ in range(3):
                for p in people:
                    for name in Person.__encrypted_fields__:
                        getattr(db.session.get(Person, p.id), name)
    assert sorted(calls) == sorted([p.id for p in people] * 2)


def test_preload_opens_many_keys_with_one_query(db, app):
    people = [person(i) for i in range(5)]
    db.session.commit()
    envelope.forget()
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    bind = db.session.get_bind()
    sa.event.listen(bind, "before_cursor_execute", seen)
    try:
        envelope.preload(db.session, [p.id for p in people])
        assert [p.given_name for p in people] == [f"Ánh{i}" for i in range(5)]
    finally:
        sa.event.remove(bind, "before_cursor_execute", seen)
    assert sum("data_keys" in s for s in statements) == 1


def test_unknown_master_key_is_an_audited_failure_not_blank(db):
    a = person(1)
    key = db.session.scalar(sa.select(DataKey).where(DataKey.person_id == a.id))
    key.master_key_id = "mk-gone"
    a2 = fresh(db, a)
    with pytest.raises(IntegrityFailure) as caught:
        _ = a2.given_name
    assert caught.value.reason == "unknown master key"
    assert [(e.object_type, e.object_id) for e in failures(db)] == [("persons", str(a.id))]


def test_erased_person_reads_as_erased_marker(db):
    a, b = person(1), person(2)
    envelope.destroy(db.session, a.id)
    a.erased_at = a.created_at  # the erasure record (people.services.confirm_erasure sets both)
    a2, b2 = fresh(db, a), fresh(db, b)
    assert a2.given_name is ERASED and a2.note is ERASED
    with force_locale("en"):
        assert str(ERASED) == "[erased]"
    assert str(ERASED).strip("[]")  # never blank, in any language
    assert b2.given_name == "Ánh2"


def test_wrong_type_refused(db):
    a = person(1)
    with pytest.raises(TypeError):
        a.given_name = b"bytes"
    with pytest.raises(TypeError):
        Attachment().content = "text"


def test_integrity_failure_in_a_request_is_a_500_and_stays_audited(db, app):
    from casemgr.crypto import _integrity_failure

    a = person(1)
    db.session.commit()
    with app.test_request_context("/"):
        response = app.make_response(
            _integrity_failure(IntegrityFailure(table="persons", column="note_enc", row_id=a.id))
        )
    assert response.status_code == 500
    assert b"ghi ch" not in response.data
    assert [e.object_id for e in failures(db, "note_enc")] == [str(a.id)]


@pytest.mark.parametrize(
    "stray",
    [b"plain note", "Ghi chú viết thẳng vào cột, không mã hóa gì cả".encode(), b"\x01" + b"x" * 60],
    ids=["short", "long", "v1-header"],
)
def test_stray_plaintext_in_an_encrypted_column_is_refused_not_shown(db, stray):
    a = person(1)
    db.session.flush()
    db.session.execute(
        Person.__table__.update().where(Person.__table__.c.id == a.id).values(note_enc=stray)
    )
    a2 = fresh(db, a)
    with pytest.raises(IntegrityFailure) as caught:
        _ = a2.note
    assert stray.decode(errors="ignore")[:10] not in str(caught.value)
    assert [e.object_id for e in failures(db, "note_enc")] == [str(a.id)]
    with pytest.raises(IntegrityFailure):  # the row seal covers every column of the row
        _ = a2.given_name
