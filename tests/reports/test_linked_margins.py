"""Margins shared by the layouts of one report are decided once (the QA walk's leak, issue 10).

A grand total hidden as "x" in one layout and published in another gave "<5" cells away; every
layout of one measure, period, group and scope now publishes each shared margin the same way.
"""

from __future__ import annotations

import itertools
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casemgr.reports import services
from casemgr.reports.filters import CHOOSABLE
from casemgr.reports.queries import (
    TIME_DIMENSIONS,
    Dimension,
    Measure,
    Period,
    Query,
    has_dimension,
)
from casemgr.reports.suppression import protect
from tests.reports.test_one_result import YEARS, Place

LAYOUTS = [(r, c) for r, c in itertools.product(CHOOSABLE, CHOOSABLE) if r != c]


def shared_margins(supervisor, measure: Measure, year: int) -> dict:
    """Every margin entry of every layout: (dimension, key) -> set of published texts."""
    seen: dict = {}
    for rows, cols in LAYOUTS:
        if measure == Measure.ACTIVE and {rows, cols} & set(TIME_DIMENSIONS):
            continue
        if Dimension.SUB_GROUP in (rows, cols):
            continue  # counts (case, sub-group) pairs: margins of their own, checked below
        if not (has_dimension(measure, rows) and has_dimension(measure, cols)):
            continue  # a closure reason on a measure other than cases closed
        table = services.report_table(supervisor, measure.value, Query(measure, rows, cols,
                                                                       Period(year)))  # fmt: skip
        if table.protected.withheld:
            continue  # publishes nothing at all (step 6): it cannot contradict another layout
        n_rows, n_cols = len(table.row_keys), len(table.col_keys)
        seen.setdefault(("grand", None), set()).add(table.cell(n_rows, n_cols))
        for i, key in enumerate(table.row_keys):
            if rows != Dimension.NONE:
                seen.setdefault((rows, key), set()).add(table.cell(i, n_cols))
        for j, key in enumerate(table.col_keys):
            if cols != Dimension.NONE:
                seen.setdefault((cols, key), set()).add(table.cell(n_rows, j))
    return seen


def test_qa_grand_total_hidden_by_sex_is_hidden_by_unit_and_group(make, client, db):
    place = Place(make, client)
    year = next(YEARS)
    place.add_cases(year, [(3, "male", 1990)] * 4 + [(5, "female", 1990)] * 4)
    by_sex = services.report_table(
        place.supervisor, "registered", Query(Measure.REGISTERED, Dimension.AGE_BAND,
                                              Dimension.SEX, Period(year)))  # fmt: skip
    assert [text for _, text in by_sex.column_totals()[:2]] == ["<5", "<5"]
    assert by_sex.cell(len(by_sex.row_keys), 3) == "x"
    by_unit = services.report_table(
        place.supervisor, "registered", Query(Measure.REGISTERED, Dimension.UNIT,
                                              Dimension.GROUP, Period(year)))  # fmt: skip
    assert by_unit.cell(len(by_unit.row_keys), len(by_unit.col_keys)) == "x"  # was "8"
    page = place.client.get(f"/reports/?report=registered&rows=unit&cols=group&year={year}")
    cells = re.findall(r'data-cell="\d+-\d+">([^<]*)<', page.get_data(as_text=True))
    assert cells and "8" not in cells
    for entry, texts in shared_margins(place.supervisor, Measure.REGISTERED, year).items():
        assert len(texts) == 1, (entry, texts)


CASE = st.tuples(st.integers(1, 12), st.sampled_from(("male", "female", "unknown")),
                 st.sampled_from((None, 1960, 2010)))  # fmt: skip


SLOW = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@settings(max_examples=6, deadline=None, suppress_health_check=SLOW)
@given(cases=st.lists(CASE, min_size=0, max_size=14))
def test_every_layout_publishes_each_shared_margin_alike(make, client, db, cases):
    place = Place(make, client)
    year = next(YEARS)
    place.add_cases(year, cases)
    for entry, texts in shared_margins(place.supervisor, Measure.REGISTERED, year).items():
        assert len(texts) == 1, (entry, texts)


def test_locked_margins_fall_back_to_totals_only():
    """December: 4 men, 4 women; the month's total 8 is published by the month margin and the
    women's total is "<5": no labelled interior is safe, so the interior is withheld."""
    cells = [[0, 0, 0] for _ in range(12)]
    cells[2], cells[11] = [6, 0, 0], [4, 4, 0]
    from casemgr.reports.suppression import Mark

    locked = [(i, 3) for i in range(12)] + [(12, 2), (12, 3)]
    forced = {(12, 0): Mark.COMPLEMENTARY, (12, 1): Mark.PRIMARY}
    protected = protect(cells, 3, forced=forced, locked=locked)
    assert protected.interior_hidden and not protected.withheld
    assert [protected.label(11, j) for j in range(4)] == ["x", "x", "0", "8"]
    assert [protected.label(12, j) for j in range(4)] == ["x", "<5", "0", "14"]


def test_full_report_titles_use_the_times_sign_not_the_hidden_cell_letter(make, client, db):
    """XLSX sheet titles read "Nhóm tuổi × Giới tính": "x" alone means a hidden cell."""
    place = Place(make, client)
    titles = [t.title for t in services.all_tables(place.supervisor, Query(
        Measure.REGISTERED, Dimension.AGE_BAND, Dimension.SEX, Period(next(YEARS))))]  # fmt: skip
    assert any(" × " in title for title in titles)
    assert not any(" x " in title for title in titles)
