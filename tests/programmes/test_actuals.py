"""Actuals equal an independent count: Python over the facts the test created vs the SQL."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import defaultdict

from sqlalchemy import select

from casemgr.clock import local_midnight
from casemgr.extensions import db
from casemgr.org.models import Area
from casemgr.programmes import queries, services
from casemgr.programmes.models import ActivityKind, Finding, Indicator
from casemgr.support import queries as support_queries
from casemgr.support import services as support_services
from tests.cases.conftest import open_child_case

YEARS = (2025, 2026)
GIVEN = ["Lan", "Minh", "Hoa", "Đức", "Thảo", "Phúc", "Ngọc", "Bảo"]


# The cases began before every fact recorded on them (from November 2024 on).
OPENED = local_midnight(dt.date(2024, 1, 1))


def day(rng: random.Random, start=dt.date(2025, 1, 1), end=dt.date(2026, 11, 1)) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days))


def build(programmes, rng: random.Random, people: list[str] = GIVEN):
    """Random but seeded facts, recorded through the services; returns what was recorded."""
    cw = programmes.cw
    models = [programmes.commune_model, programmes.province_model]
    commune_of_province = db.session.scalar(
        select(Area).where(Area.parent_id == programmes.province_area.id).limit(1)
    )
    service_type = support_queries.catalogue("child")[0]
    enrolments, deliveries, activities, visits = [], [], [], []
    for n, given in enumerate(people):
        case = open_child_case(cw.worker, cw.commune, given=given, opened_at=OPENED)
        access = cw.access(cw.worker, case)
        for model in models:
            if rng.random() < 0.25:
                continue
            joined = day(rng)
            left = joined + dt.timedelta(days=rng.randrange(1, 200)) if n % 3 == 0 else None
            if left and left > dt.date(2026, 11, 20):
                left = None
            services.enrol_case(cw.worker, case, access, model, joined)
            enrolment = queries.open_enrolment(model.id, case.id)
            if left:
                services.end_enrolment(cw.worker, case, access, enrolment.id, left)
                # Back again later: the person counts once per year all the same.
                if left < dt.date(2026, 10, 1) and rng.random() < 0.7:
                    again = left + dt.timedelta(days=rng.randrange(1, 30))
                    services.enrol_case(cw.worker, case, access, model, again)
                    enrolments.append((model.id, case.person_id, again, None))
            enrolments.append((model.id, case.person_id, joined, left))
        for _ in range(rng.randrange(0, 4)):
            when = day(rng, start=dt.date(2024, 11, 1))
            support_services.deliver_service(
                cw.worker, case, access, service_type=service_type, delivered_on=when
            )
            deliveries.append((case.person_id, when))
    for model, manager, area in (
        (programmes.commune_model, cw.supervisor, programmes.commune_area),
        (programmes.province_model, cw.lead, commune_of_province),
    ):
        for _ in range(rng.randrange(3, 8)):
            kind = rng.choice(list(ActivityKind))
            counts = [rng.randrange(0, 20), rng.randrange(0, 20), rng.randrange(1, 5)]
            held = day(rng, start=dt.date(2024, 6, 1))
            services.record_activity(
                manager, model, kind=kind, held_on=held, area=area, title="Tập huấn",
                men=counts[0], women=counts[1], unspecified=counts[2], duration_minutes=90,
            )  # fmt: skip
            activities.append((model.id, kind, held, sum(counts)))
        for _ in range(rng.randrange(1, 4)):
            when = day(rng)
            services.record_visit(manager, model, visited_on=when, unit=cw.commune,
                                  finding=Finding.SATISFACTORY)  # fmt: skip
            visits.append((model.id, when))
    return enrolments, deliveries, activities, visits


def expected(facts, model_id: int, year: int) -> dict[Indicator, int]:
    enrolments, deliveries, activities, visits = facts
    mine = [e for e in enrolments if e[0] == model_id]
    assisted = set()
    for _, person, joined, left in mine:
        for who, when in deliveries:
            if who == person and when.year == year and joined <= when <= (left or dt.date.max):
                assisted.add(person)
    totals = defaultdict(int)
    for model, kind, held, people in activities:
        if model == model_id and held.year == year:
            totals[kind, "n"] += 1
            totals[kind, "people"] += people
    return {
        Indicator.PERSONS_ENROLLED: len({p for _, p, joined, _ in mine if joined.year == year}),
        Indicator.PERSONS_ASSISTED: len(assisted),
        Indicator.COMMUNITY_SESSIONS: totals[ActivityKind.COMMUNITY_SESSION, "n"],
        Indicator.SESSION_PARTICIPANTS: totals[ActivityKind.COMMUNITY_SESSION, "people"],
        Indicator.STAFF_TRAINED: totals[ActivityKind.STAFF_TRAINING, "people"],
        Indicator.MONITORING_VISITS: sum(
            1 for m, when in visits if m == model_id and when.year == year
        ),
    }


def test_actuals_equal_an_independent_count(programmes):
    facts = build(programmes, random.Random(20261129))
    lead = programmes.cw.lead
    nonzero = 0
    for year in YEARS:
        rows = queries.targets_vs_actuals(lead, year)
        for model in (programmes.commune_model, programmes.province_model):
            got = {r.indicator: r.actual for r in rows if r.model.id == model.id}
            want = expected(facts, model.id, year)
            assert got == want, (model.name, year)
            nonzero += sum(1 for v in want.values() if v)
    assert nonzero >= 10  # the fixtures really exercise every indicator


def test_targets_are_shown_against_actuals(client, programmes):
    facts = build(programmes, random.Random(7), GIVEN[:4])
    cw, model = programmes.cw, programmes.commune_model
    want = expected(facts, model.id, 2026)
    client.login(cw.supervisor)
    response = client.post_form(
        f"/programmes/{model.id}/targets",
        {"year": 2026, "persons_enrolled": 4, "staff_trained": 0, "monitoring_visits": 1},
    )
    assert response.status_code == 302
    rows = {r.indicator: r for r in queries.rows_for([model], 2026)}
    assert rows[Indicator.PERSONS_ENROLLED].target == 4
    assert rows[Indicator.PERSONS_ASSISTED].target is None
    assert rows[Indicator.STAFF_TRAINED].percent is None  # a zero target has no percentage
    page = client.get(f"/programmes/{model.id}/results?year=2026").get_data(as_text=True)
    shown = dict(re.findall(r'data-indicator="(\w+)">.*?data-testid="actual">(\d+)<', page, re.S))
    assert {Indicator(k): int(v) for k, v in shown.items()} == want
    percent = round(100 * want[Indicator.PERSONS_ENROLLED] / 4)
    assert f"pct-{min(100, 5 * round(percent / 5))}" in page
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    assert ' style="' not in main and "<script" not in main  # CSP: no inline style or script


def test_actuals_cannot_be_typed_in(client, programmes):
    cw, model = programmes.cw, programmes.commune_model
    client.login(cw.supervisor)
    client.post_form(f"/programmes/{model.id}/targets", {"year": 2026, "actual": 999})
    rows = queries.rows_for([model], 2026)
    assert all(row.actual == 0 for row in rows)
