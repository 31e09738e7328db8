"""One clock, proved with the clock stopped: at 02:30 in Hà Nội (19:30 UTC the day before) and
at 23:30 in Hà Nội, every date a page shows and every date a form proposes is Viet Nam's date.

Both moments sit at the turn of the year, so a UTC date that leaks shows up as the wrong day
and, for case numbers and report periods, as the wrong year.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import time_machine
from sqlalchemy import select

from casemgr import clock
from casemgr.audit.models import AuditEvent
from casemgr.cases.models import Case, PlanAction
from casemgr.people.relations import ConsentGiver
from casemgr.people.services import register_person
from casemgr.reports.queries import Dimension, Measure, Period, Query, counts
from casemgr.support import referrals, services
from casemgr.support.models import ServiceType, VictimStatus
from tests.cases.conftest import casework  # noqa: F401
from tests.programmes.factories import add_model
from tests.support.conftest import Support, consent, open_case, support  # noqa: F401

UTC = dt.UTC


@dataclass(frozen=True)
class Moment:
    """A stopped clock: the UTC instant and the Viet Nam date it falls on."""

    name: str
    utc: dt.datetime
    today: dt.date

    @property
    def utc_date(self) -> dt.date:
        return self.utc.date()

    @property
    def wrong_days(self) -> tuple[dt.date, dt.date]:
        """The days a leak would show: the day before and the day after Viet Nam's."""
        return self.today - dt.timedelta(days=1), self.today + dt.timedelta(days=1)


# 02:30 on 1 January 2027 in Hà Nội: still 31 December 2026 in UTC.
NIGHT = Moment("0230-local", dt.datetime(2026, 12, 31, 19, 30, tzinfo=UTC), dt.date(2027, 1, 1))
# 23:30 on 31 December 2026 in Hà Nội: 16:30 UTC, the same day.
LATE = Moment("2330-local", dt.datetime(2026, 12, 31, 16, 30, tzinfo=UTC), dt.date(2026, 12, 31))


def shown(day: dt.date) -> str:
    """A date as the Vietnamese pages write it."""
    return f"{day:%d/%m/%Y}"


def input_value(body: str, name: str) -> str | None:
    """The value of the first <input name=...> of a page."""
    tag = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', body)
    assert tag, f"no input {name}"
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return value.group(1) if value else None


def row_of(body: str, marker: str) -> str:
    """The table row of a page that contains `marker`."""
    for row in re.findall(r"<tr\b.*?</tr>", body, flags=re.S):
        if marker in row:
            return row
    raise AssertionError(f"no row with {marker}")


@pytest.fixture(params=[NIGHT, LATE], ids=lambda m: m.name)
def moment(request) -> Iterator[Moment]:
    """The clock stopped at the moment, from before the test's data is made."""
    with time_machine.travel(request.param.utc, tick=False):
        assert clock.today() == request.param.today
        yield request.param


@dataclass
class World:
    moment: Moment
    support: Support
    model_id: int
    drug_case: Case


@pytest.fixture
def world(moment, support, db) -> World:  # noqa: F811
    cw = support.cw
    model = add_model(cw.commune, cw.supervisor, name="Mô hình xã", areas=[support.area])
    drug_case = open_case(cw.worker, cw.commune, group="drugs", given="Nam", opened_at=None)
    db.session.commit()
    return World(moment, support, model.id, drug_case)


def signed_in(app, user):
    client = app.test_client()
    client.login(user)
    return client


def test_today_on_the_dashboards(app, world):
    cw = world.support.cw
    body = signed_in(app, cw.worker).get("/dashboard").get_data(as_text=True)
    # The home page's "Today is ..." (its task list shows due times, tomorrow's too).
    today_line = re.search(r'data-testid="today">([^<]*)<', body).group(1)
    assert shown(world.moment.today) in today_line
    for wrong in world.moment.wrong_days:
        assert shown(wrong) not in today_line
    # The supervisor's compliance period ends today: "... from 03/10/2026 to 01/01/2027".
    board = signed_in(app, cw.supervisor).get("/supervision/?period=90").get_data(as_text=True)
    start = world.moment.today - dt.timedelta(days=89)
    assert f"{shown(start)} " in board and f" {shown(world.moment.today)}" in board
    for wrong in world.moment.wrong_days:
        assert shown(wrong) not in board


