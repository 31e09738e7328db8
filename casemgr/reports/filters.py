"""What the report filters offer (read and validated by reports.forms), and the filters as
query-string arguments for links."""

from __future__ import annotations

from casemgr.reports.queries import (
    PERSON_DIMENSIONS,
    TIME_DIMENSIONS,
    Dimension,
    Measure,
    Query,
    has_dimension,
)

DEADLINES = "deadlines"  # the compliance report, whose rows and columns are fixed
REPORTS = [*(m.value for m in Measure), DEADLINES]
CHOOSABLE = [Dimension.NONE, *PERSON_DIMENSIONS, *TIME_DIMENSIONS, Dimension.CLOSURE_REASON]


# The years a report can be asked for (the year field's range, in the form and on the server).
YEAR_MIN, YEAR_MAX = 2000, 2100


def measure_of(report: str) -> Measure:
    """What a report counts (the deadline report has its own table: its measure is unused)."""
    return Measure(report) if report != DEADLINES else Measure.REGISTERED


def offered(measure: Measure) -> list[Dimension]:
    """The breakdowns (rows or columns) a report of `measure` can be asked for: a measure's own
    dimension only for it (the closure reason of cases closed); no month or quarter for
    "active", which spans the period and has no month of its own."""
    return [
        d
        for d in CHOOSABLE
        if has_dimension(measure, d) and not (measure == Measure.ACTIVE and d in TIME_DIMENSIONS)
    ]


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
