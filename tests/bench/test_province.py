"""The bench province's bulk rows are what the app writes: they open through the ORM, pass
their row seals and are found by their blind indexes (on SQLite and through COPY on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import os
from types import SimpleNamespace

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bench.names import NameMaker
from bench.province import bulk_insert, person_rows, sealed
from casemgr.cases.models import Case, CaseNote
from casemgr.crypto import envelope, ids, keycheck, rowseal
from casemgr.crypto.fields import verify_row
from casemgr.crypto.models import BlindIndexEntry, DataKey
from casemgr.people.models import Person
from casemgr.people.queries import find_persons_by


def test_bulk_rows_read_back_through_the_orm(db, make) -> None:
    import random

    worker = make.user()
    unit_id = worker.roles[0].unit_id
    session = db.session
    ring = envelope.keyring()
    keycheck.ensure_recorded(session, ring)
    person_id = ids.allocate(session, Person.__table__, 1)[0]
    key_id = ids.allocate(session, DataKey.__table__, 1)[0]
    case_id = ids.allocate(session, Case.__table__, 1)[0]
    note_id = ids.allocate(session, CaseNote.__table__, 1)[0]
    raw = os.urandom(32)
    facts = NameMaker(random.Random(3)).person(person_id)
    texts = {k: facts[k] for k in ("surname", "middle_name", "given_name", "national_id")}
    now = dt.datetime.now(dt.UTC)
    person, key_row, entries = person_rows(
        ring, person_id, key_id, raw, texts,
        {"sex": facts["sex"], "birth_year": 1990, "created_at": now,
         "registered_unit_id": unit_id, "registered_by_id": worker.id},
    )  # fmt: skip
    key = SimpleNamespace(key_id=key_id, aead=AESGCM(raw), row_key=rowseal.row_key(raw))
    case = {
        "id": case_id, "number": "BENCH-TEST-1", "person_id": person_id, "group_code": "child",
        "protection_level": "support", "risk_level": "low", "status": "intake",
        "unit_id": unit_id, "owner_id": worker.id, "plan_cycle": 1, "opened_at": now,
        "updated_at": now, "version": 1,
        **sealed(Case, case_id, person_id, key, {"summary": "Trẻ nghỉ học nhiều buổi."}),
    }  # fmt: skip
    note = {
        "id": note_id, "case_id": case_id, "person_id": person_id, "kind": "visit",
        "occurred_on": now.date(), "author_id": worker.id, "created_at": now,
        "is_break_glass": False, **sealed(CaseNote, note_id, person_id, key, {"body": "Thăm nhà."}),
    }  # fmt: skip
    connection = session.connection()
    for model, rows in ((Person, [person]), (DataKey, [key_row]), (BlindIndexEntry, entries),
                        (Case, [case]), (CaseNote, [note])):  # fmt: skip
        bulk_insert(connection, model.__table__, rows)
    session.expire_all()
    envelope.forget(session)

    loaded = session.get(Person, person_id)
    assert (loaded.surname, loaded.given_name) == (facts["surname"], facts["given_name"])
    verify_row(loaded, envelope.open_key(session, person_id))  # raises if the seal is wrong
    assert session.get(Case, case_id).summary == "Trẻ nghỉ học nhiều buổi."
    assert session.get(CaseNote, note_id).body == "Thăm nhà."
    found = find_persons_by(None, national_id=facts["national_id"])
    assert [p.id for p in found] == [person_id]
