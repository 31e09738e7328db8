"""A tampered value met while rendering a page: 500, nothing shown, the failure stays audited."""

from __future__ import annotations

import sqlalchemy as sa

from casemgr.audit.models import AuditEvent
from casemgr.auth.roles import Role
from casemgr.people import services
from casemgr.people.models import Person


def test_tampered_value_on_a_person_page(client, db, make):
    unit = make.unit()
    worker = make.user(Role.SOCIAL_WORKER, unit)
    genuine = services.register_person(worker, surname="Vũ", given_name="Hằng", phone="0912000111")
    other = services.register_person(worker, surname="Vũ", given_name="Khác", phone="0987000222")
    for person in (genuine, other):
        person.registered_unit_id = unit.id
        person.registered_by_id = worker.id
    db.session.commit()
    client.login(worker)
    assert client.get(f"/people/{genuine.id}").status_code == 200

    # Someone with database access moves another person's phone onto this row.
    table = Person.__table__
    db.session.execute(
        table.update().where(table.c.id == genuine.id).values(phone_enc=other.phone_enc)
    )
    db.session.commit()
    response = client.get(f"/people/{genuine.id}")
    assert response.status_code == 500
    assert b"0987000222" not in response.data and "Hằng".encode() not in response.data
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "crypto.integrity_failure")
    ).all()
    assert [(e.object_type, e.object_id, e.fields, e.actor_id) for e in events] == [
        ("persons", str(genuine.id), "phone_enc", worker.id)
    ]
