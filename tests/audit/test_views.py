"""The auditor's workspace: search, who accessed a case, activity, export, alerts; every page
audited; other roles refused (L7); a failed audit write shows nothing (L5)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from casemgr.audit import record, recorder
from casemgr.audit.models import AlertKind, AlertStatus, AuditAlert, AuditEvent
from casemgr.audit.recorder import chain_head
from casemgr.auth.roles import Role
from tests.cases.conftest import open_child_case

MONDAY = dt.datetime(2030, 3, 4, 9, 0)


def shown_seqs(body: str) -> set[int]:
    """Sequence numbers in the events table of a page."""
    table = body.split('data-testid="audit-events"', 1)[1].split("</table>", 1)[0]
    return {int(seq) for seq in re.findall(r"<tr>\s*<td[^>]*>(\d+)</td>", table)}


def last_event(db, action: str) -> AuditEvent:
    return db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq.desc())
    )


@pytest.fixture
def trail(db, make, clock):
    """Two workers' events on known cases, days and outcomes; returns their seqs by name."""
    unit = make.unit()
    anh, binh = make.user(unit=unit), make.user(unit=unit)
    clock.at(MONDAY)
    seqs = {
        "anh_view": record("case.view", actor=anh, object_type="case", object_id=101, case_id=101),
        "anh_denied": record(
            "case.view", actor=anh, object_type="case", object_id=103, outcome="denied"
        ),
    }
    clock.at(MONDAY + dt.timedelta(days=1))
    seqs["binh_update"] = record(
        "case.update", actor=binh, object_type="case", object_id=101, case_id=101, fields=["risk"]
    )
    seqs["binh_glass"] = record(
        "case.view",
        actor=binh,
        object_type="case",
        object_id=104,
        case_id=104,
        is_break_glass=True,
        reason="=HYPERLINK(1)",
    )
    clock.now = dt.datetime.now(dt.UTC)  # the auditor's own events: now
    return {"anh": anh, "binh": binh, **{k: v.seq for k, v in seqs.items()}}


@pytest.fixture
def auditor(client, make, db):
    user = make.user(Role.AUDITOR)
    user.locale = "en"  # the assertions below read English labels
    db.session.flush()
    assert client.login(user).status_code == 302
    return user


def search(client, **criteria) -> set[int]:
    response = client.get("/audit/events", query_string=criteria)
    assert response.status_code == 200
    return shown_seqs(response.get_data(as_text=True))


def test_search_by_each_criterion(client, auditor, trail):
    t = trail
    assert search(client, user=t["anh"].username) == {t["anh_view"], t["anh_denied"]}
    assert search(client, user=str(t["binh"].id)) == {t["binh_update"], t["binh_glass"]}
    assert search(client, case="101") == {t["anh_view"], t["binh_update"]}
    assert search(client, action="case.update") == {t["binh_update"]}
    assert t["anh_view"] in search(client, action="case.*")
    assert search(client, user=t["anh"].username, outcome="denied") == {t["anh_denied"]}
    assert search(client, break_glass="y") == {t["binh_glass"]}
    tuesday = (MONDAY + dt.timedelta(days=1)).date().isoformat()
    in_range = search(client, date_from=tuesday, date_to=tuesday, action="case.*")
    assert in_range == {t["binh_update"], t["binh_glass"]}
    assert search(client, seq_from=t["anh_denied"], seq_to=t["binh_update"]) == {
        t["anh_denied"],
        t["binh_update"],
    }


def test_later_pages_stay_as_the_list_was_opened(app, client, auditor, trail, monkeypatch):
    """New events (this auditor's own searches among them) do not push rows onto the next
    page: the pager's links read the log as of its head when the list was opened."""
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    first = client.get("/audit/events", query_string={"action": "case.*"}).get_data(as_text=True)
    assert shown_seqs(first) == {trail["binh_glass"], trail["binh_update"]}
    link = re.search(r'href="(/audit/events\?[^"]*page=2[^"]*)"', first).group(1)
    assert "upto=" in link
    newer = record("case.view", actor=trail["anh"], object_type="case", object_id=105)
    second = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert shown_seqs(second) == {trail["anh_view"], trail["anh_denied"]}
    assert 'data-testid="audit-upto"' in second and newer.seq not in shown_seqs(second)
    # A new search shows the newest events.
    assert newer.seq in search(client, action="case.*")


