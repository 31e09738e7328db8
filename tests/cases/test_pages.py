"""The social worker's journey through the pages, and what each page refuses."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from casemgr.audit.models import AuditEvent
from casemgr.cases.models import Case, CaseNote
from casemgr.cases.workflow import Status
from casemgr.clock import local_date, today
from casemgr.people.models import Person


def _english(client) -> None:
    client.post_form("/auth/language", {"locale": "en"})


def _move(client, case: Case, name: str, reason: str = "", **fields: str):
    from casemgr.extensions import db

    version = db.session.get(Case, case.id).version
    return client.post_form(
        f"/cases/{case.id}/transition",
        {"transition": name, "version": version, "understood": "y", "reason": reason, **fields},
    )


def test_register_open_assess_plan_approve_close(app, client, casework, db):
    worker, supervisor = casework.worker, casework.supervisor
    client.login(worker)
    response = client.post_form(
        "/people/new",
        {
            "surname": "Trần",
            "middle_name": "Văn",
            "given_name": "Bình",
            "sex": "male",
            "birth_year": "2014",
            "unit_id": casework.commune.id,
            "national_id": "",
            "ethnicity_code": "01",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    person_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert client.get(f"/people/{person_id}").status_code == 200
    response = client.post_form(
        f"/cases/new/{person_id}",
        {
            "group_code": "child",
            "protection_level": "intervention",
            "risk_level": "high",
            "unit_id": casework.commune.id,
            "summary": "Hàng xóm báo tin trẻ bị đánh.",
        },
    )
    assert response.status_code == 302
    case = db.session.scalar(select(Case).where(Case.person_id == person_id))
    assert re.fullmatch(rf"{casework.commune.code}-\d{{4}}-\d{{4}}", case.number)
    for name in ("verify", "assess"):
        assert _move(client, case, name).status_code == 302
    response = client.post_form(
        f"/cases/{case.id}/assessments/new",
        {"kind": "initial", "safety": "An toàn tạm thời", "risk_rating": "high"},
    )
    assert response.status_code == 302
    assert _move(client, case, "assess_in_detail").status_code == 302
    response = client.post_form(
        f"/cases/{case.id}/assessments/new",
        {"kind": "detailed", "carers": "Bà ngoại chăm sóc chu đáo.", "risk_rating": "medium"},
    )
    assert response.status_code == 302
    response = client.post_form(
        f"/cases/{case.id}/plan",
        {
            "goal": "Trẻ an toàn",
            "action": "Thăm nhà hàng tuần",
            "responsible": "Cán bộ xã",
            "due_on": "2026-12-31",
        },
    )
    assert response.status_code == 302
    assert _move(client, case, "submit_plan").status_code == 302
    assert db.session.get(Case, case.id).status == Status.PLAN_DRAFTED
    # The worker cannot approve; the supervisor can.
    assert _move(client, case, "approve_plan").status_code == 403
    supervisor_client = app.test_client()
    supervisor_client.login(supervisor)
    assert _move(supervisor_client, case, "approve_plan").status_code == 302
    for name in ("implement", "review"):
        assert _move(client, case, name).status_code == 302
    response = client.post_form(
        f"/cases/{case.id}/notes",
        {
            "kind": "visit",
            "occurred_on": today().isoformat(),
            "body": "Thăm nhà: trẻ đi học đều.",
        },
    )
    assert response.status_code == 302
    refused = _move(client, case, "request_closure")  # no comment: the law wants a reason
    assert refused.status_code == 200 and db.session.get(Case, case.id).status == Status.REVIEW
    assert "Nêu lý do có thể đóng hồ sơ" in refused.get_data(as_text=True)
    closing = _move(client, case, "request_closure", "Trẻ đã an toàn.", closure_reason="goals_met")
    assert closing.status_code == 302
    assert _move(supervisor_client, case, "approve_closure").status_code == 302
    assert db.session.get(Case, case.id).status == Status.CLOSED
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Thăm nhà: trẻ đi học đều." in page and "Trẻ an toàn" in page
    summary = client.get(f"/cases/{case.id}/summary").get_data(as_text=True)
    assert case.number in summary and "Trần Văn Bình" in summary


def test_second_worker_replaying_ids_gets_404_and_changes_nothing(app, client, casework, db):
    """A2: another social worker uses the first one's case, person and note ids."""
    from casemgr.cases import services

    case = casework.case
    note = services.add_note(
        casework.worker,
        case,
        casework.access(casework.worker),
        kind="visit",
        occurred_on=local_date(case.opened_at),
        body="bí mật",
    )
    db.session.commit()
    before = (
        db.session.scalar(select(func.count()).select_from(CaseNote)),
        db.session.get(Case, case.id).version,
        db.session.get(Case, case.id).status,
    )
    client.login(casework.colleague)
    gets = [
        f"/cases/{case.id}",
        f"/cases/{case.id}/summary",
        f"/cases/{case.id}/edit",
        f"/cases/{case.id}/assessments/new",
        f"/people/{case.person_id}",
        f"/cases/new/{case.person_id}",
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    posts = {
        f"/cases/{case.id}/notes": {"kind": "visit", "occurred_on": "2026-11-01", "body": "x"},
        f"/cases/{case.id}/transition": {"transition": "verify", "version": case.version},
        f"/cases/{case.id}/edit": {
            "risk_level": "low",
            "protection_level": "support",
            "version": case.version,
        },
        f"/cases/{case.id}/plan/done": {"action_id": note.id},
        f"/people/{case.person_id}/relatives": {"relationship_kind": "mother", "name": "X"},
        f"/people/{case.person_id}/consents": {
            "scope": "referral",
            "given_by": "subject",
            "given_on": "2026-11-01",
        },
    }
    for url, data in posts.items():
        assert client.post_form(url, data).status_code == 404, url
    after = (
        db.session.scalar(select(func.count()).select_from(CaseNote)),
        db.session.get(Case, case.id).version,
        db.session.get(Case, case.id).status,
    )
    assert after == before
    html = client.get("/cases/").get_data(as_text=True)
    assert case.number not in html


def test_auditor_and_admin_see_no_case_content(app, casework, db):
    case = casework.case
    for user in (casework.auditor, casework.admin):
        other = app.test_client()
        other.login(user)
        for url in (f"/cases/{case.id}", "/cases/", f"/people/{case.person_id}"):
            response = other.get(url)
            assert response.status_code == 403
            assert "Lan" not in response.get_data(as_text=True)


def test_stale_edit_is_refused_and_both_versions_shown(app, client, casework, db):
    case = casework.case
    client.login(casework.worker)
    _english(client)
    version = case.version
    supervisor = app.test_client()
    supervisor.login(casework.supervisor)
    first = supervisor.post_form(
        f"/cases/{case.id}/edit",
        {
            "risk_level": "medium",
            "protection_level": "support",
            "version": version,
            "summary": "Bản của giám sát.",
        },
    )
    assert first.status_code == 302
    second = client.post_form(
        f"/cases/{case.id}/edit",
        {
            "risk_level": "low",
            "protection_level": "prevention",
            "version": version,
            "summary": "Bản của cán bộ.",
        },
    )
    assert second.status_code == 200
    html = second.get_data(as_text=True)
    assert "This case was saved elsewhere" in html
    assert "Bản của giám sát." in html and "Bản của cán bộ." in html  # theirs and yours
    saved = db.session.get(Case, case.id)
    assert saved.summary == "Bản của giám sát." and saved.risk_level == "medium"
    # Saving again from the refreshed form is a deliberate overwrite.
    new_version = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
    third = client.post_form(
        f"/cases/{case.id}/edit",
        {
            "risk_level": "low",
            "protection_level": "prevention",
            "version": new_version,
            "summary": "Bản của cán bộ.",
        },
    )
    assert third.status_code == 302
    assert db.session.get(Case, case.id).summary == "Bản của cán bộ."


def _results(response) -> str:
    html = response.get_data(as_text=True)
    return html[html.index('data-testid="search-results"') :]


def test_search_ignores_diacritics_and_scope(app, client, casework, db):
    from tests.cases.conftest import open_child_case

    mine = casework.case  # Nguyễn Thị Lan, owned by casework.worker
    other = open_child_case(casework.outsider, casework.other_commune)  # same name, elsewhere
    db.session.commit()
    client.login(casework.worker)
    for term in ("nguyen thi lan", "Nguyễn Thị Lan", "NGUYEN lan"):
        html = _results(client.post_form("/cases/search", {"q": term}))
        assert mine.number in html, term
        assert other.number not in html, term
    assert mine.number in _results(client.post_form("/cases/search", {"q": mine.number}))
    assert other.number not in _results(client.post_form("/cases/search", {"q": other.number}))
    searches = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("%.search"))
    ).all()
    assert searches and all("lan" not in repr(vars(e)).lower() for e in searches)


