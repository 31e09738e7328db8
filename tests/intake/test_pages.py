"""Intake pages: recording a report, the office queue, a report and the decisions on it."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from casemgr.audit.models import AuditEvent
from casemgr.cases import services as case_services
from casemgr.cases.models import Case, ProtectionLevel, RiskLevel
from casemgr.clock import LOCAL_TZ, utcnow
from casemgr.intake import services
from casemgr.intake.models import IntakeReport, IntakeStatus
from casemgr.people.services import register_person
from tests.cases.conftest import open_child_case
from tests.intake.conftest import CANARY


def english(client, user):
    client.login(user)
    client.post_form("/auth/language", {"locale": "en"})


def local_input(moment: dt.datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")


def form_values(intake, **changes) -> dict:
    values = {
        "unit_id": str(intake.commune.id),
        "source": "hotline",
        "received_at": local_input(utcnow() - dt.timedelta(hours=2)),
        "is_emergency": "y",
        "situation": f"Trẻ bị đánh {CANARY}-situation",
        "location": f"Thôn 3 {CANARY}-location",
        "child_name": f"Bé Na {CANARY}-child_name",
        "child_details": f"8 tuổi {CANARY}-child_details",
        "carers": f"Bố dượng {CANARY}-carers",
        "reporter_consents": "y",
        "reporter_name": f"Hàng xóm {CANARY}-reporter_name",
        "reporter_contact": f"0912345678 {CANARY}-reporter_contact",
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def field_message(html: str, name: str) -> str:
    """The invalid-feedback text shown after the field `name`, before the next field."""
    start = html.find(f'name="{name}"')
    if start < 0:
        return ""
    end = html.find(' name="', start + 1)
    found = re.search(r'class="invalid-feedback[^"]*">\s*([^<]+)', html[start : end % len(html)])
    return found.group(1).strip() if found else ""


def test_recording_a_report_sets_its_deadlines_from_the_time_received(client, intake, db):
    english(client, intake.worker)
    received = (utcnow() - dt.timedelta(hours=2)).replace(second=0, microsecond=0)
    response = client.post_form(
        "/intake/new", form_values(intake, received_at=local_input(received))
    )
    assert response.status_code == 302
    report = db.session.scalars(select(IntakeReport).order_by(IntakeReport.id.desc())).first()
    assert response.headers["Location"].endswith(f"/intake/{report.id}")
    assert report.received_at == received
    assert report.emergency_due_at == received + dt.timedelta(hours=12)
    assert report.is_emergency and report.unit_id == intake.commune.id
    page = client.get(f"/intake/{report.id}").get_data(as_text=True)
    assert f"{CANARY}-situation" in page and "left" in page


def test_empty_and_wrong_input_is_refused_under_the_fields(client, intake, db):
    english(client, intake.worker)
    before = db.session.query(IntakeReport).count()
    empty = client.post_form(
        "/intake/new", {"unit_id": "0", "source": "", "received_at": "", "situation": ""}
    )
    assert empty.status_code == 400
    html = empty.get_data(as_text=True)
    for name in ("unit_id", "source", "received_at", "situation", "location"):
        assert field_message(html, name), name
    wrong = client.post_form(
        "/intake/new",
        form_values(
            intake,
            reporter_consents=None,
            received_at=local_input(utcnow() + dt.timedelta(days=2)),
            situation="x" * 5001,
        ),
    )
    assert wrong.status_code == 400
    html = wrong.get_data(as_text=True)
    assert "future" in field_message(html, "received_at")
    assert field_message(html, "situation")
    # The reporter's identity without consent is the service's refusal, under its fields.
    only_consent = client.post_form("/intake/new", form_values(intake, reporter_consents=None))
    html = only_consent.get_data(as_text=True)
    assert only_consent.status_code == 400
    assert "agree" in field_message(html, "reporter_name")
    assert "agree" in field_message(html, "reporter_contact")
    # A unit the worker does not work in is not a choice.
    foreign = client.post_form("/intake/new", form_values(intake, unit_id=intake.other_commune.id))
    assert foreign.status_code == 400
    assert db.session.query(IntakeReport).count() == before


def test_long_texts_are_refused_under_their_fields_and_long_words_wrap(client, intake, db):
    client.login(intake.worker)  # Vietnamese, the default
    before = db.session.query(IntakeReport).count()
    too_long = client.post_form(
        "/intake/new",
        form_values(intake, situation="x" * 20000, location="y" * 301, child_name="z" * 201),
    )
    assert too_long.status_code == 400
    html = too_long.get_data(as_text=True)
    assert "4000" in field_message(html, "situation") and "20000" in field_message(
        html, "situation"
    )
    assert "300" in field_message(html, "location") and "301" in field_message(html, "location")
    assert "200" in field_message(html, "child_name")
    assert db.session.query(IntakeReport).count() == before
    # At the limit, one word with no space: kept, and shown in containers that wrap it.
    at_limit = client.post_form("/intake/new", form_values(intake, situation="x" * 4000))
    assert at_limit.status_code == 302
    page = client.get(at_limit.headers["Location"]).get_data(as_text=True)
    assert "x" * 4000 in page.split('data-testid="intake-content"', 1)[1]
    assert re.search(r'class="[^"]*wrap-anywhere[^"]*" data-testid="intake-content"', page)
    queue = client.get("/intake/").get_data(as_text=True)
    assert re.search(r'class="[^"]*wrap-anywhere[^"]*" data-testid="intake-queue"', queue)
    css = client.get("/static/css/casemgr.css").get_data(as_text=True)
    assert re.search(r"\.wrap-anywhere dd[^{]*\{ overflow-wrap: anywhere; \}", css)


def test_the_queue_shows_a_report_to_its_unit_only(client, intake, db):
    report = intake.receive()
    english(client, intake.colleague)
    queue = client.get("/intake/").get_data(as_text=True)
    assert report.number in queue
    assert CANARY not in queue  # the list names reports; the content is on the report page
    client.post_form("/auth/logout")
    english(client, intake.outsider)
    assert report.number not in client.get("/intake/").get_data(as_text=True)
    assert client.get(f"/intake/{report.id}").status_code == 404
    dismissed = client.post_form(
        f"/intake/{report.id}/dismiss",
        {"version": str(report.version), "reason": "Không phải trẻ có nguy cơ."},
    )
    assert dismissed.status_code == 404
    assert db.session.get(IntakeReport, report.id).status == IntakeStatus.RECEIVED
    denied = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "intake.view",
            AuditEvent.actor_id == intake.outsider.id,
            AuditEvent.outcome == "denied",
        )
    ).all()
    assert denied


def test_the_provincial_supervisor_sees_every_commune_below(client, intake):
    report = intake.receive()
    english(client, intake.lead)
    assert report.number in client.get("/intake/").get_data(as_text=True)
    assert client.get(f"/intake/{report.id}").status_code == 200


def test_auditors_see_no_report(client, intake):
    report = intake.receive()
    english(client, intake.auditor)
    assert client.get("/intake/").status_code == 403
    response = client.get(f"/intake/{report.id}")
    assert response.status_code == 403
    assert CANARY not in response.get_data(as_text=True)


def test_overdue_reports_are_highlighted_first(client, intake):
    late = intake.receive(received_at=utcnow() - dt.timedelta(hours=13))
    fresh = intake.receive(received_at=utcnow() - dt.timedelta(hours=1))
    english(client, intake.worker)
    html = client.get("/intake/").get_data(as_text=True)
    rows = re.findall(r"<tr([^>]*)data-testid=\"intake-row\">\s*<td[^>]*><a[^>]*>([^<]+)</a>", html)
    numbers = [number for _attrs, number in rows]
    assert numbers.index(late.number) < numbers.index(fresh.number)
    marked = {number: "data-overdue" in attrs for attrs, number in rows}
    assert marked[late.number] and not marked[fresh.number]
    assert "overdue by 1 h" in html and "10 h" in html


def test_dismiss_needs_a_reason_under_its_field(client, intake, db):
    report = intake.receive()
    english(client, intake.worker)
    refused = client.post_form(
        f"/intake/{report.id}/dismiss", {"version": str(report.version), "reason": "ngắn"}
    )
    assert refused.status_code == 400
    assert field_message(refused.get_data(as_text=True), "reason")
    assert db.session.get(IntakeReport, report.id).status == IntakeStatus.RECEIVED
    done = client.post_form(
        f"/intake/{report.id}/dismiss",
        {"version": str(report.version), "reason": "Trùng với báo cáo trước."},
    )
    assert done.status_code == 302
    again = db.session.get(IntakeReport, report.id)
    assert again.status == IntakeStatus.DISMISSED
    page = client.get(f"/intake/{report.id}").get_data(as_text=True)
    assert "Trùng với báo cáo trước." in page and 'action="/intake/' not in page
    assert again.number in client.get("/intake/?view=decided").get_data(as_text=True)


def test_link_to_an_existing_case_by_its_number(client, intake, db):
    case = open_child_case(intake.worker, intake.commune)
    report = intake.receive()
    english(client, intake.worker)
    unknown = client.post_form(
        f"/intake/{report.id}/link", {"version": str(report.version), "case_number": "NOPE-1"}
    )
    assert unknown.status_code == 400
    assert field_message(unknown.get_data(as_text=True), "case_number")
    linked = client.post_form(
        f"/intake/{report.id}/link",
        {"version": str(report.version), "case_number": case.number.lower()},
    )
    assert linked.status_code == 302
    assert linked.headers["Location"].endswith(f"/cases/{case.id}")
    assert db.session.get(IntakeReport, report.id).case_id == case.id


def test_only_a_child_case_may_take_a_report_and_the_case_names_its_reports(client, intake, db):
    adult = register_person(intake.worker, sex="female", birth_year=1999, given_name="Mai")
    other = case_services.open_case(
        intake.worker, person=adult, group_code="trafficking", sub_groups=[],
        protection_level=ProtectionLevel.INTERVENTION, risk_level=RiskLevel.HIGH,
        unit=intake.commune, summary=None,
    )  # fmt: skip
    child_case = open_child_case(intake.worker, intake.commune)
    report = intake.receive()
    with pytest.raises(services.IntakeError, match="not a child case"):
        services.link_to_case(intake.worker, report, expected_version=report.version, case=other)
    client.login(intake.worker)  # Vietnamese, the default
    refused = client.post_form(
        f"/intake/{report.id}/link", {"version": str(report.version), "case_number": other.number}
    )
    assert refused.status_code == 400
    assert "nhóm trẻ em" in field_message(refused.get_data(as_text=True), "case_number")
    assert db.session.get(IntakeReport, report.id).case_id is None
    linked = client.post_form(
        f"/intake/{report.id}/link",
        {"version": str(report.version), "case_number": child_case.number},
    )
    assert linked.status_code == 302
    page = client.get(f"/cases/{child_case.id}").get_data(as_text=True)
    listed = page.split('data-testid="case-reports"', 1)[1].split("</dd>", 1)[0]
    assert f'href="/intake/{report.id}"' in listed and report.number in listed
    assert 'data-testid="case-reports"' not in client.get(f"/cases/{other.id}").get_data(True)
    # A reader who may see the case but not the commune's report gets the number, no link.
    client._cookies.clear()
    client.login(intake.lead)
    page = client.get(f"/cases/{child_case.id}").get_data(as_text=True)
    assert report.number in page.split('data-testid="case-reports"', 1)[1].split("</dd>", 1)[0]


def test_accept_by_finding_the_child_and_opening_a_case(client, intake, db):
    report = intake.receive()
    person = register_person(intake.worker, sex="female", birth_year=2017, surname="Lê",
                             given_name="Hoa", registered_unit_id=intake.commune.id,
                             registered_by_id=intake.worker.id)  # fmt: skip
    english(client, intake.worker)
    found = client.post_form(f"/intake/{report.id}/find-person", {"q": "Le Hoa"})
    html = found.get_data(as_text=True)
    assert f"/intake/{report.id}/case/{person.id}" in html
    form = client.get(f"/intake/{report.id}/case/{person.id}").get_data(as_text=True)
    assert f"{CANARY}-situation" in form  # the report's account starts the case summary
    opened = client.post_form(
        f"/intake/{report.id}/case/{person.id}",
        {
            "version": str(report.version),
            "group_code": "child",
            "protection_level": "intervention",
            "risk_level": "high",
            "unit_id": str(intake.commune.id),
            "summary": "Tiếp nhận từ đường dây nóng.",
            "submit": "y",
        },
    )
    assert opened.status_code == 302
    again = db.session.get(IntakeReport, report.id)
    case = db.session.get(Case, again.case_id)
    assert again.status == IntakeStatus.ACCEPTED and case.person_id == person.id
    assert case.opened_at == report.received_at
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f'href="/intake/{report.id}"' in page.split('data-testid="case-reports"', 1)[1]


def test_opening_a_case_from_a_report_warns_of_the_persons_open_case(client, intake, db):
    earlier = open_child_case(intake.worker, intake.commune)
    person_id = earlier.person_id
    report = intake.receive()
    client.login(intake.worker)  # Vietnamese, the default
    form = client.get(f"/intake/{report.id}/case/{person_id}").get_data(as_text=True)
    assert earlier.number in form.split('data-testid="open-cases-warning"', 1)[1]
    groups = form.split('name="group_code"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r'<option[^>]*value="([^"]*)"', groups) == ["child"]
    values = {
        "version": str(report.version),
        "group_code": "child",
        "protection_level": "intervention",
        "risk_level": "high",
        "unit_id": str(intake.commune.id),
        "submit": "y",
    }
    refused = client.post_form(f"/intake/{report.id}/case/{person_id}", values)
    assert refused.status_code == 400
    assert "Đánh dấu" in field_message(refused.get_data(as_text=True), "confirm_another")
    assert db.session.get(IntakeReport, report.id).case_id is None
    other_group = client.post_form(
        f"/intake/{report.id}/case/{person_id}",
        {**values, "group_code": "trafficking", "confirm_another": "y"},
    )
    assert other_group.status_code == 400
    opened = client.post_form(
        f"/intake/{report.id}/case/{person_id}", {**values, "confirm_another": "y"}
    )
    assert opened.status_code == 302
    assert db.session.get(IntakeReport, report.id).case_id is not None


def test_registering_a_new_child_returns_to_the_report(client, intake, db):
    report = intake.receive()
    english(client, intake.worker)
    response = client.post_form(
        f"/people/new?intake={report.id}",
        {"unit_id": str(intake.commune.id), "surname": "Đỗ", "given_name": "Minh",
         "sex": "male", "birth_year": "2016", "confirmed_new": "1"},
    )  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert re.search(rf"/intake/{report.id}/case/\d+$", response.headers["Location"])


@pytest.mark.parametrize("via", ["page", "service"])
def test_no_sensitive_value_in_logs_audit_or_plain_columns(client, intake, db, caplog, via):
    caplog.set_level(logging.DEBUG)
    if via == "page":
        english(client, intake.worker)
        assert client.post_form("/intake/new", form_values(intake)).status_code == 302
        report = db.session.scalars(select(IntakeReport).order_by(IntakeReport.id.desc())).first()
        client.get(f"/intake/{report.id}")
        client.get("/intake/")
    else:
        report = intake.receive()
    # Control: the values are there, readable through the app.
    assert report.situation.endswith(f"{CANARY}-situation")
    # Every column of the row, as the database holds it.
    row = db.session.execute(
        sa.select(IntakeReport.__table__).where(IntakeReport.__table__.c.id == report.id)
    ).one()
    for value in row:
        raw = value if isinstance(value, bytes) else str(value).encode()
        assert CANARY.encode() not in raw
        assert CANARY.encode("utf-16-le") not in raw
    events = db.session.execute(sa.select(AuditEvent.__table__)).all()
    assert CANARY not in repr(events)
    assert CANARY not in "\n".join(r.getMessage() for r in caplog.records)


def test_home_pages_show_the_waiting_reports_counted_as_in_the_queue(client, intake):
    late = intake.receive(received_at=utcnow() - dt.timedelta(hours=13))
    intake.receive()
    for user, testid in (
        (intake.worker, "worker-intake"),
        (intake.supervisor, "supervisor-intake"),
    ):
        client._cookies.clear()
        english(client, user)
        html = client.get("/dashboard").get_data(as_text=True)
        card = html.split(f'data-testid="{testid}"', 1)[1].split("</ul>", 1)[0]
        assert 'data-count="2"' in card
        assert late.number in card and "overdue by 1 h" in card
    client._cookies.clear()
    english(client, intake.outsider)
    html = client.get("/dashboard").get_data(as_text=True)
    card = html.split('data-testid="worker-intake"', 1)[1].split("</ul>", 1)[0]
    assert 'data-count="0"' in card and late.number not in html


def test_a_decided_report_offers_no_case_form(client, intake):
    report = intake.receive()
    person = register_person(intake.worker, sex="male", birth_year=2016, given_name="Minh",
                             registered_unit_id=intake.commune.id,
                             registered_by_id=intake.worker.id)  # fmt: skip
    english(client, intake.worker)
    client.post_form(
        f"/intake/{report.id}/dismiss",
        {"version": str(report.version), "reason": "Trùng với báo cáo trước."},
    )
    response = client.get(f"/intake/{report.id}/case/{person.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/intake/{report.id}")


def test_a_probable_duplicate_can_take_the_report_case(client, intake):
    report = intake.receive()
    person = register_person(intake.worker, sex="male", birth_year=2016, surname="Đỗ",
                             given_name="Minh", registered_unit_id=intake.commune.id,
                             registered_by_id=intake.worker.id)  # fmt: skip
    english(client, intake.worker)
    page = client.post_form(
        f"/people/new?intake={report.id}",
        {"unit_id": str(intake.commune.id), "surname": "Đỗ", "given_name": "Minh",
         "sex": "male", "birth_year": "2016"},
    ).get_data(as_text=True)  # fmt: skip
    assert 'data-testid="duplicates"' in page and 'data-testid="for-intake"' in page
    assert f"/intake/{report.id}/case/{person.id}" in page


def test_the_open_case_warning_names_only_cases_the_user_may_see(intake):
    from casemgr.cases.queries import open_cases_of

    earlier = open_child_case(intake.worker, intake.commune)
    seen = open_cases_of(intake.worker, earlier.person_id, "child")
    assert (seen.numbers, seen.hidden) == ([earlier.number], 0)
    # Another commune's worker (who might take a report about the same child) is not told the
    # number of a case outside their scope; but opening one of the same group, they are told
    # that one exists (and nothing about another group's).
    other = open_cases_of(intake.outsider, earlier.person_id, "child")
    assert (other.numbers, other.hidden) == ([], 1)
    assert not open_cases_of(intake.outsider, earlier.person_id, "trafficking")
    assert not open_cases_of(intake.outsider, earlier.person_id)


def test_the_overdue_page_lists_reports_past_their_emergency_deadline(client, intake, db):
    """What the home page marks as late (a waiting report past its 12 hours) is on the overdue
    page too, for those who may read it; fresh or decided reports are not; the read is audited."""
    late = intake.receive(received_at=utcnow() - dt.timedelta(hours=13))
    fresh = intake.receive(received_at=utcnow() - dt.timedelta(hours=1))
    english(client, intake.worker)
    html = client.get("/rules/overdue").get_data(as_text=True)
    section = html.split('data-testid="overdue-intake"', 1)[1].split("</section>", 1)[0]
    assert late.number in section and fresh.number not in section
    assert "overdue by 1 h" in section and f'href="/intake/{late.id}"' in section
    assert db.session.scalar(
        select(AuditEvent.seq).where(
            AuditEvent.actor_id == intake.worker.id,
            AuditEvent.action == "intake.list",
            AuditEvent.reason == "overdue tasks",
        )
    )
    client.post_form("/auth/logout")
    english(client, intake.outsider)  # another commune's worker: not theirs to see
    assert 'data-testid="overdue-intake"' not in client.get("/rules/overdue").get_data(as_text=True)
    client.post_form("/auth/logout")
    english(client, intake.worker)
    client.post_form(
        f"/intake/{late.id}/dismiss",
        {"version": str(late.version), "reason": "Trùng với báo cáo trước."},
    )
    assert 'data-testid="overdue-intake"' not in client.get("/rules/overdue").get_data(as_text=True)


def test_opening_a_case_for_a_person_with_a_colleagues_open_case_warns_first(client, intake, db):
    """A worker who cannot see a colleague's case of the same person and group is told that
    one exists (not which) and must tick a box before opening a second file; another group
    opens at once (found by the browser walk: the duplicate was opened without a word)."""
    earlier = open_child_case(intake.worker, intake.commune)
    person, group = earlier.person, earlier.group.name_en  # the page is in English
    person.registered_unit_id = intake.commune.id  # the colleague sees the person, not the case
    db.session.commit()
    english(client, intake.colleague)
    page = client.get(f"/people/{person.id}").get_data(as_text=True)
    assert earlier.number not in page
    values = {
        "group_code": "child",
        "protection_level": "intervention",
        "risk_level": "high",
        "unit_id": str(intake.commune.id),
        "submit": "y",
    }
    refused = client.post_form(f"/cases/new/{person.id}", values)
    body = refused.get_data(as_text=True)
    assert 'data-testid="hidden-open-case"' in body and earlier.number not in body
    hidden = body.split('data-testid="hidden-open-case">', 1)[1].split("</p>", 1)[0]
    assert f"“{group}”" in hidden  # the group it was counted for, named
    assert "Tick this box" in field_message(body, "confirm_another")

    def opened() -> int:
        return db.session.scalar(
            select(sa.func.count()).select_from(Case).where(Case.person_id == person.id)
        )

    assert opened() == 1
    assert (
        client.post_form(f"/cases/new/{person.id}", {**values, "confirm_another": "y"}).status_code
        == 302
    )
    assert opened() == 2