def test_search_by_client_address(client, make, db):
    worker = make.user()
    client.environ_base["REMOTE_ADDR"] = "10.9.8.7"
    client.login(worker)
    client.post_form("/auth/logout")
    client.environ_base["REMOTE_ADDR"] = "10.1.1.1"
    client.login(make.user(Role.AUDITOR))
    from_there = {
        e.seq
        for e in db.session.scalars(select(AuditEvent).where(AuditEvent.client_addr == "10.9.8.7"))
    }
    assert from_there  # the sign-in was recorded with its address
    assert search(client, client_addr="10.9.8.7") == from_there
    assert search(client, client_addr="10.9.*") == from_there


def test_each_search_is_audited_with_criteria_names_only(client, auditor, trail, db):
    search(client, user=trail["anh"].username, action="case.view")
    event = last_event(db, "audit.search")
    assert (event.actor_id, event.fields) == (auditor.id, "action,user")
    assert trail["anh"].username not in repr(
        [event.object_id, event.reason, event.fields, event.object_type]
    )


def test_invalid_criteria_show_nothing(client, auditor, trail, db):
    response = client.get("/audit/events", query_string={"action": "case view; drop"})
    assert response.status_code == 200
    assert shown_seqs(response.get_data(as_text=True)) == set()
    assert last_event(db, "audit.search").outcome == "denied"


def field_errors(body: str) -> list[str]:
    """The messages shown under the search's fields."""
    return re.findall(r'<div class="invalid-feedback">([^<]+)</div>', body)


@pytest.mark.parametrize(
    ("criteria", "message"),
    [
        # A range given backwards is refused with a message, not answered with nothing.
        ({"date_from": "2030-03-05", "date_to": "2030-03-04"}, "end date is before the start"),
        ({"seq_from": "5", "seq_to": "4"}, "last number is before the first"),
        # A number out of range has its message under the field, like every other field's,
        # without the database's 16-digit bound.
        ({"seq_from": "-1"}, "at least 0"),
        ({"seq_to": str(2**53 + 1)}, "No event has so large a number"),
        ({"outcome": "bogus"}, "Choose one of the options offered"),
        # A code that is not one says what one looks like, not just "Invalid input".
        ({"action": "Case View"}, "such as case.view, or case.*"),
        ({"client_addr": "office pc"}, "such as 10.0.0.5"),
        # Made of the right characters, but no address: it would find nothing, silently.
        ({"client_addr": "999.1.1.1"}, "This is not an address"),
        ({"client_addr": "abc"}, "This is not an address"),
        ({"client_addr": "300.*"}, "This is not an address"),
    ],
)
def test_a_range_given_backwards_or_out_of_bounds_says_why(
    client, auditor, trail, db, criteria, message
):
    response = client.get("/audit/events", query_string=criteria)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert shown_seqs(body) == set()
    assert any(message in error for error in field_errors(body)), field_errors(body)
    assert last_event(db, "audit.search").outcome == "denied"


def test_a_number_that_is_not_whole_gets_one_message(client, auditor, trail):
    body = client.get("/audit/events", query_string={"seq_from": "1.5"}).get_data(as_text=True)
    assert len(field_errors(body)) == 1, field_errors(body)


def test_a_user_no_account_has_is_searched_with_a_note_under_the_field(client, auditor, trail):
    body = client.get("/audit/events", query_string={"user": "khongco"}).get_data(as_text=True)
    assert "No account has this username or number today" in body
    known = client.get("/audit/events", query_string={"user": auditor.username})
    assert "No account has this username" not in known.get_data(as_text=True)
    by_id = client.get("/audit/events", query_string={"user": str(auditor.id)})
    assert "No account has this username" not in by_id.get_data(as_text=True)