def test_search_with_folded_query_finds_the_accented_name_and_back(app, client, casework, db):
    from tests.cases.conftest import open_child_case

    plain = open_child_case(
        casework.worker, casework.commune, surname="Doan", middle="Van", given="Hung"
    )
    db.session.commit()
    client.login(casework.worker)
    assert plain.number in _results(client.post_form("/cases/search", {"q": "Đoàn Văn Hùng"}))
    assert casework.case.number in _results(
        client.post_form("/cases/search", {"q": "nguyen thi lan"})
    )


def test_duplicates_are_shown_without_leaking_other_units(app, client, casework, db):
    from tests.cases.conftest import open_child_case

    open_child_case(
        casework.outsider, casework.other_commune, surname="Lê", middle="Thị", given="Hoa"
    )
    db.session.commit()
    client.login(casework.worker)
    _english(client)
    data = {
        "surname": "Le",
        "middle_name": "Thi",
        "given_name": "Hoa",
        "sex": "female",
        "birth_year": "2015",
        "unit_id": casework.commune.id,
    }
    html = client.post_form("/people/new", data).get_data(as_text=True)
    assert "A possible match exists in another unit" in html
    assert "Lê Thị Hoa" not in html  # the other unit's record is not shown
    response = client.post_form("/people/new", {**data, "confirmed_new": "1"})
    assert response.status_code == 302
    own = client.post_form("/people/new", data).get_data(as_text=True)
    assert "Le Thi Hoa" in own  # the worker's own registration is listed by name


