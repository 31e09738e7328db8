"""A table without a column dimension shows one total column ("Tổng"), not an "All" ("Tất cả")
column beside it with the same numbers; a table without a row dimension, one total row. The page,
both charts, the CSV, the XLSX and the monitoring page show the same entries, and a chart prints
nothing that its table does not show."""

from __future__ import annotations

import csv
import html
import io
import re

import openpyxl
import pytest

from casemgr.reports import services
from casemgr.reports.queries import Dimension, Measure, Period, Query
from tests.reports.test_one_result import YEARS, Place, page_cells, values_in

ALL = "Tất cả"
CASES = [(3, "male", None)] * 6 + [(4, "female", None)] * 7 + [(5, "unknown", None)] * 2


@pytest.fixture
def place(make, client) -> Place:
    return Place(make, client)


def table_markup(page: str) -> str:
    return re.search(r'<table[^>]*data-testid="report-table".*?</table>', page, re.S).group(0)


def header_of(page: str) -> list[str]:
    head = re.search(r"<thead>(.*?)</thead>", table_markup(page), re.S).group(1)
    return [html.unescape(t).strip() for t in re.findall(r"<th[^>]*>([^<]*)</th>", head)]


def row_labels_of(page: str) -> list[str]:
    body = re.search(r"<tbody>(.*?)</tbody>", table_markup(page), re.S).group(1)
    return [html.unescape(t) for t in re.findall(r'<th scope="row">([^<]*)</th>', body)]


def files(place: Place, args: str) -> tuple[list[list[str]], list[list[str]]]:
    """The CSV's and the XLSX's header and rows (title and notes left out)."""
    text = place.client.get("/reports/export" + args + "&format=csv").get_data(as_text=True)
    csv_rows = [row for row in csv.reader(io.StringIO(text.lstrip("\ufeff")))]
    data = place.client.get("/reports/export" + args + "&format=xlsx").data
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    xlsx_rows = [
        ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
    ]
    return csv_rows, xlsx_rows


def test_a_table_without_columns_shows_one_total_column(place):
    year = next(YEARS)
    place.add_cases(year, CASES)
    args = f"?report=registered&rows=sex&cols=none&year={year}"
    table = services.report_table(place.supervisor, "registered", Query(
        Measure.REGISTERED, Dimension.SEX, Dimension.NONE, Period(year)))  # fmt: skip
    n_rows = len(table.row_keys)
    totals = [table.cell(i, 1) for i in range(n_rows + 1)]

    page = place.client.get("/reports/" + args).get_data(as_text=True)
    assert header_of(page) == ["Giới tính", "Tổng"]  # no "All" column, no "(none)"
    assert ALL not in table_markup(page)
    assert page_cells(page) == {(i, 1): totals[i] for i in range(n_rows + 1)}

    csv_rows, xlsx_rows = files(place, args)
    for rows in (csv_rows, xlsx_rows):
        assert rows[1] == ["Giới tính", "Tổng"]
        assert [row[:2] for row in rows[2 : 3 + n_rows]] == [
            [label, text] for label, text in zip([*table.row_labels, "Tổng"], totals, strict=True)
        ]
        assert all(ALL not in cell for row in rows for cell in row)

    bars = place.client.get("/reports/chart.svg" + args).get_data(as_text=True)
    assert values_in(bars) == totals[:-1]
    second = place.client.get("/reports/trend.svg" + args).get_data(as_text=True)
    assert values_in(second) == [totals[-1]]  # the grand total, as the table's corner reads
    assert f">{ALL}<" not in second and "Tổng" in second


def test_a_table_without_rows_shows_one_total_row(place):
    year = next(YEARS)
    place.add_cases(year, CASES)
    args = f"?report=registered&rows=none&cols=sex&year={year}"
    table = services.report_table(place.supervisor, "registered", Query(
        Measure.REGISTERED, Dimension.NONE, Dimension.SEX, Period(year)))  # fmt: skip
    n_cols = len(table.col_keys)
    totals = [table.cell(1, j) for j in range(n_cols + 1)]

    page = place.client.get("/reports/" + args).get_data(as_text=True)
    assert header_of(page) == ["Giới tính", "Nam", "Nữ", "Không rõ", "Tổng"]
    assert row_labels_of(page) == ["Tổng"] and ALL not in table_markup(page)
    assert page_cells(page) == {(1, j): totals[j] for j in range(n_cols + 1)}

    csv_rows, xlsx_rows = files(place, args)
    for rows in (csv_rows, xlsx_rows):
        assert rows[2] == ["Tổng", *totals] and rows[3:] and rows[3][0] != ALL
        assert all(ALL not in cell for row in rows for cell in row)

    bars = place.client.get("/reports/chart.svg" + args).get_data(as_text=True)
    assert values_in(bars) == [totals[-1]] and f">{ALL}<" not in bars
    title = re.search(r"<title>([^<]*)</title>", bars).group(1)
    assert title == "Số người được tiếp nhận mới", title  # not "… ((không))"
    second = place.client.get("/reports/trend.svg" + args).get_data(as_text=True)
    assert values_in(second) == totals[:-1]


def test_a_table_without_rows_or_columns_is_its_total(place):
    year = next(YEARS)
    place.add_cases(year, CASES)
    page = place.client.get(f"/reports/?report=registered&rows=none&cols=none&year={year}")
    text = page.get_data(as_text=True)
    assert header_of(text) == ["", "Tổng"] and row_labels_of(text) == ["Tổng"]
    table = services.report_table(place.supervisor, "registered", Query(
        Measure.REGISTERED, Dimension.NONE, Dimension.NONE, Period(year)))  # fmt: skip
    assert page_cells(text) == {(1, 1): table.cell(1, 1)}  # as protected ("x" here: 2 unknown)


def test_the_monitoring_view_shows_one_total_column_too(place):
    year = next(YEARS)
    place.add_cases(year, CASES)
    page = place.client.get(
        f"/reports/monitoring?report=registered&rows=sex&cols=none&year={year}"
    ).get_data(as_text=True)
    assert header_of(page) == ["Giới tính", "Tổng"] and ALL not in table_markup(page)
    assert page_cells(page) == {(0, 1): "6", (1, 1): "7", (2, 1): "2", (3, 1): "15"}