def test_a_range_of_one_day_or_one_number_is_not_backwards(client, auditor, trail):
    tuesday = (MONDAY + dt.timedelta(days=1)).date().isoformat()
    assert search(client, date_from=tuesday, date_to=tuesday, action="case.update")
    one = trail["binh_update"]
    assert search(client, seq_from=one, seq_to=one) == {one}


def test_a_case_number_too_long_is_answered_under_the_field(client, auditor, trail, db):
    response = client.get("/audit/cases", query_string={"case": "X" * 41})
    body = response.get_data(as_text=True)
    assert response.status_code == 200  # was a bare 400
    assert any("40" in error for error in field_errors(body)), field_errors(body)
    assert 'data-testid="case-accessors"' not in body
    event = last_event(db, "audit.case_access")
    assert (event.outcome, event.reason) == ("denied", "invalid criteria")


def test_who_accessed_a_case(client, auditor, trail):
    response = client.get("/audit/cases", query_string={"case": "101"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    accessors = body.split('data-testid="case-accessors"', 1)[1].split("</table>", 1)[0]
    assert trail["anh"].username in accessors and trail["binh"].username in accessors
    assert shown_seqs(body) == {trail["anh_view"], trail["binh_update"]}
    unknown = client.get("/audit/cases", query_string={"case": "NO-SUCH-CASE"})
    assert "No case has this number or id." in unknown.get_data(as_text=True)


def case_read(body: str) -> str | None:
    """What the page says the case filter was read as (tags and spaces folded), if anything."""
    found = re.search(r'data-testid="audit-case-read">(.*?)</(?:p|h2)>', body, re.S)
    return None if found is None else " ".join(re.sub(r"<[^>]+>", "", found.group(1)).split())


def test_a_case_is_named_by_its_whole_number_or_its_plain_id(client, auditor, make, db):
    """ "0007" is not case id 7: a padded number names no case, and the page says so; a whole
    case number or a plain id names the case, and the page says which (number and id)."""
    unit = make.unit()
    worker = make.user(unit=unit)
    case, other = open_child_case(worker, unit), open_child_case(worker, unit, given="Mai")
    viewed = record("case.view", actor=worker, object_type="case", object_id=case.id,
                    case_id=case.id)  # fmt: skip
    seen = record("case.view", actor=worker, object_type="case", object_id=other.id,
                  case_id=other.id)  # fmt: skip
    expected = f"{case.number} (id {case.id})"
    for page in ("/audit/events", "/audit/cases"):
        for reference in (case.number, case.number.lower(), str(case.id), f" {case.id} "):
            body = client.get(page, query_string={"case": reference}).get_data(as_text=True)
            assert case_read(body) == (f"Events of case: {expected}" if page == "/audit/events"
                                       else expected), (page, reference)  # fmt: skip
            assert viewed.seq in shown_seqs(body) and seen.seq not in shown_seqs(body)
        for reference in (f"000{case.id}", f"+{case.id}", "999999", "0", "9" * 30, "abc"):
            body = client.get(page, query_string={"case": reference}).get_data(as_text=True)
            assert case_read(body) is None, (page, reference)
            assert "No case has this number or id." in body, (page, reference)
            shown = shown_seqs(body) if 'data-testid="audit-events"' in body else set()
            assert viewed.seq not in shown and seen.seq not in shown
    event = last_event(db, "audit.case_access")
    assert (event.outcome, event.reason, event.object_id) == ("denied", "unknown case", None)


def test_a_case_gone_from_the_case_list_is_still_found_by_its_events(client, auditor, trail):
    """Case 101 has events but no row (erased, or deleted): its id still names it."""
    for page in ("/audit/events", "/audit/cases"):
        body = client.get(page, query_string={"case": "101"}).get_data(as_text=True)
        assert "#101 (id 101)" in case_read(body)
        assert shown_seqs(body) == {trail["anh_view"], trail["binh_update"]}


def test_user_activity(client, auditor, trail):
    response = client.get(f"/audit/users/{trail['binh'].id}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert shown_seqs(body) >= {trail["binh_update"], trail["binh_glass"]}
    assert trail["anh_view"] not in shown_seqs(body)
    assert "Distinct cases touched: 2" in body


def test_user_activity_of_an_id_no_user_or_event_has_is_not_found(client, auditor, trail):
    assert client.get("/audit/users/99999").status_code == 404


def test_csv_export_is_streamed_audited_and_safe(client, auditor, trail, db):
    before, _ = chain_head(db.session)
    response = client.get("/audit/export.csv", query_string={"action": "case.*"})
    assert response.status_code == 200
    assert response.is_streamed
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    seqs = {int(row["seq"]) for row in rows}
    assert seqs == {trail[k] for k in ("anh_view", "anh_denied", "binh_update", "binh_glass")}
    glass = next(row for row in rows if int(row["seq"]) == trail["binh_glass"])
    assert glass["reason"] == "'=HYPERLINK(1)"  # not a live formula in a spreadsheet
    assert glass["is_break_glass"] == "1"
    exported = last_event(db, "audit.export")
    assert exported.seq > before and exported.actor_id == auditor.id
    assert exported.fields == "action"


def test_other_roles_are_refused_and_the_refusal_audited(client, make, db):
    for role in (Role.SOCIAL_WORKER, Role.SUPERVISOR, Role.ADMINISTRATOR):
        user = make.user(role)
        client.login(user)
        for url in ("/audit/events", "/audit/export.csv", "/audit/cases", "/audit/users/1"):
            assert client.get(url).status_code == 403, (role, url)
            denied = last_event(db, "access.denied")
            assert (denied.actor_id, denied.outcome) == (user.id, "denied")
        client.post_form("/auth/logout")


@pytest.mark.parametrize("failure", ["append", "commit"])
def test_a_failed_audit_write_shows_no_data(app, client, auditor, trail, db, monkeypatch, failure):
    """L5: the page fails with 500 and none of the data it would have shown."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    name = trail["anh"].username
    assert name in client.get("/audit/events").get_data(as_text=True)  # it is shown normally
    before = chain_head(db.session)

    def broken(*args, **kwargs):
        raise OperationalError("INSERT INTO audit_events", {}, Exception("disk full"))

    if failure == "append":
        monkeypatch.setattr(recorder, "compute_mac", broken)
    else:
        monkeypatch.setattr(db.session, "commit", broken)
    response = client.get("/audit/events")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert name not in body and "audit-events" not in body
    monkeypatch.undo()
    assert chain_head(db.session) == before  # nothing kept


# Alerts pages.


def make_alert(db, actor, kind=AlertKind.OFF_HOURS, case_id=None) -> AuditAlert:
    now = dt.datetime.now(dt.UTC)
    alert = AuditAlert(
        key=f"test:{kind}:{actor.id if actor else 0}:{case_id}",
        kind=kind,
        actor_id=actor.id if actor else None,
        actor_name=actor.username if actor else None,
        case_id=case_id,
        window_start=now,
        window_end=now,
        event_count=1,
        first_seq=1,
        last_seq=1,
    )
    db.session.add(alert)
    db.session.flush()
    return alert


def test_auditor_lists_reviews_and_scans_alerts(client, auditor, make, db, clock):
    worker = make.user()
    alert = make_alert(db, worker, AlertKind.BREAK_GLASS, case_id=104)
    listing = client.get("/audit/alerts").get_data(as_text=True)
    assert f"/audit/alerts/{alert.id}" in listing and worker.username in listing
    detail = client.get(f"/audit/alerts/{alert.id}")
    assert detail.status_code == 200 and "Mark as reviewed" in detail.get_data(as_text=True)
    assert client.post_form(f"/audit/alerts/{alert.id}/review", {"comment": ""}).status_code == 400
    response = client.post_form(
        f"/audit/alerts/{alert.id}/review", {"comment": "Checked with the supervisor."}
    )
    assert response.status_code == 302
    alert = db.session.get(AuditAlert, alert.id)
    assert (alert.status, alert.reviewed_by_id) == (AlertStatus.REVIEWED, auditor.id)
    review = last_event(db, "audit.alert_review")
    assert (review.object_id, review.reason) == (str(alert.id), None)  # the comment stays out
    assert client.post_form(f"/audit/alerts/{alert.id}/review", {"comment": "x"}).status_code == 403
    clock.at(MONDAY.replace(hour=23))
    record("case.view", actor=worker, object_type="case", object_id=5, case_id=5)
    clock.now = dt.datetime.now(dt.UTC)
    assert client.post_form("/audit/alerts/scan").status_code == 302
    assert any(a.actor_id == worker.id for a in db.session.scalars(select(AuditAlert)))


def test_nobody_reviews_an_alert_about_themselves(client, auditor, db):
    alert = make_alert(db, auditor)
    assert "someone else must review it" in client.get(f"/audit/alerts/{alert.id}").get_data(
        as_text=True
    )
    response = client.post_form(f"/audit/alerts/{alert.id}/review", {"comment": "fine"})
    assert response.status_code == 403
    assert db.session.get(AuditAlert, alert.id).status == AlertStatus.OPEN


def test_supervisors_see_alerts_of_their_units_only(client, make, db):
    office = make.unit()
    branch = make.unit(parent=office)
    elsewhere = make.unit()
    supervisor = make.user(Role.SUPERVISOR, office)
    mine = make_alert(db, make.user(unit=branch))
    theirs = make_alert(db, make.user(unit=elsewhere))
    system = make_alert(db, None, AlertKind.INTEGRITY)
    client.login(supervisor)
    listing = client.get("/audit/alerts", query_string={"status": "all"}).get_data(as_text=True)
    assert f"/audit/alerts/{mine.id}" in listing
    assert f"/audit/alerts/{theirs.id}" not in listing
    assert f"/audit/alerts/{system.id}" not in listing
    assert client.get(f"/audit/alerts/{mine.id}").status_code == 200
    assert client.get(f"/audit/alerts/{theirs.id}").status_code == 404
    assert (
        client.post_form(f"/audit/alerts/{theirs.id}/review", {"comment": "x"}).status_code == 404
    )
    # A break-glass use on a case of the supervisor's units by someone from elsewhere.
    case = open_child_case(make.user(unit=branch), branch)
    glass = make_alert(db, make.user(unit=elsewhere), AlertKind.BREAK_GLASS, case_id=case.id)
    assert client.get(f"/audit/alerts/{glass.id}").status_code == 200
    # No evidence link: supervisors do not read the audit log itself.
    assert "/audit/events" not in client.get(f"/audit/alerts/{mine.id}").get_data(as_text=True)


def test_workers_cannot_see_alerts(client, make, db):
    worker = make.user()
    alert = make_alert(db, worker)
    client.login(worker)
    assert client.get("/audit/alerts").status_code == 403
    assert client.get(f"/audit/alerts/{alert.id}").status_code == 403


def test_export_streams_across_batches(client, auditor, db, clock):
    for number in range(1_205):  # more than one export batch of 1,000
        record("test.bulk", actor=None, object_type="thing", object_id=number)
    response = client.get("/audit/export.csv", query_string={"action": "test.bulk"})
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [int(row["object_id"]) for row in rows] == list(reversed(range(1_205)))


def test_an_unknown_alert_filter_value_shows_the_open_alerts(client, auditor, make, db):
    """Found by the walk: an unknown status or kind in the query string was a 500."""
    alert = make_alert(db, make.user(), AlertKind.BREAK_GLASS, case_id=104)
    response = client.get("/audit/alerts?status=no-such-status&kind=no-such-kind")
    assert response.status_code == 200
    assert f"/audit/alerts/{alert.id}" in response.get_data(as_text=True)


def test_no_export_link_for_criteria_the_export_refuses(client, auditor):
    """Found by the walk: invalid criteria showed an export link that answered 400."""
    page = client.get("/audit/events?seq_from=abc").get_data(as_text=True)
    assert 'data-testid="audit-export"' not in page
    page = client.get("/audit/events?seq_from=1").get_data(as_text=True)
    assert 'data-testid="audit-export"' in page


def test_the_alert_filters_have_visible_labels(client, auditor):
    body = client.get("/audit/alerts").get_data(as_text=True)
    for name, label in (("status", "Status"), ("kind", "Kind")):
        assert re.search(rf'<label[^>]*for="{name}"[^>]*>{label}</label>', body), name