def test_pseudonymous_registration_gets_a_code_and_no_name(app, client, casework, db):
    client.login(casework.worker)
    response = client.post_form(
        "/people/new",
        {
            "is_pseudonymous": "y",
            "surname": "Phạm",
            "given_name": "Mai",
            "sex": "female",
            "date_of_birth": "1998-04-02",
            "mother_given_name": "Hồng",
            "unit_id": casework.commune.id,
        },
    )
    assert response.status_code == 302
    person_id = int(response.headers["Location"].rsplit("/", 1)[1])
    person = db.session.get(Person, person_id)
    assert person.uic == "PMA2020498H"
    assert person.surname is None and person.given_name is None


def test_stale_person_edit_is_refused_and_nothing_is_lost(app, client, casework, db):
    person = db.session.get(Person, casework.case.person_id)
    version = person.version
    client.login(casework.worker)
    _english(client)
    supervisor = app.test_client()
    supervisor.login(casework.supervisor)
    form = {
        "surname": "Nguyễn",
        "middle_name": "Thị",
        "given_name": "Lan",
        "sex": "female",
        "birth_year": "2015",
        "version": version,
    }
    assert (
        supervisor.post_form(
            f"/people/{person.id}/edit", {**form, "phone": "0912345678"}
        ).status_code
        == 302
    )
    response = client.post_form(
        f"/people/{person.id}/edit", {**form, "street_address": "12 Lê Lợi"}
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "record was saved elsewhere" in html
    assert "0912345678" in html and "12 Lê Lợi" in html
    saved = db.session.get(Person, person.id)
    assert saved.phone == "0912345678" and saved.street_address is None


def test_a_person_form_saved_as_shown_keeps_a_birth_year_without_a_date(client, casework, db):
    person = db.session.get(Person, casework.case.person_id)
    person.birth_year, person.date_of_birth, person.birth_year_is_estimated = 2015, None, False
    db.session.commit()
    client.login(casework.worker)
    html = client.get(f"/people/{person.id}/edit").get_data(as_text=True)
    shown = re.search(r'<input[^>]*name="birth_year"[^>]*>', html).group(0)
    assert 'value="2015"' in shown  # an empty field would erase the year when saved as shown
    form = {
        "surname": person.surname or "", "middle_name": person.middle_name or "",
        "given_name": person.given_name or "", "sex": str(person.sex),
        "birth_year": "2015", "version": person.version,
    }  # fmt: skip
    assert client.post_form(f"/people/{person.id}/edit", form).status_code == 302
    assert db.session.get(Person, person.id).birth_year == 2015


def test_co_worker_sees_and_edits_the_case(app, client, casework, db):
    case = casework.case
    colleague = app.test_client()
    colleague.login(casework.colleague)
    assert colleague.get(f"/cases/{case.id}").status_code == 404
    client.login(casework.worker)
    response = client.post_form(
        f"/cases/{case.id}/workers", {"user_id": casework.colleague.id, "change": "add"}
    )
    assert response.status_code == 302
    assert colleague.get(f"/cases/{case.id}").status_code == 200
    assert case.number in colleague.get("/cases/").get_data(as_text=True)
    client.post_form(
        f"/cases/{case.id}/workers", {"user_id": casework.colleague.id, "change": "remove"}
    )
    assert colleague.get(f"/cases/{case.id}").status_code == 404
    # A worker of another unit cannot be added.
    response = client.post_form(
        f"/cases/{case.id}/workers", {"user_id": casework.outsider.id, "change": "add"}
    )
    assert response.status_code == 400


def test_caseload_filters_and_overdue(app, client, casework, db):
    import datetime as dt

    from casemgr.cases import services
    from tests.cases.conftest import open_child_case

    late = open_child_case(casework.worker, casework.commune, given="Hà")
    late.opened_at -= dt.timedelta(days=30)  # opened before its action fell due
    db.session.flush()
    access = casework.access(casework.worker, late)
    for name in ("verify", "assess"):
        services.take_transition(casework.worker, late, access, name, expected_version=late.version)
    services.add_plan_action(
        casework.worker,
        late,
        access,
        goal="g",
        action="a",
        responsible="r",
        due_on=dt.date.today() - dt.timedelta(days=3),
    )
    db.session.commit()
    client.login(casework.worker)
    html = client.get("/cases/?overdue=y").get_data(as_text=True)
    assert late.number in html and casework.case.number not in html
    html = client.get("/cases/?status=intake").get_data(as_text=True)
    assert casework.case.number in html and late.number not in html
    html = client.get("/cases/?risk=low").get_data(as_text=True)
    assert casework.case.number not in html


def test_search_by_a_common_given_name_finds_every_case_in_scope(
    app, client, casework, db, monkeypatch
):
    """A name shared by many persons elsewhere must not crowd out the user's own cases."""
    from casemgr.people import queries
    from tests.cases.conftest import open_child_case

    monkeypatch.setattr(queries, "CANDIDATE_CAP", 5)
    for _n in range(8):  # persons named Lan in another commune, registered first
        open_child_case(
            casework.outsider, casework.other_commune, surname="Vũ", middle="Thị", given="Lan"
        )
    mine = [
        open_child_case(casework.worker, casework.commune, surname="Đỗ", given="Lan")
        for _ in range(3)
    ]
    db.session.commit()
    client.login(casework.worker)
    html = _results(client.post_form("/cases/search", {"q": "Lan"}))
    for case in [casework.case, *mine]:
        assert case.number in html


def test_an_assessment_without_a_rating_does_not_read_as_not_assessed(client, casework, db):
    case = casework.case
    client.login(casework.worker)
    _english(client)
    for name in ("verify", "assess"):
        assert _move(client, case, name).status_code == 302
    response = client.post_form(
        f"/cases/{case.id}/assessments/new", {"kind": "initial", "safety": "An toàn tạm thời"}
    )
    assert response.status_code == 302
    assert db.session.get(Case, case.id).risk_level == "high"  # kept, as the form says
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    timeline = page[page.index('data-kind="assessment"') :]
    timeline = timeline[: timeline.index("</li>")]
    assert "Not assessed" not in timeline
    assert "No risk rating: the case kept its risk level." in timeline


def test_a_plan_action_due_before_the_case_was_opened_is_refused_under_the_date(
    client, casework, db
):
    import datetime as dt

    from casemgr.cases.models import PlanAction
    from casemgr.clock import local_date

    case = casework.case
    client.login(casework.worker)
    _english(client)
    for name in ("verify", "assess"):
        assert _move(client, case, name).status_code == 302
    opened = local_date(db.session.get(Case, case.id).opened_at)
    sent = {"goal": "Trẻ an toàn", "action": "Thăm nhà", "responsible": "Cán bộ xã"}
    response = client.post_form(
        f"/cases/{case.id}/plan", {**sent, "due_on": (opened - dt.timedelta(days=1)).isoformat()}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "The due date cannot be before the case was opened" in html
    assert 'value="Trẻ an toàn"' in html  # what was typed is kept
    assert db.session.scalar(select(func.count()).select_from(PlanAction)) == 0
    response = client.post_form(f"/cases/{case.id}/plan", {**sent, "due_on": opened.isoformat()})
    assert response.status_code == 302


def test_a_move_says_what_was_done_and_where_the_case_is_now(app, client, casework, db):
    from flask_babel import force_locale

    from casemgr.cases.workflow import BY_NAME, STATUS_LABELS

    case = casework.case
    client.login(casework.worker)
    _english(client)
    version = db.session.get(Case, case.id).version
    html = client.post_form(
        f"/cases/{case.id}/transition",
        {"transition": "verify", "version": version, "understood": "y"},
        follow_redirects=True,
    ).get_data(as_text=True)
    move = BY_NAME["verify"]
    with app.test_request_context(), force_locale("en"):
        said = f"Done: {move.label}. The case is now at: {STATUS_LABELS[move.target]}."
    assert said in html