def test_a_case_opened_now_carries_todays_date_and_year(app, db, world):
    cw = world.support.cw
    client = signed_in(app, cw.worker)
    person = register_person(cw.worker, surname="Đinh", given_name="Khánh")
    person.registered_unit_id, person.registered_by_id = cw.commune.id, cw.worker.id
    db.session.commit()
    response = client.post_form(
        f"/cases/new/{person.id}",
        {
            "group_code": "child",
            "protection_level": "intervention",
            "risk_level": "medium",
            "unit_id": cw.commune.id,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    case = db.session.scalar(select(Case).where(Case.person_id == person.id))
    # The case number's year is Viet Nam's year (C-2027-... at 02:30 on 1 January 2027).
    assert f"-{world.moment.today.year}-" in case.number
    assert clock.local_date(case.opened_at) == world.moment.today

    detail = client.get(f"/cases/{case.id}").get_data(as_text=True)
    opened = re.search(r"Ngày mở hồ sơ</dt><dd[^>]*>([^<]*)</dd>", detail)
    assert opened and opened.group(1).split(" ")[0] == shown(world.moment.today)
    # The note form proposes today.
    assert input_value(detail, "occurred_on") == world.moment.today.isoformat()

    # The caseload's "last updated" is today too.
    caseload = client.get("/cases/").get_data(as_text=True)
    row = row_of(caseload, case.number)
    assert shown(world.moment.today) in row
    for wrong in world.moment.wrong_days:
        assert shown(wrong) not in row

    summary = client.get(f"/cases/{case.id}/summary").get_data(as_text=True)
    assert shown(world.moment.today) in summary


def test_form_default_dates_are_todays(app, world):
    cw, case = world.support.cw, world.support.case
    client = signed_in(app, cw.worker)
    today = world.moment.today.isoformat()
    base = f"/support/cases/{case.id}"
    for url, field in (
        (f"{base}/services/new", "delivered_on"),
        (f"{base}/referrals/new", "sent_on"),
        (f"{base}/statuses/new", "valid_from"),
        (f"/cases/{cw.case.id}", "occurred_on"),
        (f"/cases/{world.drug_case.id}/drugs", "registered_on"),
        (f"/cases/{cw.case.id}/programmes", "enrolled_on"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert input_value(response.get_data(as_text=True), field) == today, (url, field)
    # The consent form offers no date (a consent is a fact the worker states), but refuses the
    # frozen clock's tomorrow: its upper bound is the frozen today.
    body = client.get(f"/people/{case.person_id}").get_data(as_text=True)
    tag = re.search(r'<input[^>]*\bname="given_on"[^>]*>', body).group(0)
    assert not input_value(body, "given_on") and f'max="{today}"' in tag


def test_emergency_action_time_defaults_to_the_local_time(app, world):
    cw = world.support.cw
    client = signed_in(app, cw.worker)
    body = client.get(f"/rules/cases/{cw.case.id}/emergency-action").get_data(as_text=True)
    local = world.moment.utc.astimezone(clock.LOCAL_TZ)
    assert input_value(body, "taken_at") == local.strftime("%Y-%m-%dT%H:%M")


def test_referral_answers_on_the_tasks_page_fall_due_on_local_days(app, db, world):
    """A referral whose answer was due yesterday (Viet Nam) is overdue; one due today is not."""
    sp, today = world.support, world.moment.today
    cw = sp.cw
    access = cw.access(cw.worker, sp.case)
    service_type = db.session.scalar(
        select(ServiceType).where(ServiceType.group_code == "trafficking").limit(1)
    )
    services.record_trafficking_status(
        cw.worker,
        sp.case,
        access,
        status=VictimStatus.IDENTIFIED,
        valid_from=today - dt.timedelta(days=40),
        decision_ref="QĐ 1/2026",
        documents=[],
    )
    consent(cw.worker, sp.case, ConsentGiver.SUBJECT, on=today - dt.timedelta(days=30))
    sent = []
    for due in (today - dt.timedelta(days=1), today):
        referral = referrals.send_referral(
            cw.worker,
            sp.case,
            access,
            partner=sp.shelter,
            service_type=service_type,
            reason="Lý do.",
            sent_on=today - dt.timedelta(days=20),
        )
        referral.answer_due_on = due
        sent.append(referral)
    db.session.commit()
    body = signed_in(app, cw.worker).get("/rules/tasks").get_data(as_text=True)
    rows = [r for r in re.findall(r"<tr\b.*?</tr>", body, flags=re.S) if "referral.answer" in r]
    assert len(rows) == 2
    late, due_today = rows  # soonest first
    assert shown(today - dt.timedelta(days=1)) in late and "badge" in late
    assert shown(today) in due_today and "badge" not in due_today
    # The referral's page proposes today for the partner's answer.
    page = signed_in(app, cw.worker).get(f"/support/cases/{sp.case.id}/referral?id={sent[1].id}")
    body = page.get_data(as_text=True)
    assert input_value(body, "answered_on") == today.isoformat()


def test_the_caseload_overdue_filter_uses_the_local_day(app, db, world):
    """A plan action due yesterday (Viet Nam) is overdue at 02:30 even though UTC is still
    on that day."""
    cw, today = world.support.cw, world.moment.today
    case = cw.case
    action = PlanAction(
        case_id=case.id,
        person_id=case.person_id,
        plan_cycle=case.plan_cycle,
        due_on=today - dt.timedelta(days=1),
        author_id=cw.worker.id,
    )
    action.goal, action.action, action.responsible = "An toàn", "Thăm nhà", "Cán bộ"
    db.session.add(action)
    db.session.commit()
    body = signed_in(app, cw.worker).get("/cases/?overdue=y").get_data(as_text=True)
    assert case.number in body


def test_report_and_programme_pages_default_to_this_year(app, world):
    cw = world.support.cw
    year = world.moment.today.year
    client = signed_in(app, cw.supervisor)
    reports = client.get("/reports/").get_data(as_text=True)
    assert input_value(reports, "year") == str(year)
    results = client.get(f"/programmes/{world.model_id}/results")
    assert results.status_code == 200
    # The page's own year, and its links to the years before and after.
    body = results.get_data(as_text=True)
    assert f"year={year - 1}" in body and f"year={year + 1}" in body
    assert input_value(body, "year") == str(year)


def test_audit_date_filters_are_local_days(app, db, world):
    cw, today = world.support.cw, world.moment.today
    event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))
    assert clock.local_date(event.occurred_at) == today
    client = signed_in(app, cw.auditor)

    def found(day_from: dt.date, day_to: dt.date) -> bool:
        body = client.get(
            "/audit/events",
            query_string={
                "date_from": day_from.isoformat(),
                "date_to": day_to.isoformat(),
                "seq_from": event.seq,
                "seq_to": event.seq,
            },
        ).get_data(as_text=True)
        return f">{event.seq}<" in body

    assert found(today, today)
    yesterday, tomorrow = world.moment.wrong_days
    assert not found(yesterday, yesterday)
    assert not found(tomorrow, tomorrow)


def test_report_periods_are_local_months(db, world):
    """A case opened at Viet Nam's night-time on 1 January counts in January of that year."""
    cw = world.support.cw
    year = world.moment.today.year
    opened = world.moment.utc
    case = open_case(cw.worker, cw.commune, group="child", given="Tết", opened_at=None)
    assert case.opened_at == opened
    by_month = counts(
        cw.lead, Query(Measure.REGISTERED, Dimension.MONTH, Dimension.NONE, Period(year))
    )
    opened_now = len(db.session.scalars(select(Case.id).where(Case.opened_at == opened)).all())
    assert opened_now >= 2
    assert dict(by_month) == {(world.moment.today.month, "total"): opened_now}
    # None of them counts in the neighbouring year (December 2026 for the night-time case).
    other_year = year - 1 if world.moment.today.month == 1 else year + 1
    other = counts(
        cw.lead, Query(Measure.REGISTERED, Dimension.MONTH, Dimension.NONE, Period(other_year))
    )
    assert sum(other.values()) == 0


# Links a walk must not follow: they sign out, switch language or download files.
SKIPPED_LINKS = re.compile(
    r"/auth/|/static/|/bootstrap/|export|download|\.csv|\.xlsx|\.svg|/document"
)


def walk(client, start: str, limit: int = 120) -> dict[str, str]:
    """GET every page reachable from `start` by links (same site, no query-string variants
    beyond the first of each path), up to `limit` pages; returns path -> body."""
    seen: dict[str, str] = {}
    queue = [start]
    paths: set[str] = set()
    while queue and len(seen) < limit:
        url = queue.pop(0)
        path = url.split("?")[0]
        if url in seen or path in paths or SKIPPED_LINKS.search(url):
            continue
        paths.add(path)
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        body = response.get_data(as_text=True)
        seen[url] = body
        for link in re.findall(r'href="(/[^"#]*)"', body):
            queue.append(link.replace("&amp;", "&"))
    return seen


# At 02:30 the UTC date is yesterday's: the moment where a leak shows.
@pytest.mark.parametrize("moment", [NIGHT], ids=[NIGHT.name], indirect=True)
def test_no_page_shows_yesterday(app, db, world):
    """Walk every role's pages: the day before Viet Nam's (the UTC date at 02:30) is nowhere.

    Every record of this world was made at the stopped moment, so that date on a page is a
    stored moment or a "today" read in UTC. (The day after may appear: deadlines fall then.)
    """
    cw = world.support.cw
    yesterday = world.moment.today - dt.timedelta(days=1)
    wrong = (shown(yesterday), yesterday.isoformat())
    visited = 0
    for user in (cw.worker, cw.supervisor, cw.lead, cw.auditor, cw.admin):
        pages = walk(signed_in(app, user), "/dashboard")
        visited += len(pages)
        for url, body in pages.items():
            for text in wrong:
                assert text not in body, (user.username, url, text)
    assert visited > 40
