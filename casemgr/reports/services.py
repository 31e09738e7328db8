"""Report verbs: build the tables and charts a viewer asked for, and record what was exported."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from casemgr.audit import record
from casemgr.auth.models import User
from casemgr.extensions import db
from casemgr.reference.models import TargetGroup
from casemgr.reports import charts, queries, tables
from casemgr.reports.filters import DEADLINES
from casemgr.reports.queries import Dimension, Measure, Query
from casemgr.reports.tables import Table


def target_groups() -> list[TargetGroup]:
    return list(db.session.scalars(select(TargetGroup).order_by(TargetGroup.code)))


def report_table(user: User, report: str, query: Query) -> Table:
    """The table of one report, inside the user's scope, small cells protected."""
    if report == DEADLINES:
        return tables.compliance_table(user, query.period)
    return tables.build(user, query)


# The full report's sheet names: short (Excel allows 31 characters), in the user's language.
SHEET_NAMES = {
    Measure.REGISTERED: _l("Registered by %(rows)s"),
    Measure.ACTIVE: _l("Active by %(rows)s"),
    Measure.ASSISTED: _l("Assisted by %(rows)s"),
    Measure.CLOSED: _l("Closed by %(rows)s"),
}


# Each case measure's tables in the full report: five breakdowns by sex, and the measure's own
# (cases closed by reason and target group: the province's count of people closed, DOMAIN.md §4).
BREAKDOWNS = (
    (Dimension.AGE_BAND, Dimension.SEX),
    (Dimension.ETHNICITY, Dimension.SEX),
    (Dimension.AREA, Dimension.SEX),
    (Dimension.GROUP, Dimension.SEX),
    (Dimension.SUB_GROUP, Dimension.SEX),
)
OWN_BREAKDOWNS = {Measure.CLOSED: ((Dimension.CLOSURE_REASON, Dimension.GROUP),)}


def layouts_of(measure: Measure) -> tuple[tuple[Dimension, Dimension], ...]:
    """The (rows, columns) of a case measure's tables in the full report, in order."""
    return BREAKDOWNS + OWN_BREAKDOWNS.get(measure, ())


def full_report_size() -> int:
    """How many tables the full provincial report holds (a job's progress counts them)."""
    return sum(len(layouts_of(m)) for m in queries.CASE_MEASURES) + 3


def all_tables(user: User, query: Query, on_table: Callable[[], None] | None = None) -> list[Table]:
    """The full provincial report for a period: every measure by its standard breakdowns.
    `on_table` is called after each table (the background job's progress)."""
    period, group = query.period, query.group
    result: list[Table] = []
    done = on_table or (lambda: None)
    for measure in queries.CASE_MEASURES:
        layouts = layouts_of(measure)
        # Every layout of the measure and its margins: one statement per population.
        tables.prefetch(user, [Query(measure, r, c, period, group) for r, c in layouts])
        for rows, cols in layouts:
            table = tables.build(user, Query(measure, rows, cols, period, group))
            table.title = (
                f"{table.title}: {table.row_title} × {table.col_title}"  # "x" is a hidden cell
            )
            table.sheet_name = str(SHEET_NAMES[measure]) % {"rows": table.row_title.lower()}
            result.append(table)
            done()
    result.append(
        tables.build(user, Query(Measure.SERVICES, Dimension.NONE, Dimension.GROUP, period, group))
    )
    done()
    result.append(
        tables.build(user, Query(Measure.REFERRALS, Dimension.NONE, Dimension.GROUP, period, group))
    )
    done()
    result.append(tables.compliance_table(user, period))
    done()
    return result


def bar_svg(table: Table) -> str:
    """Row totals of the table as bars: its published totals, hidden ones as stubs."""
    points = charts.points_of(table.row_totals())
    # Without a row dimension the one bar is the total: the title does not name "(none)".
    title = f"{table.title} ({table.row_title})" if table.has_rows else table.title
    return charts.bar_chart(title, str(_l("Count")), points)


def has_trend(table: Table) -> bool:
    """Whether the table is broken down by month or quarter (its second chart is a trend)."""
    return bool({table.row_dimension, table.col_dimension} & set(queries.TIME_DIMENSIONS))


def trend_svg(table: Table) -> str:
    """The table's second chart, from the same published result as the table: its totals by
    month or quarter as a line when one of its dimensions is time, else its column totals as
    bars. No second table is counted or protected on its own: a total that the table hides
    as "x" is hidden in the chart too (issue 10)."""
    if table.row_dimension in queries.TIME_DIMENSIONS:
        points, over = charts.points_of(table.row_totals()), table.row_title
    elif table.col_dimension in queries.TIME_DIMENSIONS:
        points, over = charts.points_of(table.column_totals()), table.col_title
    else:
        # Without a column dimension the one bar is "All": the title does not name "(none)".
        no_columns = table.col_dimension in (None, Dimension.NONE)
        title = table.title if no_columns else f"{table.title} ({table.col_title})"
        return charts.bar_chart(title, str(_l("Count")), charts.points_of(table.column_totals()))
    title = str(_l("%(what)s by %(over)s", what=table.title, over=over.lower()))
    return charts.trend_chart(title, str(_l("Count")), points)


def monitoring_table(user: User, report: str, query: Query) -> Table:
    """Real counts of one report inside the user's own scope, for the internal monitoring
    view (never published or exported). The read is audited, like an export."""
    if report == DEADLINES:
        table = tables.compliance_table(user, query.period, suppress=False)
    else:
        table = tables.build(user, query, suppress=False)
    record("report.monitoring", actor=user, object_type="report", reason=f"{report} monitoring")
    return table


def targets_vs_actuals(user: User, year: int) -> list | None:
    """The programmes' yearly targets against actuals, once that package provides them.

    Hook: casemgr.programmes.queries.targets_vs_actuals(user, year) is built by the
    intervention-models work; until it exists the report page says so instead of a table.
    """
    try:
        from casemgr.programmes.queries import targets_vs_actuals as provided
    except ImportError:
        return None
    return list(provided(user, year))


def targets_table(user: User, year: int) -> list[tuple[str, str, str, str]] | None:
    """Targets vs actuals as published rows (model, indicator, target, actual). Actuals that
    count people are protected like any cell: 1-4 reads "<5" (each row stands alone, with no
    margin, so no complementary suppression is needed)."""
    rows = targets_vs_actuals(user, year)
    if rows is None:
        return None
    try:
        from casemgr.programmes.forms import INDICATOR_LABELS
    except ImportError:  # labels moved: fall back to the codes
        INDICATOR_LABELS = {}
    published = []
    for model, indicator, target, actual in rows:
        shown = "<5" if actual and 0 < actual < 5 else str(actual)
        published.append(
            (
                getattr(model, "name", str(model)),
                str(INDICATOR_LABELS.get(indicator, indicator)),
                "" if target is None else str(target),
                shown,
            )
        )
    return published
