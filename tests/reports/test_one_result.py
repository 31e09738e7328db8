"""Published numbers go through one suppression step (issue 10, build item 7).

The table, its totals, both charts and their labels, the CSV and the XLSX of a report are all
built from one suppressed result: a number hidden in the table is hidden everywhere else. The
monitoring view shows real counts, marked internal, with no chart, export link or file.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import itertools
import re

import openpyxl
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from casemgr.audit.models import AuditEvent
from casemgr.auth.roles import Role
from casemgr.cases.models import ProtectionLevel, RiskLevel
from casemgr.cases.services import open_case
from casemgr.people.services import register_person
from casemgr.reports import exports, services
from casemgr.reports.queries import Dimension, Measure, Period, Query

SEXES = ("male", "female", "unknown")
BIRTH_YEARS = (None, 1960, 1990, 2008, 2015)
# Each example counts its cases in a year of its own, so examples never see each other's data.
YEARS = itertools.count(2031)


class Place:
    """A commune office of its own, with its supervisor (signed in) and a worker."""

    def __init__(self, make, client) -> None:
        self.unit = make.unit()
        self.supervisor = make.user(Role.SUPERVISOR, self.unit)
        self.worker = make.user(Role.SOCIAL_WORKER, self.unit)
        self.client = client
        client.login(self.supervisor)

    def add_cases(self, year: int, cases: list[tuple[int, str, int | None]]) -> None:
        """Cases opened in the given months of `year`: (month, sex, birth year)."""
        for number, (month, sex, born) in enumerate(cases):
            person = register_person(self.worker, sex=sex, birth_year=born, surname="Vũ",
                                     given_name=f"Mai{number}")  # fmt: skip
            case = open_case(self.worker, person=person, group_code="child", sub_groups=[],
                             protection_level=ProtectionLevel.SUPPORT,
                             risk_level=RiskLevel.LOW, unit=self.unit, summary=None)  # fmt: skip
            case.opened_at = dt.datetime(year, month, 1 + number % 27, 3, tzinfo=dt.UTC)
        from casemgr.extensions import db

        db.session.flush()


@pytest.fixture
def place(make, client) -> Place:
    return Place(make, client)


def values_in(svg: str) -> list[str]:
    """The published numbers a chart prints, one per bar or point, in order."""
    found = re.findall(r'<text class="value"[^>]*>([^<]*)</text>', svg)
    return [html.unescape(text) for text in found]


def page_cells(page: str) -> dict[tuple[int, int], str]:
    found = re.findall(r'data-cell="(\d+)-(\d+)">([^<]*)<', page)
    return {(int(i), int(j)): html.unescape(text) for i, j, text in found}


def check_one_result(
    place: Place, year: int, rows: Dimension, cols: Dimension, measure=Measure.REGISTERED
) -> None:
    """Every output of the report shows each entry exactly as the table publishes it."""
    query = Query(measure, rows, cols, Period(year))
    table = services.report_table(place.supervisor, measure.value, query)
    n_rows, n_cols = len(table.row_keys), len(table.col_keys)
    grid = table.protected.grid  # the true counts: only this test reads them
    hidden = {(i, j) for i in range(n_rows + 1) for j in range(n_cols + 1)
              if table.cell(i, j) in ("<5", "x")}  # fmt: skip
    args = f"?report={measure.value}&rows={rows.value}&cols={cols.value}&year={year}"
    client = place.client

    # The page: every entry it shows, the totals included, as the table publishes it. A table
    # without columns shows its total column alone (the "All" column repeated it).
    shown_rows = [*table.shown_rows(), n_rows]
    shown_cols = [*table.shown_columns(), n_cols]
    assert shown_cols == ([n_cols] if cols == Dimension.NONE else list(range(n_cols + 1)))
    cells = page_cells(client.get("/reports/" + args).get_data(as_text=True))
    assert cells == {(i, j): table.cell(i, j) for i in shown_rows for j in shown_cols}
    for i, j in hidden:
        if (i, j) in cells:
            assert cells[(i, j)] != str(grid[i][j])

    # The charts: their numbers are the table's published totals, hidden ones as "<5" / "x";
    # a chart prints no entry that the page does not show.
    row_totals = [table.cell(i, n_cols) for i in shown_rows[:-1]] or [table.cell(n_rows, n_cols)]
    col_totals = [table.cell(n_rows, j) for j in shown_cols[:-1]] or [table.cell(n_rows, n_cols)]
    bars = values_in(client.get("/reports/chart.svg" + args).get_data(as_text=True))
    assert bars == row_totals
    second = values_in(client.get("/reports/trend.svg" + args).get_data(as_text=True))
    assert second == (row_totals if rows in (Dimension.MONTH, Dimension.QUARTER) else col_totals)
    on_page = set(cells.values())
    assert set(bars) <= on_page and set(second) <= on_page
    for i, j in hidden:
        if j == n_cols and i < n_rows:
            assert bars[i] in ("<5", "x")
        if (
            i == n_rows
            and j in shown_cols[:-1]
            and rows not in (Dimension.MONTH, Dimension.QUARTER)
        ):
            assert second[j] in ("<5", "x")

    # The files: the same published entries as the page, hidden ones as text.
    expected = [[table.cell(i, j) for j in shown_cols] for i in shown_rows]
    text = client.get("/reports/export" + args + "&format=csv").get_data(as_text=True)
    csv_rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert [row[1:] for row in csv_rows[2 : 2 + len(shown_rows)]] == expected
    data = client.get("/reports/export" + args + "&format=xlsx").data
    sheet = list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert [[str(v) for v in row[1:]] for row in sheet[2 : 2 + len(shown_rows)]] == expected
    assert len(csv_rows[1]) == len(sheet[1]) == len(shown_cols) + 1  # the header


def test_a_december_total_hidden_in_the_table_is_hidden_in_the_trend(place):
    """Issue 10: the table (month x sex) hid December's total (4 + 4 = 8) as "x"; the trend
    chart, counted and protected as a table of its own, printed 8."""
    year = next(YEARS)
    place.add_cases(year, [(12, "male", None)] * 4 + [(12, "female", None)] * 4
                    + [(3, "male", None)] * 6 + [(3, "female", None)] * 7)  # fmt: skip
    args = f"?report=registered&rows=month&cols=sex&year={year}"
    page = page_cells(place.client.get("/reports/" + args).get_data(as_text=True))
    # December's total is now decided with the month margins shared by every layout (8 is
    # safe on its own line): its cells are hidden instead, and the chart shows what the table does.
    assert (page[(11, 0)], page[(11, 1)]) == ("x", "x")
    trend = values_in(place.client.get("/reports/trend.svg" + args).get_data(as_text=True))
    assert trend[11] == page[(11, 3)]
    check_one_result(place, year, Dimension.MONTH, Dimension.SEX)


DIMENSIONS = (Dimension.MONTH, Dimension.QUARTER, Dimension.SEX, Dimension.AGE_BAND)
cases = st.lists(
    st.tuples(st.integers(1, 12), st.sampled_from(SEXES), st.sampled_from(BIRTH_YEARS)),
    max_size=24,
)
shapes = st.tuples(
    st.sampled_from(DIMENSIONS), st.sampled_from((Dimension.NONE, Dimension.SEX, Dimension.MONTH))
).filter(lambda shape: shape[0] != shape[1])


@settings(
    max_examples=25,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: each example spends a year
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=cases, shape=shapes)
@example(data=[(12, "male", None)] * 4 + [(12, "female", None)] * 4, shape=(Dimension.MONTH,
         Dimension.SEX))  # fmt: skip
def test_no_hidden_number_is_published_anywhere_else(place, data, shape):
    """For random small counts: the page, its totals, both charts, the CSV and the XLSX of a
    report all show each entry as the table publishes it; a hidden entry is never a number."""
    year = next(YEARS)
    assert year <= 2100  # the report's year filter stops there
    place.add_cases(year, data)
    check_one_result(place, year, *shape)


def test_monitoring_shows_real_counts_marked_internal_with_no_export(place, db):
    year = next(YEARS)
    place.add_cases(year, [(12, "male", None)] * 4 + [(12, "female", None)] * 4
                    + [(3, "male", None)] * 6)  # fmt: skip
    args = f"?report=registered&rows=month&cols=sex&year={year}"
    response = place.client.get("/reports/monitoring" + args)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    cells = page_cells(page)
    assert (cells[(11, 0)], cells[(11, 1)], cells[(11, 3)]) == ("4", "4", "8")
    assert cells[(12, 3)] == "14"
    assert 'data-testid="internal-badge"' in page and 'data-testid="monitoring-notice"' in page
    assert 'action="/reports/monitoring"' in page  # its filters stay on the internal view
    for link in ("/reports/export", "/reports/chart.svg", "/reports/trend.svg", "person-list"):
        assert link not in page
    # The published page of the same report still hides them, and links to the internal view.
    published = place.client.get("/reports/" + args).get_data(as_text=True)
    assert page_cells(published)[(11, 0)] in ("<5", "x") and "/reports/monitoring?" in published
    # The read is audited (the report's name, never a count).
    mine = AuditEvent.actor_id == place.supervisor.id
    events = db.session.scalars(select(AuditEvent).where(mine, AuditEvent.action.like("report.%")))
    assert [e.reason for e in events] == ["registered monitoring"]


def test_an_internal_table_is_never_written_to_a_file(place):
    query = Query(Measure.REGISTERED, Dimension.MONTH, Dimension.SEX, Period(next(YEARS)))
    table = services.monitoring_table(place.supervisor, "registered", query)
    with pytest.raises(ValueError):
        exports.table_csv(table)
    with pytest.raises(ValueError):
        exports.table_xlsx([table])


def test_monitoring_covers_only_the_supervisors_own_scope(make, client):
    """A supervisor of one commune sees nothing of another commune's cases."""
    mine, other = Place(make, client), None
    other_unit = make.unit()
    other_worker = make.user(Role.SOCIAL_WORKER, other_unit)
    other = Place.__new__(Place)
    other.unit, other.worker = other_unit, other_worker
    year = next(YEARS)
    other.add_cases(year, [(5, "female", None)] * 3)
    mine.add_cases(year, [(5, "male", None)])
    page = client.get(f"/reports/monitoring?report=registered&rows=month&cols=sex&year={year}")
    cells = page_cells(page.get_data(as_text=True))
    assert cells[(12, 3)] == "1"


