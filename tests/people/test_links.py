"""Same-person links: two steps (name the other registration, then compare side by side and
confirm with a reason), the linked records by name on the person page (never one the user may
not open), removal of a wrong link, and the audit of each step."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from casemgr.audit.models import AuditEvent
from casemgr.people import identity, links
from casemgr.people.models import Person
from casemgr.people.relations import PersonLink
from casemgr.people.services import register_person


def _person(user, unit, surname, middle, given, *, sex, year, **values) -> Person:
    return register_person(
        user,
        sex=sex,
        birth_year=year,
        surname=surname,
        middle_name=middle,
        given_name=given,
        registered_unit_id=unit.id,
        registered_by_id=user.id,
        **values,
    )


@pytest.fixture
def pair(casework, db):
    """Two registrations in the worker's commune that differ (the browser walk's pair: a girl
    born 2013 and a man born about 2001), and one in the other commune."""
    girl = _person(casework.worker, casework.commune, "Quách", "Thị", "Mỹ", sex="female",
                   year=2013, national_id="001313000123")  # fmt: skip
    man = _person(casework.worker, casework.commune, "Phan", None, "Tuệ", sex="male",
                  year=2001, national_id="079201000456", birth_year_is_estimated=True)  # fmt: skip
    far = _person(casework.outsider, casework.other_commune, "Lò", "Văn", "Xa", sex="male",
                  year=1970)  # fmt: skip
    db.session.commit()
    return girl, man, far


def _english(client) -> None:
    client.post_form("/auth/language", {"locale": "en"})


def _links(db) -> list[tuple[int, int, str | None]]:
    db.session.expire_all()
    return [
        (link.person_id, link.same_as_id, link.reason_code and str(link.reason_code))
        for link in db.session.scalars(sa.select(PersonLink))
    ]


def _events(db, action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        )
    )


def _errors(html: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", text).strip()
        for text in re.findall(r'class="invalid-feedback[^"]*">(.*?)</div>', html, re.S)
    ]


def test_a_number_leads_to_the_comparison_and_nothing_is_linked_before_confirming(
    client, casework, db, pair
):
    girl, man, _far = pair
    client.login(casework.worker)
    _english(client)
    response = client.post_form(f"/people/{girl.id}/links/new", {"q": str(man.id)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/people/{girl.id}/links/{man.id}")
    assert _links(db) == []

    page = client.get(f"/people/{girl.id}/links/{man.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Quách Thị Mỹ" in html and "Phan Tuệ" in html
    assert "about 2001" in html and "2013" in html
    assert "The recorded sex differs." in html
    assert "The years of birth are more than a year apart." in html
    assert "The ID numbers differ." in html
    # The ID numbers by their last four digits only.
    assert "••••••••0123" in html and "••••••••0456" in html
    assert "001313000123" not in html and "079201000456" not in html
    assert _links(db) == []
    compared = _events(db, "person.link_compare")
    assert [(e.object_id, e.reason) for e in compared] == [(str(girl.id), f"compare_with:{man.id}")]

    # Neither a reason nor the tick: refused under both fields, nothing saved.
    response = client.post_form(f"/people/{girl.id}/links/{man.id}", {})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose one." in _errors(html)
    assert "Tick the box to confirm that the two records are the same person." in _errors(html)
    # A reason without the tick: still refused.
    response = client.post_form(
        f"/people/{girl.id}/links/{man.id}", {"reason": "confirmed_by_person"}
    )
    assert response.status_code == 400
    assert _links(db) == []

    response = client.post_form(
        f"/people/{girl.id}/links/{man.id}", {"reason": "confirmed_by_person", "confirm": "y"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/people/{girl.id}")
    low, high = sorted((girl.id, man.id))
    assert _links(db) == [(low, high, "confirmed_by_person")]
    linked = _events(db, "person.link")
    assert [(e.object_id, e.reason, e.outcome) for e in linked] == [
        (str(girl.id), f"same_as:{man.id} confirmed_by_person", "allowed")
    ]


def test_the_old_one_step_link_by_number_is_gone(client, casework, db, pair):
    """The browser walk linked two records at once by posting a bare number."""
    girl, man, _far = pair
    client.login(casework.worker)
    response = client.post_form(f"/people/{girl.id}/links", {"other_id": str(man.id)})
    assert response.status_code in (404, 405)
    assert _links(db) == []


def test_the_other_record_is_found_by_name_as_the_person_search_finds_it(
    client, casework, db, pair
):
    girl, man, _far = pair
    _person(casework.outsider, casework.other_commune, "Phan", None, "Tuệ", sex="male", year=2001)
    db.session.commit()
    client.login(casework.worker)
    _english(client)
    response = client.post_form(f"/people/{girl.id}/links/new", {"q": "phan tue"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count("Phan Tuệ") == 1  # the namesake of the other commune is not listed
    assert f'href="/people/{girl.id}/links/{man.id}"' in html
    # The record itself is never a candidate, by name either.
    response = client.post_form(f"/people/{girl.id}/links/new", {"q": "Quách Thị Mỹ"})
    html = response.get_data(as_text=True)
    assert f"/links/{girl.id}" not in html and "Nothing found." in html
    # A name search names the kind of term only.
    assert _events(db, "person.search")[-1].fields == "name"


def test_wrong_input_on_the_first_step_is_said_under_the_field(client, casework, db, pair):
    girl, _man, far = pair
    client.login(casework.worker)
    _english(client)
    url = f"/people/{girl.id}/links/new"

    response = client.post_form(url, {"q": ""})
    assert response.status_code == 400
    assert _errors(response.get_data(as_text=True)) == [
        "Type a name, an ID number or a person number."
    ]

    response = client.post_form(url, {"q": str(girl.id)})
    assert response.status_code == 400
    assert _errors(response.get_data(as_text=True)) == [
        "This is the record you are on: choose the other registration."
    ]
    refused = _events(db, "person.link")[-1]
    assert (refused.outcome, refused.reason) == ("denied", "same record")

    # A number nobody has and a record of another commune read alike, and show nothing of it.
    said = []
    for number in (str(far.id), f"#{far.id}", "999999", "0"):
        response = client.post_form(url, {"q": number})
        html = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "Lò Văn Xa" not in html and "1970" not in html
        said.append(_errors(html))
    assert said == [["No person has this number, or you do not have access to that record."]] * len(
        said
    )
    denied = [e for e in _events(db, "person.view") if e.outcome == "denied"]
    assert {e.object_id for e in denied} >= {str(far.id), "999999"}
    assert all(e.reason == "out of scope" for e in denied)
    assert _links(db) == []


def test_vietnamese_by_default_on_both_steps(client, casework, db, pair):
    girl, man, _far = pair
    client.login(casework.worker)
    response = client.post_form(f"/people/{girl.id}/links/new", {"q": "999999"})
    assert "Không có người nào mang mã số này, hoặc bạn không có quyền truy cập bản ghi đó." in (
        response.get_data(as_text=True)
    )
    html = client.get(f"/people/{girl.id}/links/{man.id}").get_data(as_text=True)
    assert "Giới tính được ghi khác nhau." in html
    assert "Liên kết là cùng một người" in html


def test_a_comparison_outside_the_users_scope_is_not_found(client, casework, db, pair):
    girl, _man, far = pair
    client.login(casework.worker)
    for url in (f"/people/{girl.id}/links/{far.id}", f"/people/{girl.id}/links/{far.id}/remove"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Lò Văn Xa" not in response.get_data(as_text=True)
    response = client.post_form(
        f"/people/{girl.id}/links/{far.id}", {"reason": "papers_checked", "confirm": "y"}
    )
    assert response.status_code == 404
    assert _links(db) == []


def test_a_record_is_not_compared_with_itself(client, casework, db, pair):
    girl, _man, _far = pair
    client.login(casework.worker)
    response = client.post_form(
        f"/people/{girl.id}/links/{girl.id}", {"reason": "papers_checked", "confirm": "y"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/people/{girl.id}/links/new")
    assert _links(db) == []


def test_an_existing_link_is_not_made_twice(client, casework, db, pair):
    girl, man, _far = pair
    links.link_same_person(casework.worker, girl, man, "papers_checked")
    db.session.commit()
    client.login(casework.worker)
    _english(client)
    response = client.post_form(f"/people/{girl.id}/links/new", {"q": "Phan Tuệ"})
    assert "Already linked" in response.get_data(as_text=True)
    page = client.get(f"/people/{man.id}/links/{girl.id}").get_data(as_text=True)
    assert "These two records are already linked as the same person." in page
    assert 'name="confirm"' not in page
    assert f'href="/people/{man.id}/links/{girl.id}/remove"' in page
    response = client.post_form(
        f"/people/{man.id}/links/{girl.id}", {"reason": "papers_checked", "confirm": "y"}
    )
    assert response.status_code == 409
    assert len(_links(db)) == 1
    refused = _events(db, "person.link")[-1]
    assert (refused.outcome, refused.reason) == ("denied", "already linked")


def test_the_person_page_names_linked_records_the_user_may_open_and_counts_the_others(
    client, casework, db, pair
):
    girl, man, far = pair
    links.link_same_person(casework.worker, girl, man, "registered_twice")
    links.link_same_person(casework.lead, girl, far, "confirmed_by_office")  # sees both
    db.session.commit()
    client.login(casework.worker)
    _english(client)
    html = client.get(f"/people/{girl.id}").get_data(as_text=True)
    linked = html[html.index('data-testid="linked"') :]
    linked = linked[: linked.index("</ul>")]
    assert f'href="/people/{man.id}">Phan Tuệ</a>' in linked
    assert "Male · born about 2001" in linked
    assert "Registered twice by mistake" in linked
    assert casework.worker.display_name in linked
    assert f'href="/people/{girl.id}/links/{man.id}/remove"' in linked
    assert "1 registration you may not open" in linked
    # Nothing of the record in the other commune: no name, number, sex or year.
    assert "Lò Văn Xa" not in html and f"/people/{far.id}" not in html
    assert f"#{far.id}" not in linked and "1970" not in html

    # Its supervisor in the province sees both by name.
    client.post_form("/auth/logout")
    client.login(casework.lead)
    _english(client)
    html = client.get(f"/people/{girl.id}").get_data(as_text=True)
    assert "Phan Tuệ" in html and "Lò Văn Xa" in html and "may not open" not in html


def test_a_wrong_link_is_removed_with_a_reason_and_both_records_stay(client, casework, db, pair):
    girl, man, _far = pair
    links.link_same_person(casework.worker, girl, man, "papers_checked")
    db.session.commit()
    client.login(casework.worker)
    _english(client)
    url = f"/people/{girl.id}/links/{man.id}/remove"
    page = client.get(url).get_data(as_text=True)
    assert "Remove a same-person link" in page and "Phan Tuệ" in page
    assert "The recorded sex differs." in page

    response = client.post_form(url, {"reason": "different_people"})  # not ticked
    assert response.status_code == 400
    assert _errors(response.get_data(as_text=True)) == [
        "Tick the box to confirm that the link is to be removed."
    ]
    assert len(_links(db)) == 1

    response = client.post_form(url, {"reason": "different_people", "confirm": "y"})
    assert response.status_code == 302
    assert _links(db) == []
    assert {p.id for p in db.session.scalars(sa.select(Person))} >= {girl.id, man.id}
    removed = _events(db, "person.unlink")
    assert [(e.object_id, e.reason, e.outcome) for e in removed] == [
        (str(girl.id), f"not_same_as:{man.id} different_people", "allowed")
    ]
    html = client.get(f"/people/{girl.id}").get_data(as_text=True)
    assert 'data-testid="linked"' not in html

    # Gone already: the page says so, and a second removal is refused (audited).
    assert "These two records are not linked." in client.get(url).get_data(as_text=True)
    response = client.post_form(url, {"reason": "different_people", "confirm": "y"})
    assert response.status_code == 409
    refused = _events(db, "person.unlink")[-1]
    assert (refused.outcome, refused.reason) == ("denied", "not linked")


@pytest.mark.parametrize(
    ("a", "b", "found"),
    [
        (("female", 2013, "001313000123"), ("male", 2001, "079201000456"),
         [links.SEX_DIFFERS, links.BIRTH_YEARS_DIFFER, links.NATIONAL_IDS_DIFFER]),
        (("female", 2013, None), ("unknown", 2014, "001313000123"), []),
        (("male", 2000, "079 200 000 456"), ("male", 2002, "079200000456"),
         [links.BIRTH_YEARS_DIFFER]),
        (("male", None, None), ("female", 1990, None), [links.SEX_DIFFERS]),
    ],
)  # fmt: skip
def test_differences_flag_only_known_facts_that_disagree(db, a, b, found):
    first, second = (
        register_person(None, sex=sex, birth_year=year, given_name="An", national_id=nid)
        for sex, year, nid in (a, b)
    )
    assert links.differences(first, second) == found


def test_national_ids_are_masked_to_their_last_four_digits():
    assert identity.masked_national_id("079 201 000 456") == "••••••••0456"
    assert identity.masked_national_id("123456789") == "•••••6789"
    assert identity.masked_national_id(None) is None
    assert identity.masked_national_id("") is None
