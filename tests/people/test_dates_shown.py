"""A person's date of birth is written the way the user's language writes dates (dd/mm/yyyy in
Vietnamese), never as the ISO form the database keeps."""

from __future__ import annotations

import datetime as dt

from casemgr.auth.roles import Role
from casemgr.people import services


def test_person_page_shows_date_of_birth_as_dd_mm_yyyy(client, db, make):
    unit = make.unit()
    worker = make.user(Role.SOCIAL_WORKER, unit)
    person = services.register_person(
        worker, surname="Vũ", given_name="Hằng", date_of_birth=dt.date(2015, 4, 10).isoformat()
    )
    person.registered_unit_id = unit.id
    person.registered_by_id = worker.id
    db.session.commit()
    client.login(worker)

    body = client.get(f"/people/{person.id}").get_data(as_text=True)

    assert "10/04/2015" in body
    assert "2015-04-10" not in body