def drawn(svg: str) -> dict[str, str]:
    """What a chart draws at each label: a bar (its title "label: text") or a point."""
    bars = re.findall(r"<rect [^>]*><title>([^<]*)</title></rect>", svg)
    return dict(html.unescape(title).split(": ", 1) for title in bars)


def test_hidden_entries_are_gaps_in_the_charts_never_zeros(place):
    """A walk found "Nữ" (x: 25 or more) drawn as a bar of height about zero: a hidden entry
    is now not drawn at all (no bar, no point), its "<5" or "x" sits under the axis, and the
    chart says that hidden entries are not drawn."""
    year = next(YEARS)
    place.add_cases(year, [(3, "female", None)] * 27 + [(12, "male", None)] * 2)
    args = f"?report=registered&rows=sex&cols=month&year={year}"
    bars = place.client.get("/reports/chart.svg" + args).get_data(as_text=True)
    assert values_in(bars) == ["<5", "x", "0"]  # Nam, Nữ, Không rõ
    assert drawn(bars) == {"Không rõ": "0"}  # a true zero is a bar; hidden ones are gaps
    for mark in re.findall(r'<text class="value" x="[^"]*" y="([^"]*)"[^>]*>(?:&lt;5|x)<', bars):
        assert float(mark) > 270  # under the axis (y = 270), not on a stub
    note = 'Các ô bị ẩn ("<5", "x") không được vẽ: khoảng trống không có nghĩa là 0.'
    assert note in html.unescape(bars)
    trend = place.client.get("/reports/trend.svg" + args).get_data(as_text=True)
    assert values_in(trend)[2] == "x" and values_in(trend)[11] == "<5"  # March, December
    assert trend.count("<circle") == 10 and note in html.unescape(trend)  # 10 months of 0
    check_one_result(place, year, Dimension.SEX, Dimension.MONTH)
