"""A person whose values fail their integrity check: lists answer, the person's page refuses."""

from __future__ import annotations

import sqlalchemy as sa

from casemgr.audit.models import AlertKind, AuditAlert, AuditEvent
from casemgr.crypto import envelope
from casemgr.people.models import Person
from tests.cases.conftest import open_child_case


def _failures(db, person_id: int) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.action == "crypto.integrity_failure",
                AuditEvent.object_id == str(person_id),
            )
        )
    )


def test_caseload_with_one_tampered_person_answers_and_shows_it_unreadable(client, casework, db):
    other = open_child_case(casework.worker, casework.commune, surname="Trần", given="Bình")
    tampered_id = casework.case.person_id
    other_number, other_person = other.number, other.person_id
    db.session.commit()
    persons = Person.__table__
    db.session.execute(
        persons.update().where(persons.c.id == tampered_id).values(given_name_enc=None)
    )
    db.session.commit()
    envelope.forget()
    db.session.expire_all()

    client.login(casework.worker)
    client.post_form("/auth/language", {"locale": "en"})
    for _ in range(2):
        response = client.get("/cases/")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "[unreadable]" in html
        assert "Trần Thị Bình" in html and other_number in html  # the others still read
        assert "Nguyễn Thị" not in html  # nothing of the tampered person, not even in part

    events = _failures(db, tampered_id)
    assert len(events) == 2  # once per request and object, not once per field read
    assert all(e.reason == "row seal" and e.outcome == "error" for e in events)
    alerts = db.session.scalars(
        sa.select(AuditAlert).where(AuditAlert.key.in_([f"integrity:{e.seq}" for e in events]))
    ).all()
    assert [a.kind for a in alerts] == [AlertKind.INTEGRITY] * 2

    # Only the person's own page refuses, with the app's error page, and audits it.
    response = client.get(f"/people/{tampered_id}")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "<html" in page and "Nguyễn" not in page
    assert len(_failures(db, tampered_id)) == 3
    assert client.get(f"/people/{other_person}").status_code == 200
