"""Report numbers equal an independent count over the generated cases; scope holds."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from casemgr.cases.models import CaseSubGroup
from casemgr.extensions import db as _db
from casemgr.reports import queries, tables
from casemgr.reports.queries import (
    CASE_MEASURES,
    TOTAL,
    UNKNOWN,
    Dimension,
    Measure,
    Period,
    Query,
)
from casemgr.support.models import Referral, ServiceDelivery
from tests.reports.conftest import YEAR

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def local(moment: dt.datetime | None) -> dt.date | None:
    return moment.astimezone(HANOI).date() if moment else None


def python_counts(cases, query: Query) -> Counter:
    """The same report counted in Python over ORM objects, one case at a time."""
    period = query.period
    start, end = period.start, period.end
    deliveries = {}
    for delivery in _db.session.scalars(select(ServiceDelivery)):
        deliveries.setdefault(delivery.case_id, []).append(delivery)
    referrals = {}
    for referral in _db.session.scalars(select(Referral)):
        referrals.setdefault(referral.case_id, []).append(referral)
    sub_groups = {}
    for case_id, sub_id in _db.session.execute(
        select(CaseSubGroup.case_id, CaseSubGroup.sub_group_id)
    ):
        sub_groups.setdefault(case_id, []).append(sub_id)

    def keys(dimension, case, day):
        person = case.person
        if dimension == Dimension.NONE:
            return [TOTAL]
        if dimension == Dimension.SEX:
            return [person.sex.value]
        if dimension == Dimension.AGE_BAND:
            return [queries.age_band(period.year, person.birth_year)]
        if dimension == Dimension.ETHNICITY:
            return [person.ethnicity_code or UNKNOWN]
        if dimension == Dimension.AREA:
            return [person.area_id or UNKNOWN]
        if dimension == Dimension.GROUP:
            return [case.group_code]
        if dimension == Dimension.SUB_GROUP:
            return sub_groups.get(case.id) or [UNKNOWN]
        if dimension == Dimension.UNIT:
            return [case.unit_id]
        if dimension == Dimension.MONTH:
            return [day.month]
        if dimension == Dimension.QUARTER:
            return [(day.month - 1) // 3 + 1]
        if dimension == Dimension.CLOSURE_REASON:
            return [case.closure_reason.value if case.closure_reason else UNKNOWN]
        raise AssertionError(dimension)

    result: Counter = Counter()
    for case in cases:
        if query.group and case.group_code != query.group:
            continue
        opened, closed = local(case.opened_at), local(case.closed_at)
        if query.measure == Measure.REGISTERED:
            days = [opened] if start <= opened < end else []
        elif query.measure == Measure.CLOSED:
            days = [closed] if closed and start <= closed < end else []
        elif query.measure == Measure.ACTIVE:
            days = [None] if opened < end and (closed is None or closed >= start) else []
        else:  # assisted: one per case and month bucket
            on = sorted(
                {
                    d.delivered_on
                    for d in deliveries.get(case.id, [])
                    if start <= d.delivered_on < end
                }
            )
            buckets = {}
            for day in on:
                buckets.setdefault(
                    tuple(keys(query.rows, case, day) + keys(query.cols, case, day)), day
                )
            days = list(buckets.values())
        for day in days:
            for row in keys(query.rows, case, day):
                for col in keys(query.cols, case, day):
                    result[(row, col)] += 1
    return result


BREAKDOWNS = [
    (Dimension.AGE_BAND, Dimension.SEX),
    (Dimension.ETHNICITY, Dimension.GROUP),
    (Dimension.AREA, Dimension.SUB_GROUP),
    (Dimension.UNIT, Dimension.NONE),
    (Dimension.MONTH, Dimension.SEX),
    (Dimension.QUARTER, Dimension.AGE_BAND),
]


def test_case_reports_equal_an_independent_count(province):
    for measure in CASE_MEASURES:
        check_measure(province, measure)


def check_measure(province, measure):
    for period in (Period(YEAR), Period(YEAR, quarter=2), Period(YEAR - 1, month=12)):
        for rows, cols in BREAKDOWNS:
            if measure == Measure.ACTIVE and Dimension.MONTH in (rows, cols):
                continue
            if measure == Measure.ACTIVE and Dimension.QUARTER in (rows, cols):
                continue
            query = Query(measure, rows, cols, period)
            expected = python_counts(province.cases, query)
            assert queries.counts(province.lead, query) == expected, (measure, rows, cols, period)
    assert (
        sum(
            python_counts(
                province.cases, Query(measure, Dimension.NONE, Dimension.NONE, Period(YEAR))
            ).values()
        )
        > 0
    )


def test_cases_closed_by_reason_equal_an_independent_count(province):
    """The closure reason is a dimension of cases closed only (a case closed before reasons
    were recorded counts as "unknown", shown "No reason recorded")."""
    for period in (Period(YEAR), Period(YEAR, quarter=3), Period(YEAR - 1)):
        for rows, cols in (
            (Dimension.CLOSURE_REASON, Dimension.GROUP),
            (Dimension.CLOSURE_REASON, Dimension.NONE),
            (Dimension.SEX, Dimension.CLOSURE_REASON),
            (Dimension.CLOSURE_REASON, Dimension.MONTH),
            (Dimension.SUB_GROUP, Dimension.CLOSURE_REASON),
        ):
            query = Query(Measure.CLOSED, rows, cols, period)
            expected = python_counts(province.cases, query)
            assert queries.counts(province.lead, query) == expected, (rows, cols, period)
    found = queries.counts(
        province.lead, Query(Measure.CLOSED, Dimension.CLOSURE_REASON, Dimension.NONE, Period(YEAR))
    )
    assert UNKNOWN in {row for row, _ in found} and len(found) > 2  # coded and not recorded
    for measure in (Measure.REGISTERED, Measure.ACTIVE, Measure.ASSISTED):
        with pytest.raises(ValueError):
            queries.counts(
                province.lead,
                Query(measure, Dimension.CLOSURE_REASON, Dimension.NONE, Period(YEAR)),
            )


def test_group_filter(province):
    query = Query(Measure.ACTIVE, Dimension.SEX, Dimension.GROUP, Period(YEAR), group="child")
    found = queries.counts(province.lead, query)
    assert found == python_counts(province.cases, query)
    assert {col for _, col in found} <= {"child"}


def test_services_and_referrals_equal_an_independent_count(province):
    period = Period(YEAR)
    found = queries.counts(
        province.lead, Query(Measure.SERVICES, Dimension.SERVICE_TYPE, Dimension.GROUP, period)
    )
    expected = Counter()
    case_group = {c.id: c.group_code for c in province.cases}
    for delivery in _db.session.scalars(select(ServiceDelivery)):
        if period.start <= delivery.delivered_on < period.end and delivery.case_id in case_group:
            expected[(delivery.service_type_id, case_group[delivery.case_id])] += 1
    assert found == expected and sum(expected.values()) > 0

    found = queries.counts(
        province.lead, Query(Measure.REFERRALS, Dimension.REFERRAL_STATUS, Dimension.NONE, period)
    )
    expected = Counter()
    for referral in _db.session.scalars(select(Referral)):
        if period.start <= referral.sent_on < period.end and referral.case_id in case_group:
            expected[(referral.status.value, TOTAL)] += 1
    assert found == expected and sum(expected.values()) > 0


def test_commune_supervisor_sees_only_their_unit(province):
    query = Query(Measure.ACTIVE, Dimension.UNIT, Dimension.NONE, Period(YEAR))
    found = queries.counts(province.supervisor, query)
    assert {row for row, _ in found} == {province.commune.id}
    own = [c for c in province.cases if c.unit_id == province.commune.id]
    assert found == python_counts(own, query)
    # The lead sees both communes.
    assert {row for row, _ in queries.counts(province.lead, query)} == {
        province.commune.id,
        province.other_commune.id,
    }


def test_published_table_hides_small_cells(province, app):
    with app.test_request_context():
        table = tables.build(
            province.lead,
            Query(Measure.REGISTERED, Dimension.AGE_BAND, Dimension.SEX, Period(YEAR)),
        )
    grid = table.protected.grid
    labels = [[table.cell(i, j) for j in range(len(grid[0]))] for i in range(len(grid))]
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            if 0 < value < 5:
                assert labels[i][j] == "<5"
            if labels[i][j].isdigit():
                assert int(labels[i][j]) == value
    assert any(label in ("<5", "x") for row in labels for label in row)


def test_deadline_compliance_counts_child_cases(province, app):
    period = Period(YEAR)
    found = queries.deadline_compliance(
        province.lead, period, dt.datetime(YEAR + 1, 1, 1, tzinfo=dt.UTC)
    )
    start, end = period.bounds()
    child = [c for c in province.cases if c.group_code == "child" and start <= c.opened_at < end]
    plan_rows = sum(n for (kind, _), n in found.items() if kind == "child.plan_draft")
    assert plan_rows == len(child)
    # Nothing was drafted or acted on in the fixtures: every deadline with a rule is overdue.
    assert {status for (_, status) in found} <= {"overdue", "no_rule"}


def test_query_count_is_constant(province, app):
    from sqlalchemy import event

    statements = []
    engine = _db.session.get_bind()

    def count(*args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        queries.counts(
            province.lead, Query(Measure.ASSISTED, Dimension.AREA, Dimension.SEX, Period(YEAR))
        )
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) <= 3  # the GROUP BY, plus case_scope's role look-ups


def test_several_groupings_in_one_statement_count_as_each_alone(province):
    """queries.tallies (one statement: UNION ALL on SQLite, GROUPING SETS on PostgreSQL) gives
    each grouping exactly what its own query gives, including two orders of the same keys, a
    sub-group beside groupings without one, and "assisted" by month (a case counted once per
    month it was assisted, whatever its number of deliveries)."""
    groupings = [
        (Dimension.SEX,),
        (Dimension.AGE_BAND, Dimension.SEX),
        (Dimension.SEX, Dimension.SUB_GROUP),
        (Dimension.SUB_GROUP, Dimension.SEX),
        (Dimension.GROUP, Dimension.NONE),
        (Dimension.MONTH, Dimension.UNIT),
        (Dimension.CLOSURE_REASON, Dimension.GROUP),
    ]
    for measure in (*CASE_MEASURES, Measure.SERVICES, Measure.REFERRALS):
        usable = [
            g for g in groupings
            if (measure != Measure.ACTIVE or Dimension.MONTH not in g)
            and all(queries.has_dimension(measure, d) for d in g)
        ]  # fmt: skip
        query = Query(measure, Dimension.NONE, Dimension.NONE, Period(YEAR))
        together = queries.tallies(province.lead, query, usable)
        for grouping, found in zip(usable, together, strict=True):
            alone = queries.grouped(province.lead, query, grouping)
            assert found == alone and sum(found.values()) > 0, (measure, grouping)
