"""The person list and search: persons with or without a case, within the user's scope, the
same scope as the person page; searches are POSTs, audited by kind."""

from __future__ import annotations

import re

import sqlalchemy as sa

from casemgr.audit.models import AuditEvent
from casemgr.people import access
from casemgr.people.models import Person
from casemgr.people.services import register_person


def _person(user, unit, surname, middle, given, **values) -> Person:
    return register_person(
        user,
        sex="female",
        birth_year=2001,
        surname=surname,
        middle_name=middle,
        given_name=given,
        registered_unit_id=unit.id,
        registered_by_id=user.id,
        **values,
    )


def _ids(html: str) -> set[int]:
    return {int(n) for n in re.findall(r'href="/people/(\d+)"', html)}


def _world(casework, db):
    colleague_s = _person(casework.colleague, casework.commune, "Đặng", "Thị", "Huệ")
    outsider_s = _person(casework.outsider, casework.other_commune, "Đặng", "Thị", "Hoa")
    db.session.commit()
    return colleague_s, outsider_s


def test_list_shows_persons_without_a_case_of_the_unit_only(app, client, casework, db):
    mine, theirs = _world(casework, db)
    client.login(casework.worker)
    response = client.get("/people/")
    assert response.status_code == 200
    shown = _ids(response.get_data(as_text=True))
    assert mine.id in shown  # registered by a colleague of the unit, no case
    assert casework.case.person_id in shown  # the person of the worker's case
    assert theirs.id not in shown


def test_list_never_shows_what_the_page_refuses(app, client, casework, db):
    _world(casework, db)
    for user in (casework.worker, casework.outsider, casework.supervisor, casework.lead):
        client.login(user)
        shown = _ids(client.get("/people/").get_data(as_text=True))
        everyone = set(db.session.scalars(sa.select(Person.id)))
        allowed = {
            pid
            for pid in everyone
            if db.session.scalar(
                sa.select(Person.id).where(Person.id == pid, access.visible_persons_condition(user))
            )
        }
        assert shown <= allowed
        for pid in everyone:
            expected = 200 if pid in allowed else 404
            assert client.get(f"/people/{pid}").status_code == expected
        client.post_form("/auth/logout")


def test_search_finds_names_both_ways_ids_and_phones_in_scope(app, client, casework, db):
    mine, theirs = _world(casework, db)
    plain = _person(
        casework.colleague, casework.commune, "Nguyen", "Van", "Binh",
        national_id="001201012345", phone="0987 654 321",
    )  # fmt: skip
    db.session.commit()
    client.login(casework.worker)

    def found(term: str) -> set[int]:
        response = client.post_form("/people/search", {"q": term})
        assert response.status_code == 200
        return _ids(response.get_data(as_text=True))

    assert mine.id in found("dang thi hue")  # typed without diacritics
    assert plain.id in found("Nguyễn Văn Bình")  # typed with, stored without
    assert plain.id in found("001201012345")
    assert plain.id in found("+84 987 654 321")
    assert theirs.id not in found("Đặng Thị Hoa")  # another unit's person
    assert not found("Không Có Ai")


def test_search_is_a_post_and_audited_by_kind(app, client, casework, db):
    _world(casework, db)
    client.login(casework.worker)
    assert client.get("/people/search").status_code == 405
    first = db.session.scalar(sa.select(sa.func.max(AuditEvent.seq)))
    client.post_form("/people/search", {"q": "Đặng Thị Huệ"})
    client.get("/people/?page=1")
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.seq > first)).all()
    search = next(e for e in events if e.action == "person.search")
    assert "name" in search.fields and "hue" not in (search.reason or "").lower()
    assert any(e.action == "person.list" for e in events)


def test_empty_and_wrong_search_input_is_refused_under_the_field(app, client, casework, db):
    client.login(casework.worker)
    client.post_form("/auth/language", {"locale": "en"})
    for term in ("", "x", "y" * 101):
        response = client.post_form("/people/search", {"q": term})
        assert response.status_code == 400
        assert "invalid-feedback" in response.get_data(as_text=True)


def test_menu_links_to_people_for_workers_and_supervisors(app, client, casework, db):
    for user in (casework.worker, casework.supervisor):
        client.login(user)
        assert 'href="/people/"' in client.get("/cases/").get_data(as_text=True)
        client.post_form("/auth/logout")
