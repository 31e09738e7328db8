"""Report filters read from the query string (GET: choosing a report changes nothing)."""

from __future__ import annotations

from collections.abc import Mapping

from casemgr.clock import today
from casemgr.reports.queries import (
    PERSON_DIMENSIONS,
    TIME_DIMENSIONS,
    Dimension,
    Measure,
    Period,
    Query,
    has_dimension,
)

DEADLINES = "deadlines"  # the compliance report, whose rows and columns are fixed
REPORTS = [*(m.value for m in Measure), DEADLINES]
CHOOSABLE = [Dimension.NONE, *PERSON_DIMENSIONS, *TIME_DIMENSIONS, Dimension.CLOSURE_REASON]


def _int(value: str | None, low: int, high: int) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if low <= number <= high else None


def parse(args: Mapping[str, str], group_codes: set[str]) -> tuple[str, Query]:
    """The report asked for, with safe defaults for anything missing or invalid."""
    report = args.get("report") if args.get("report") in REPORTS else Measure.REGISTERED.value
    measure = Measure(report) if report != DEADLINES else Measure.REGISTERED
    rows = _dimension(args.get("rows"), Dimension.AGE_BAND)
    cols = _dimension(args.get("cols"), Dimension.SEX)
    if measure == Measure.ACTIVE:
        # Being active spans the period: it has no single month to be counted in.
        rows = Dimension.AGE_BAND if rows in TIME_DIMENSIONS else rows
        cols = Dimension.SEX if cols in TIME_DIMENSIONS else cols
    # A measure's own dimension (the closure reason of cases closed) on another: the defaults.
    rows = rows if has_dimension(measure, rows) else Dimension.AGE_BAND
    cols = cols if has_dimension(measure, cols) else Dimension.SEX
    if rows == cols and rows != Dimension.NONE:
        cols = Dimension.NONE
    year = _int(args.get("year"), 2000, 2100) or today().year
    quarter = _int(args.get("quarter"), 1, 4)
    month = _int(args.get("month"), 1, 12)
    period = Period(year, quarter=None if month else quarter, month=month)
    group = args.get("group") if args.get("group") in group_codes else None
    return report, Query(measure, rows, cols, period, group)


def _dimension(value: str | None, default: Dimension) -> Dimension:
    return Dimension(value) if value in {d.value for d in CHOOSABLE} else default


def query_args(report: str, query: Query) -> dict[str, str]:
    """The filters as query-string arguments (for chart and export links; no personal data)."""
    args = {
        "report": report,
        "rows": query.rows.value,
        "cols": query.cols.value,
        "year": str(query.period.year),
    }
    if query.period.quarter:
        args["quarter"] = str(query.period.quarter)
    if query.period.month:
        args["month"] = str(query.period.month)
    if query.group:
        args["group"] = query.group
    return args
