"""A report filtered to one target group is the group's column of the unfiltered report by
group: it hides the same entries (a walk read "Đạt mục tiêu" 6 in the filtered table where the
unfiltered one hid it as "x", with the child column total 8 beside two "<5": both were 1)."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from casemgr.cases.models import Case
from casemgr.clock import today
from casemgr.reports import services
from casemgr.reports.filters import CHOOSABLE
from casemgr.reports.queries import Dimension, Measure, Period, Query, has_dimension
from tests.reports.test_one_result import YEARS, Place, page_cells

CASE_MEASURES = (Measure.REGISTERED, Measure.ACTIVE, Measure.ASSISTED, Measure.CLOSED)


def published(user, measure: Measure, rows, cols, period: Period, group=None):
    return services.report_table(user, measure.value, Query(measure, rows, cols, period, group))


def filtered(period: Period, sliced: Dimension, key) -> tuple[Period, str | None]:
    """The period and group of the report filtered to one key of `sliced`."""
    if sliced == Dimension.GROUP:
        return period, key
    if sliced == Dimension.MONTH:
        return Period(period.year, month=key), None
    return Period(period.year, quarter=key), None


def slice_mismatches(user, measure: Measure, period: Period, rows: Dimension, cols: Dimension,
                     sliced: Dimension = Dimension.GROUP) -> list:  # fmt: skip
    """Entries of the filtered tables (rows x cols, one key of `sliced`: a group, a month, a
    quarter) that the unfiltered tables publish differently: each filtered row total is the
    key's cell of rows x sliced, each column total the key's cell of cols x sliced, the grand
    total the key's total; a one-column table's cells are its row totals."""
    wrong = []
    full = {d: published(user, measure, d, sliced, period) for d in (rows, cols)
            if d not in (Dimension.NONE, sliced)}  # fmt: skip
    by_key = published(user, measure, Dimension.NONE, sliced, period)
    for j, key in enumerate(by_key.col_keys):
        part = published(user, measure, rows, cols, *filtered(period, sliced, key))
        if part.protected.withheld:
            continue
        n_rows, n_cols = len(part.row_keys), len(part.col_keys)
        expected = {(n_rows, n_cols): by_key.cell(0, j)}  # the key's total
        if rows in full:  # (of the rows' population: (case, sub-group) pairs for sub-groups)
            whole = full[rows]
            expected[(n_rows, n_cols)] = whole.cell(len(whole.row_keys), whole.col_keys.index(key))
        for dimension, keys, at in ((rows, part.row_keys, "row"), (cols, part.col_keys, "col")):
            if dimension not in full:
                continue
            if Dimension.SUB_GROUP in (rows, cols) and dimension != Dimension.SUB_GROUP:
                continue  # the layout counts (case, sub-group) pairs, dimension x sliced cases
            whole = full[dimension]
            g = whole.col_keys.index(key)
            for k, row_key in enumerate(keys):
                i = whole.row_keys.index(row_key) if row_key in whole.row_keys else None
                text = whole.cell(i, g) if i is not None else "0"
                expected[(k, n_cols) if at == "row" else (n_rows, k)] = text
                if Dimension.NONE in (rows, cols):  # a one-column table: its cells too
                    expected[(k, 0) if at == "row" else (0, k)] = text
        for (i, k), text in expected.items():
            if part.cell(i, k) != text:
                wrong.append((measure.value, rows.value, cols.value, sliced.value, key, i, k,
                              part.cell(i, k), text))  # fmt: skip
    return wrong


def test_walk_closed_by_reason_for_children_hides_what_the_table_by_group_hides(client, demo):
    lead = demo["demo.lead"]
    client.login(lead)
    period = Period(today().year)
    assert slice_mismatches(lead, Measure.CLOSED, period, Dimension.CLOSURE_REASON,
                            Dimension.NONE) == []  # fmt: skip


def test_every_filtered_layout_is_a_slice_of_the_unfiltered_one(client, demo):
    lead = demo["demo.lead"]
    client.login(lead)
    period = Period(today().year)
    wrong = []
    for measure in CASE_MEASURES:
        for rows in CHOOSABLE:
            if not has_dimension(measure, rows) or rows == Dimension.NONE:
                continue
            if measure == Measure.ACTIVE and rows in (Dimension.MONTH, Dimension.QUARTER):
                continue
            for cols in (Dimension.NONE, Dimension.SEX):
                if rows == cols:
                    continue
                wrong += slice_mismatches(lead, measure, period, rows, cols)
                if measure == Measure.ACTIVE or rows in (Dimension.MONTH, Dimension.QUARTER):
                    continue  # "active" has no month; a month's table by month is one row
                wrong += slice_mismatches(lead, measure, period, rows, cols, Dimension.QUARTER)
                if measure != Measure.ASSISTED and cols == Dimension.NONE:
                    wrong += slice_mismatches(lead, measure, period, rows, cols, Dimension.MONTH)
    assert wrong == [], wrong


def test_walk_pages_publish_the_child_column_alike(client, demo):
    """The walk's two pages: the child column of closed by reason x group, and closed by
    reason for children only, read the same entry by entry (the totals included)."""
    client.login(demo["demo.lead"])
    year = today().year
    base = f"/reports/?report=closed&rows=closure_reason&year={year}"
    by_group = page_cells(client.get(base + "&cols=group").get_data(as_text=True))
    children = page_cells(client.get(base + "&cols=none&group=child").get_data(as_text=True))
    table = published(demo["demo.lead"], Measure.CLOSED, Dimension.CLOSURE_REASON,
                      Dimension.GROUP, Period(year))  # fmt: skip
    child = table.col_keys.index("child")
    n_rows = len(table.row_keys)
    assert n_rows > 1 and children
    for i in range(n_rows + 1):
        # One column, its total (the "All" column repeated it): the group's column by group.
        assert (i, 0) not in children and children[(i, 1)] == by_group[(i, child)], i


CELLS = [(group, sex) for group in ("child", "drugs", "trafficking") for sex in ("male", "female")]
SLOW = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@settings(max_examples=8, deadline=None, suppress_health_check=SLOW)
@given(
    counts=st.lists(st.integers(0, 9), min_size=len(CELLS), max_size=len(CELLS)),
    months=st.lists(st.integers(1, 2), min_size=len(CELLS), max_size=len(CELLS)),
)
@example(counts=[6, 2, 7, 9, 0, 0], months=[1] * len(CELLS))  # child: 6 men, 2 women
def test_random_cases_filtered_tables_are_slices(make, client, db, counts, months):
    """Random small counts by group and sex (in one of two months): every group's table (by
    sex, month, age band; alone or by sex) publishes its margins, and its cells when one column
    wide, exactly as the unfiltered tables by group publish the group's column."""
    place = Place(make, client)
    year = next(YEARS)
    cases = [(month, group, sex) for (group, sex), n, month in zip(CELLS, counts, months,
             strict=True) for _ in range(n)]  # fmt: skip
    place.add_cases(year, [(month, sex, 2010) for month, _, sex in cases])
    added = db.session.scalars(
        select(Case).where(Case.unit_id == place.unit.id).order_by(Case.id)
    ).all()
    for case, (_month, group, _sex) in zip(added, cases, strict=True):
        case.group_code = group
    db.session.flush()
    wrong = []
    for rows in (Dimension.SEX, Dimension.MONTH, Dimension.AGE_BAND):
        for cols in (Dimension.NONE, Dimension.SEX):
            if rows != cols:
                wrong += slice_mismatches(place.supervisor, Measure.REGISTERED, Period(year),
                                          rows, cols)  # fmt: skip
    assert wrong == [], wrong
