"""Cases closed by reason (and by target group): a layout of "cases closed", counted from the
case's plain closure reason and published through the one suppression step like every table:
small cells hidden, margins shared with the measure's other layouts, charts and files from the
same result; the full provincial report holds it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from casemgr.cases.models import Case
from casemgr.cases.workflow import Status
from casemgr.extensions import db
from casemgr.reports import services
from casemgr.reports.queries import Dimension, Measure, Period, Query
from tests.reports.test_linked_margins import shared_margins
from tests.reports.test_one_result import YEARS, Place, check_one_result, page_cells

GOALS_MET = "Đạt mục tiêu kế hoạch: an toàn, không còn nguy cơ"
DIED = "Đã qua đời"
NOT_RECORDED = "Chưa ghi lý do"


@pytest.fixture
def place(make, client) -> Place:
    return Place(make, client)


def close_cases(place: Place, year: int, closed: list[tuple[int, str, str | None]]) -> None:
    """Child cases closed in the given months of `year`: (month, sex, closure reason or None)."""
    place.add_cases(year, [(month, sex, 2012) for month, sex, _ in closed])
    still_open = select(Case).where(Case.unit_id == place.unit.id, Case.closed_at.is_(None))
    added = list(db.session.scalars(still_open.order_by(Case.id)))[-len(closed) :] if closed else []
    for case, (month, _sex, reason) in zip(added, closed, strict=True):
        case.status = Status.CLOSED
        case.closed_at = dt.datetime(year, month, 15, 3, tzinfo=dt.UTC)
        case.closure_reason = reason
    db.session.flush()


def table(place: Place, year: int, rows=Dimension.CLOSURE_REASON, cols=Dimension.GROUP):
    query = Query(Measure.CLOSED, rows, cols, Period(year))
    return services.report_table(place.supervisor, "closed", query)


def test_closed_by_reason_lists_every_reason_and_hides_small_cells(place):
    year = next(YEARS)
    close_cases(place, year, [(3, "female", "goals_met")] * 10 + [(4, "male", "moved_away")] * 6
                + [(5, "male", "died")] * 2 + [(6, "male", "lost_contact")] * 3)  # fmt: skip
    published = table(place, year)
    assert published.row_title == "Lý do đóng hồ sơ" and published.col_title == "Nhóm đối tượng"
    rows = dict(published.published_rows())
    assert len(published.row_keys) == 9 and NOT_RECORDED not in rows  # every reason, fixed
    child = published.col_keys.index("child")
    assert rows[GOALS_MET][child] == "10" and rows[GOALS_MET][-1] == "10"
    assert rows[DIED][child] == "<5" and rows[DIED][-1] == "<5"
    assert rows["Đủ 16 tuổi: không còn thuộc nhóm trẻ em"][-1] == "0"  # zeros are shown
    assert rows["Tổng"][-1] == "21"
    grid = published.protected.grid  # the true counts: only a test reads them
    for i, line in enumerate(grid):
        for j, true in enumerate(line):
            text = published.cell(i, j)
            assert text == "<5" if 0 < true < 5 else text in (str(true), "x"), (i, j)
    assert any('"<5"' in note for note in published.notes)


def test_cases_closed_before_reasons_were_recorded_are_counted_as_not_recorded(place):
    year = next(YEARS)
    close_cases(place, year, [(3, "female", None)] * 6 + [(4, "male", "goals_met")] * 5)
    rows = dict(table(place, year).published_rows())
    assert rows[NOT_RECORDED] == ["6", "6"] and rows[GOALS_MET] == ["5", "5"]
    page = place.client.get(
        f"/reports/?report=closed&rows=closure_reason&cols=group&year={year}"
    ).get_data(as_text=True)
    assert NOT_RECORDED in page and GOALS_MET in page


def test_the_page_charts_and_files_show_the_one_suppressed_result(place):
    year = next(YEARS)
    close_cases(place, year, [(3, "female", "goals_met")] * 6 + [(3, "male", "goals_met")] * 3
                + [(8, "female", "moved_away")] * 2 + [(9, "male", "lost_contact")])  # fmt: skip
    check_one_result(place, year, Dimension.CLOSURE_REASON, Dimension.SEX, Measure.CLOSED)
    check_one_result(place, year, Dimension.CLOSURE_REASON, Dimension.MONTH, Measure.CLOSED)
    check_one_result(place, year, Dimension.GROUP, Dimension.CLOSURE_REASON, Measure.CLOSED)


def test_the_reason_layouts_share_the_margins_of_cases_closed(place):
    """The QA leak (issue 10) for this table: 4 + 4 closed (men, women) hide the grand total by
    sex; by reason and group it must be hidden too, never published as 8."""
    year = next(YEARS)
    close_cases(place, year, [(3, "male", "goals_met")] * 4 + [(5, "female", "died")] * 4)
    by_sex = table(place, year, Dimension.AGE_BAND, Dimension.SEX)
    assert by_sex.cell(len(by_sex.row_keys), len(by_sex.col_keys)) == "x"
    by_reason = table(place, year)
    assert by_reason.cell(len(by_reason.row_keys), len(by_reason.col_keys)) == "x"
    for entry, texts in shared_margins(place.supervisor, Measure.CLOSED, year).items():
        assert len(texts) == 1, (entry, texts)


REASONS = st.sampled_from((None, "goals_met", "died", "moved_away", "other"))
CLOSED = st.tuples(st.integers(1, 12), st.sampled_from(("male", "female")), REASONS)


@settings(
    max_examples=4, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip
@given(closed=st.lists(CLOSED, max_size=12))
def test_every_layout_of_cases_closed_publishes_each_shared_margin_alike(make, client, closed):
    place = Place(make, client)
    year = next(YEARS)
    close_cases(place, year, closed)
    for entry, texts in shared_margins(place.supervisor, Measure.CLOSED, year).items():
        assert len(texts) == 1, (entry, texts)


def test_closure_reason_is_a_dimension_of_cases_closed_only(place):
    year = next(YEARS)
    close_cases(place, year, [(3, "female", "goals_met")] * 5)
    page = place.client.get(f"/reports/?report=registered&rows=closure_reason&year={year}")
    assert page.status_code == 400  # another measure: refused, never the default rows instead
    html = page.get_data(as_text=True)
    selected = re.search(r'<select[^>]*id="rows".*?</select>', html, re.S).group(0)
    assert re.search(r'<option value="closure_reason" selected>', selected)
    assert 'id="rows-error"' in html and 'data-testid="report-table"' not in html
    closed = place.client.get(f"/reports/?report=closed&rows=closure_reason&cols=group&year={year}")
    cells = page_cells(closed.get_data(as_text=True))
    assert cells[(0, 0)] == "5" and GOALS_MET in closed.get_data(as_text=True)


def test_monitoring_shows_the_real_counts_by_reason(place):
    year = next(YEARS)
    close_cases(place, year, [(3, "female", "goals_met")] * 7 + [(5, "male", "died")] * 2)
    page = place.client.get(
        f"/reports/monitoring?report=closed&rows=closure_reason&cols=group&year={year}"
    ).get_data(as_text=True)
    cells = page_cells(page)
    assert (cells[(0, 0)], cells[(5, 0)]) == ("7", "2")  # goals met, died: nothing hidden


def test_the_full_report_holds_the_table_by_reason_and_group(place):
    year = next(YEARS)
    close_cases(place, year, [(3, "female", "goals_met")] * 6)
    result = services.all_tables(
        place.supervisor, Query(Measure.REGISTERED, Dimension.AGE_BAND, Dimension.SEX, Period(year))
    )
    assert len(result) == services.full_report_size() == 24
    found = [t for t in result if t.row_dimension == Dimension.CLOSURE_REASON]
    assert len(found) == 1 and found[0].col_dimension == Dimension.GROUP
    assert found[0].sheet_name == "Đã đóng theo lý do đóng hồ sơ"
    assert dict(found[0].published_rows())[GOALS_MET] == ["6", "6"]
