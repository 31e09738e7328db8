"""Facts typed into forms: no silent default, no future where only the past can be, every error
under its field and in the user's language (issue 10, items 1 and 3)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from casemgr import clock
from casemgr.cases.models import Assessment, Case, CaseNote, RiskLevel
from casemgr.groups.models import DrugProgramme
from casemgr.people.models import Person
from casemgr.reference import queries as reference
from tests.cases.conftest import backdate
from tests.validation.browser_form import defaults, errors_under, is_marked

TODAY = dt.date(2026, 12, 4)


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    """Today is 4 December 2026 in Viet Nam (noon there)."""
    moment = dt.datetime(2026, 12, 4, 5, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(clock, "utcnow", lambda: moment)
    assert clock.today() == TODAY


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# -- risk rating -----------------------------------------------------------------------------


def test_assessment_submitted_as_shown_saves_nothing_and_keeps_the_risk(client, casework, db):
    """The bug: "Thấp" was preselected, so an empty assessment lowered Medium to Low."""
    case = casework.case
    case.risk_level = RiskLevel.MEDIUM
    db.session.commit()
    client.login(casework.worker)
    url = f"/cases/{case.id}/assessments/new"
    page = client.get(url).get_data(as_text=True)
    sent = defaults(page)
    assert sent["risk_rating"] == ""  # nothing chosen for the worker
    before = _count(db, Assessment)
    response = client.post_form(url, {k: v for k, v in sent.items() if k != "csrf_token"})
    assert response.status_code == 200
    assert _count(db, Assessment) == before
    db.session.expire_all()
    assert db.session.get(Case, case.id).risk_level == RiskLevel.MEDIUM


def test_assessment_without_a_rating_is_kept_and_leaves_the_risk(client, casework, db):
    case = casework.case
    case.risk_level = RiskLevel.MEDIUM
    db.session.commit()
    client.login(casework.worker)
    response = client.post_form(
        f"/cases/{case.id}/assessments/new",
        {"kind": "review", "safety": "Trẻ đang ở với bà ngoại, an toàn.", "risk_rating": ""},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    db.session.expire_all()
    assert db.session.get(Case, case.id).risk_level == RiskLevel.MEDIUM
    assessment = db.session.scalar(select(Assessment).where(Assessment.case_id == case.id))
    assert assessment.risk_rating == RiskLevel.UNKNOWN


def test_assessment_with_a_rating_sets_the_risk(client, casework, db):
    case = casework.case
    client.login(casework.worker)
    response = client.post_form(
        f"/cases/{case.id}/assessments/new", {"kind": "review", "risk_rating": "low"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case.id).risk_level == RiskLevel.LOW


# -- sex and other fact choices --------------------------------------------------------------


def test_sex_starts_empty_and_is_required(client, casework, db):
    client.login(casework.worker)
    page = client.get("/people/new").get_data(as_text=True)
    sent = defaults(page)
    assert sent["sex"] == ""
    sent.update(given_name="Lan", surname="Trần")
    before = _count(db, Person)
    response = client.post_form("/people/new", {k: v for k, v in sent.items() if k != "csrf_token"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _count(db, Person) == before
    assert is_marked(html, "sex") and errors_under(html, "sex")
    # Nothing already typed is lost.
    assert 'value="Lan"' in html and 'value="Trần"' in html


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/people/new", "sex"),
        ("/cases/new/{person}", "group_code"),
        ("/cases/new/{person}", "protection_level"),
        ("/cases/new/{person}", "risk_level"),
        ("/cases/{case}/assessments/new", "kind"),
        ("/cases/{case}/assessments/new", "risk_rating"),
    ],
)
def test_fact_selects_start_empty(client, casework, url, field):
    client.login(casework.worker)
    page = client.get(url.format(person=casework.case.person_id, case=casework.case.id))
    assert defaults(page.get_data(as_text=True))[field] == ""


# -- dates and years ---------------------------------------------------------------------------


def _person_form(**values) -> dict[str, str]:
    return {"given_name": "Lan", "surname": "Trần", "sex": "female", **values}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("date_of_birth", "2027-01-10"),
        ("date_of_birth", "1899-12-31"),
        ("birth_year", "2030"),
        ("birth_year", "2027"),
        ("birth_year", "1850"),
    ],
)
def test_impossible_births_are_refused_under_the_field(client, casework, db, field, value):
    client.login(casework.worker)
    before = _count(db, Person)
    data = _person_form(**{field: value}, unit_id=str(casework.commune.id))
    response = client.post_form("/people/new", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _count(db, Person) == before
    assert errors_under(html, field), html[:2000]


def test_birth_today_and_in_1900_are_accepted(client, casework, db):
    client.login(casework.worker)
    for data in (
        _person_form(date_of_birth=TODAY.isoformat()),
        _person_form(birth_year="1900", given_name="Mai"),
    ):
        data["unit_id"] = str(casework.commune.id)
        data["confirmed_new"] = "1"
        response = client.post_form("/people/new", data)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]


@pytest.mark.parametrize("day", ["2026-12-05", "2027-03-01", "1999-12-31"])
def test_visit_outside_the_plausible_past_is_refused(client, casework, db, day):
    client.login(casework.worker)
    before = _count(db, CaseNote)
    response = client.post_form(
        f"/cases/{casework.case.id}/notes", {"kind": "visit", "occurred_on": day, "body": "Thăm"}
    )
    assert response.status_code == 400
    assert _count(db, CaseNote) == before
    assert errors_under(response.get_data(as_text=True), "occurred_on")


def test_visit_today_is_accepted(client, casework, db):
    backdate(casework.case, TODAY)  # opened by the real clock, which the frozen one may precede
    db.session.commit()
    client.login(casework.worker)
    response = client.post_form(
        f"/cases/{casework.case.id}/notes",
        {"kind": "visit", "occurred_on": TODAY.isoformat(), "body": "Thăm nhà."},
    )
    assert response.status_code == 302


def test_drug_test_in_the_future_is_refused(client, groups, db):
    client.login(groups.work.worker)
    case_id = groups.drugs.id
    response = client.post_form(
        f"/cases/{case_id}/drugs", {"kind": "voluntary_rehab", "registered_on": "2026-04-24"}
    )
    assert response.status_code == 302
    programme = db.session.scalar(select(DrugProgramme).where(DrugProgramme.case_id == case_id))
    response = client.post_form(
        f"/cases/{case_id}/drugs/tests",
        {"programme_id": programme.id, "tested_on": "2027-01-15", "result": "negative"},
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert not db.session.get(DrugProgramme, programme.id).tests
    assert errors_under(response.get_data(as_text=True), "tested_on")


def test_due_date_in_the_past_warns_without_blocking(client, casework, db):
    from casemgr.cases import services

    case = casework.case
    case.opened_at = case.opened_at - dt.timedelta(days=90)  # the action's date is after it
    access = casework.access(casework.worker)
    for name in ("verify", "assess"):
        services.take_transition(casework.worker, case, access, name, expected_version=case.version)
    db.session.commit()
    client.login(casework.worker)
    past = (clock.today() - dt.timedelta(days=30)).isoformat()
    response = client.post_form(
        f"/cases/{case.id}/plan",
        {"goal": "An toàn", "action": "Thăm nhà", "responsible": "Xã", "due_on": past},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "alert-warning" in response.get_data(as_text=True)
    far = client.post_form(
        f"/cases/{case.id}/plan",
        {"goal": "An toàn", "action": "Thăm nhà", "responsible": "Xã", "due_on": "2099-01-01"},
    )
    assert far.status_code == 400
    assert errors_under(far.get_data(as_text=True), "due_on")


def test_child_case_for_an_adult_is_refused(client, casework, db):
    from casemgr.people.services import register_person

    adult = register_person(
        casework.worker,
        sex="male",
        birth_year=1990,
        surname="Lê",
        given_name="Nam",
        registered_unit_id=casework.commune.id,
        registered_by_id=casework.worker.id,
    )
    db.session.commit()
    client.login(casework.worker)
    before = _count(db, Case)
    response = client.post_form(
        f"/cases/new/{adult.id}",
        {
            "group_code": "child",
            "protection_level": "support",
            "risk_level": "unknown",
            "unit_id": casework.commune.id,
        },
    )
    assert response.status_code == 200
    assert _count(db, Case) == before
    assert errors_under(response.get_data(as_text=True), "group_code")


# -- phone: the error is under the field -------------------------------------------------------


def test_invalid_phone_is_marked_under_the_phone_field(client, casework, db):
    client.login(casework.worker)
    before = _count(db, Person)
    data = _person_form(phone="12345", unit_id=str(casework.commune.id))
    response = client.post_form("/people/new", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _count(db, Person) == before
    assert is_marked(html, "phone")
    assert errors_under(html, "phone")
    assert 'value="12345"' in html  # kept for correction


def test_invalid_phone_on_correction_is_marked_under_the_field(client, casework, db):
    client.login(casework.worker)
    person = db.session.get(Person, casework.case.person_id)
    page = client.get(f"/people/{person.id}/edit").get_data(as_text=True)
    data = {k: v for k, v in defaults(page).items() if k != "csrf_token"}
    data["phone"] = "+1 555 0100"
    response = client.post_form(f"/people/{person.id}/edit", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert is_marked(html, "phone") and errors_under(html, "phone")


# -- sub-groups follow the group ---------------------------------------------------------------


def _sub(group: str, code: str) -> int:
    return next(s.id for s in reference.sub_groups(group) if s.code == code)


def test_sub_groups_of_another_group_are_refused_under_the_field(client, casework, db):
    client.login(casework.worker)
    adult = _adult(casework, db)
    before = _count(db, Case)
    response = client.post_form(
        f"/cases/new/{adult}",
        {
            "group_code": "trafficking",
            "sub_group_ids": [str(_sub("child", "a"))],
            "protection_level": "support",
            "risk_level": "medium",
            "unit_id": casework.commune.id,
        },
    )
    assert response.status_code == 200
    assert _count(db, Case) == before
    assert errors_under(response.get_data(as_text=True), "sub_group_ids")


def test_unknown_sub_group_is_refused(client, casework, db):
    client.login(casework.worker)
    response = client.post_form(
        f"/cases/new/{_adult(casework, db)}",
        {
            "group_code": "trafficking",
            "sub_group_ids": ["999999"],
            "protection_level": "support",
            "risk_level": "medium",
            "unit_id": casework.commune.id,
        },
    )
    assert response.status_code == 200
    assert errors_under(response.get_data(as_text=True), "sub_group_ids")


def test_update_sub_groups_keeps_every_value_and_shows_the_groups_own(client, casework, db):
    """The no-script path: "Update sub-groups" re-renders, nothing typed is lost or saved."""
    client.login(casework.worker)
    adult = _adult(casework, db)
    before = _count(db, Case)
    response = client.post_form(
        f"/cases/new/{adult}",
        {
            "group_code": "trafficking",
            "protection_level": "support",
            "risk_level": "high",
            "unit_id": casework.commune.id,
            "summary": "Được giải cứu ở biên giới.",
            "refresh": "1",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _count(db, Case) == before
    assert "Được giải cứu ở biên giới." in html
    assert "invalid-feedback" not in html
    shown = defaults(html)
    assert shown["group_code"] == "trafficking" and shown["risk_level"] == "high"
    visible = [
        chunk.split('data-group="', 1)[1].split('"', 1)[0]
        for chunk in html.split('<div class="form-check"')[1:]
        if " hidden" not in chunk.split(">", 1)[0]
    ]
    assert visible and set(visible) == {"trafficking"}
    # The script that follows the choice is served from our own origin.
    assert 'src="/static/js/sub_groups.js"' in html
    assert client.get("/static/js/sub_groups.js").status_code == 200


def test_case_pages_show_sub_group_labels_not_codes(client, casework, db):
    from casemgr.cases import services

    client.login(casework.worker)
    adult = _adult(casework, db)
    case = services.open_case(
        casework.worker,
        person=db.session.get(Person, adult),
        group_code="trafficking",
        sub_groups=[
            s for s in reference.sub_groups("trafficking") if s.code in ("sexual", "labour")
        ],
        protection_level="support",
        risk_level=RiskLevel.HIGH,
        unit=casework.commune,
        summary=None,
    )
    db.session.commit()
    for url in (f"/cases/{case.id}/edit", f"/cases/{case.id}", f"/cases/{case.id}/summary"):
        html = client.get(url).get_data(as_text=True)
        assert "sexual)" not in html and "labour)" not in html, url
        assert "Bóc lột tình dục" in html, url


def _adult(casework, db) -> int:
    from casemgr.people.services import register_person

    person = register_person(
        casework.worker,
        sex="female",
        birth_year=1995,
        surname="Vũ",
        given_name="Hoa",
        registered_unit_id=casework.commune.id,
        registered_by_id=casework.worker.id,
    )
    db.session.commit()
    return person.id


# -- small forms on the person page keep what was typed ---------------------------------------


def test_refused_relative_comes_back_with_its_values_and_messages(client, casework, db):
    from casemgr.people.relations import Relative

    client.login(casework.worker)
    person_id = casework.case.person_id
    before = _count(db, Relative)
    response = client.post_form(
        f"/people/{person_id}/relatives", {"relationship_kind": "", "name": "Nguyễn Văn Tư"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert _count(db, Relative) == before
    assert errors_under(html, "relationship_kind")
    assert 'value="Nguyễn Văn Tư"' in html


def test_a_relative_phone_that_is_no_phone_number_is_refused_under_the_field(client, casework, db):
    from casemgr.people.relations import Relative

    client.login(casework.worker)
    person_id = casework.case.person_id
    before = _count(db, Relative)
    sent = {"relationship_kind": "mother", "name": "Nguyễn Thị Tư", "phone": "12"}
    response = client.post_form(f"/people/{person_id}/relatives", sent)
    assert response.status_code == 400
    assert _count(db, Relative) == before
    assert errors_under(response.get_data(as_text=True), "phone")
    sent["phone"] = "0912 345 678"
    assert client.post_form(f"/people/{person_id}/relatives", sent).status_code == 302
    assert _count(db, Relative) == before + 1


def test_consent_dated_in_the_future_is_refused_under_the_date(client, casework, db):
    from casemgr.people.relations import Consent

    client.login(casework.worker)
    person_id = casework.case.person_id
    before = _count(db, Consent)
    response = client.post_form(
        f"/people/{person_id}/consents",
        {"scopes": ["case_work"], "givers": ["subject"], "given_on": "2027-01-05"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert _count(db, Consent) == before
    assert errors_under(html, "given_on")
    assert 'value="2027-01-05"' in html


def test_role_without_a_choice_comes_back_under_the_field(client, casework, db):
    from casemgr.auth.models import RoleAssignment

    client.login(casework.admin)
    target = casework.colleague
    before = _count(db, RoleAssignment)
    response = client.post_form(
        f"/admin/users/{target.id}/roles", {"role": "", "unit_id": casework.commune.id}
    )
    assert response.status_code == 400
    assert _count(db, RoleAssignment) == before
    assert errors_under(response.get_data(as_text=True), "role")


@pytest.mark.parametrize("number", ["9" * 30, "0", "-3"])
def test_an_id_beyond_the_databases_integers_is_refused_not_a_server_error(
    client, casework, db, number
):
    client.login(casework.worker)
    person_id = casework.case.person_id
    # Typed on the first step of a same-person link: a message or "nothing found", never a 500;
    # in the comparison's URL: no such page.
    response = client.post_form(f"/people/{person_id}/links/new", {"q": number})
    assert response.status_code in (200, 400)
    assert client.get(f"/people/{person_id}/links/{number}").status_code == 404
    response = client.post_form(f"/cases/{casework.case.id}/plan/done", {"action_id": number})
    assert response.status_code == 400


def test_a_person_known_by_code_can_be_corrected(client, casework, db):
    """The edit page deletes the name fields of a pseudonymous person: no 500 on saving."""
    from casemgr.people.services import register_person

    person = register_person(
        casework.worker,
        sex="male",
        birth_year=1990,
        is_pseudonymous=True,
        uic="ABC123",
        registered_unit_id=casework.commune.id,
        registered_by_id=casework.worker.id,
    )
    db.session.commit()
    client.login(casework.worker)
    page = client.get(f"/people/{person.id}/edit").get_data(as_text=True)
    data = {k: v for k, v in defaults(page).items() if k != "csrf_token"}
    data["birth_year"] = "1991"
    response = client.post_form(f"/people/{person.id}/edit", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    db.session.expire_all()
    assert db.session.get(Person, person.id).birth_year == 1991


def test_adding_a_co_worker_without_choosing_one_adds_nobody(client, casework, db):
    from casemgr.cases.models import Case

    client.login(casework.worker)
    page = client.get(f"/cases/{casework.case.id}").get_data(as_text=True)
    assert re.search(r'<select[^>]*name="user_id"[^>]*><option value="">', page)
    response = client.post_form(
        f"/cases/{casework.case.id}/workers", {"change": "add", "user_id": ""}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert not db.session.get(Case, casework.case.id).co_workers


def test_an_unknown_caseload_filter_value_filters_nothing(client, casework):
    client.login(casework.worker)
    response = client.get("/cases/?status=walk-unknown-choice&risk=zz&group=zz&sort=zz")
    assert response.status_code == 200
    assert casework.case.number in response.get_data(as_text=True)
