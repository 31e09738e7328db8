"""The person edit form's own messages: no offer of a code it cannot take, and one message for
one wrong date."""

from __future__ import annotations

import datetime as dt

from casemgr.clock import today
from casemgr.people.models import Person
from tests.validation.browser_form import defaults, errors_under


def _form(client, casework, db):
    person = db.session.get(Person, casework.case.person_id)
    client.login(casework.worker)
    client.post_form("/auth/language", {"locale": "en"})
    url = f"/people/{person.id}/edit"
    form = defaults(client.get(url).get_data(as_text=True))
    return url, form


def test_an_empty_given_name_asks_for_the_name_only(client, casework, db):
    url, form = _form(client, casework, db)
    html = client.post_form(url, {**form, "given_name": ""}).get_data(as_text=True)
    assert errors_under(html, "given_name") == ["Enter the given name."]


def test_a_future_date_of_birth_is_one_message_not_two(client, casework, db):
    url, form = _form(client, casework, db)
    later = today() + dt.timedelta(days=400)
    sent = {**form, "birth_year": str(later.year - 12), "date_of_birth": later.isoformat()}
    html = client.post_form(url, sent).get_data(as_text=True)
    assert errors_under(html, "date_of_birth")
    assert errors_under(html, "birth_year") == []


def test_a_date_of_birth_in_another_year_than_the_estimate_says_what_to_do(client, casework, db):
    url, form = _form(client, casework, db)
    sent = {**form, "birth_year": "2012", "date_of_birth": "2013-05-01"}
    html = client.post_form(url, sent).get_data(as_text=True)
    assert errors_under(html, "birth_year") == [
        "The year differs from the date of birth. If the date is right, clear the estimated year."
    ]


def test_a_person_whose_case_is_not_yours_is_not_said_to_have_none(client, casework, db):
    from tests.cases.conftest import open_child_case

    theirs = open_child_case(casework.colleague, casework.commune, given="Mai")
    # Registered by the office, so its workers find the person; the case is the colleague's.
    db.session.get(Person, theirs.person_id).registered_unit_id = casework.commune.id
    db.session.flush()
    client.login(casework.worker)
    client.post_form("/auth/language", {"locale": "en"})
    response = client.get(f"/people/{theirs.person_id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert theirs.number not in html and "No case yet." not in html
    assert "No case that you can see." in html


def test_a_person_without_any_case_reads_no_case_yet(client, casework, db):
    person_id = _registered(casework).id  # no case opened yet
    client.login(casework.worker)
    client.post_form("/auth/language", {"locale": "en"})
    response = client.get(f"/people/{person_id}")
    html = response.get_data(as_text=True)
    assert "No case yet." in html and "No case that you can see." not in html


def test_the_person_page_shows_the_commune_of_the_address_and_the_person_number(
    client, casework, db
):
    from sqlalchemy import select

    from casemgr.org.models import Area, AreaLevel

    commune = db.session.scalar(select(Area).where(Area.level == AreaLevel.COMMUNE).limit(1))
    person = _registered(casework, street_address="Thôn Đông, số 5", area_id=commune.id)
    client.login(casework.worker)
    html = client.get(f"/people/{person.id}").get_data(as_text=True)
    assert f'data-testid="address">Thôn Đông, số 5, {commune.name}</dd>' in html
    assert f'data-testid="person-number">{person.id}</dd>' in html


def _registered(casework, **fields):
    """A person registered by the worker's office (so its workers find them), with no case."""
    from casemgr.people.services import register_person

    return register_person(
        casework.worker,
        sex="female",
        birth_year=2015,
        surname="Lê",
        given_name="Lan",
        registered_unit_id=casework.commune.id,
        registered_by_id=casework.worker.id,
        **fields,
    )
