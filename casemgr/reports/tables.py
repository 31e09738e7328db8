"""Published report tables: counts laid out with labels and margins, small cells protected."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field, replace

from flask import g, has_app_context
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from casemgr.auth.models import User
from casemgr.cases.closure import CLOSURE_REASON_LABELS, NOT_RECORDED, ClosureReason
from casemgr.clock import utcnow
from casemgr.extensions import db
from casemgr.org.models import Area, Unit
from casemgr.reference.models import Ethnicity, SubGroup, TargetGroup
from casemgr.reports import queries
from casemgr.reports.queries import (
    AGE_BANDS,
    TOTAL,
    UNKNOWN,
    Compliance,
    Dimension,
    Measure,
    Period,
    Query,
)
from casemgr.reports.suppression import (
    Margins,
    Mark,
    Protected,
    protect,
    protect_margins,
    unprotected,
    with_margins,
)
from casemgr.support.models import ReferralStatus, ServiceType
from casemgr.web.forms import sub_group_label

MEASURE_LABELS = {
    Measure.REGISTERED: _l("People newly taken on"),
    Measure.ACTIVE: _l("People active"),
    Measure.ASSISTED: _l("People assisted"),
    Measure.CLOSED: _l("Cases closed"),
    Measure.SERVICES: _l("Services delivered by type"),
    Measure.REFERRALS: _l("Referral outcomes"),
}
DIMENSION_LABELS = {
    Dimension.NONE: _l("(none)"),
    Dimension.SEX: _l("Sex"),
    Dimension.AGE_BAND: _l("Age band"),
    Dimension.ETHNICITY: _l("Ethnicity"),
    Dimension.AREA: _l("Commune"),
    Dimension.GROUP: _l("Target group"),
    Dimension.SUB_GROUP: _l("Sub-group"),
    Dimension.UNIT: _l("Unit"),
    Dimension.MONTH: _l("Month"),
    Dimension.QUARTER: _l("Quarter"),
    Dimension.SERVICE_TYPE: _l("Service"),
    Dimension.REFERRAL_STATUS: _l("Referral status"),
    Dimension.CLOSURE_REASON: _l("Reason for closing"),
}
SEX_LABELS = {"male": _l("Male"), "female": _l("Female"), "unknown": _l("Unknown")}
REFERRAL_LABELS = {
    ReferralStatus.SENT.value: _l("Awaiting an answer"),
    ReferralStatus.ACCEPTED.value: _l("Accepted, not completed"),
    ReferralStatus.DECLINED.value: _l("Declined"),
    ReferralStatus.COMPLETED.value: _l("Completed"),
}
COMPLIANCE_LABELS = {
    Compliance.ON_TIME.value: _l("Met on time"),
    Compliance.LATE.value: _l("Met late"),
    Compliance.OPEN.value: _l("Open, not yet due"),
    Compliance.OVERDUE.value: _l("Open, overdue"),
    Compliance.NO_RULE.value: _l("No rule in force"),
}
DEADLINE_LABELS = {
    "child.emergency_action": _l("Emergency action (12 hours)"),
    "child.plan_draft": _l("Case plan drafted (5 working days)"),
}
# Rows fixed by the measure (services by type, referrals by status).
FIXED_ROWS = {
    Measure.SERVICES: Dimension.SERVICE_TYPE,
    Measure.REFERRALS: Dimension.REFERRAL_STATUS,
}


@dataclass
class Table:
    """A report table ready to publish: labels, protected entries, totals last.

    It is the one result every output of a report is built from: the page's table and totals,
    both charts and their labels, the CSV and the XLSX all read `cell()` / `published_value()`,
    never the counts behind them. An `internal` table (the monitoring view) holds real counts:
    it is shown only to its viewer on a page marked as such, and exports refuse it.
    """

    title: str
    row_title: str
    col_title: str
    row_keys: list
    col_keys: list
    row_labels: list[str]
    col_labels: list[str]
    protected: Protected
    notes: list[str] = field(default_factory=list)
    row_dimension: Dimension | None = None  # None: fixed rows (deadline compliance)
    col_dimension: Dimension | None = None
    internal: bool = False
    sheet_name: str = ""  # the workbook sheet's short name (the title when empty)

    def __post_init__(self) -> None:
        shape = (len(self.row_keys) + 1, len(self.col_keys) + 1)
        grid = self.protected.grid
        if (len(grid), len(grid[0])) != shape or any(len(row) != shape[1] for row in grid):
            raise ValueError("a table's grid has one entry per row and column key, and totals")

    def cell(self, i: int, j: int) -> str:
        """The published text of an entry (totals at index len(rows) / len(cols))."""
        return self.protected.label(i, j)

    def published_value(self, i: int, j: int) -> int | None:
        """The number published for an entry, or None where it is hidden ("<5", "x")."""
        text = self.cell(i, j)
        return int(text) if text.isdigit() else None

    @property
    def has_rows(self) -> bool:
        """False for a table with no row dimension: its one row ("All") is its total row."""
        return self.row_dimension != Dimension.NONE

    @property
    def has_columns(self) -> bool:
        """False for a table with no column dimension: its one column ("All") is its total
        column (fixed layouts, whose dimension is None, have columns)."""
        return self.col_dimension != Dimension.NONE

    def shown_rows(self) -> list[int]:
        """The rows every output shows above the total row. A table without a row dimension
        shows its total row alone: the "All" row would repeat it, entry by entry."""
        return list(range(len(self.row_keys))) if self.has_rows else []

    def shown_columns(self) -> list[int]:
        """The columns every output shows before the total column (none without a column
        dimension: the "All" column would repeat the totals)."""
        return list(range(len(self.col_keys))) if self.has_columns else []

    def row_totals(self) -> list[tuple[str, str]]:
        """(row label, published total) of every shown row: what the bar chart draws (the
        total itself for a table without rows)."""
        n_rows, n_cols = len(self.row_keys), len(self.col_keys)
        if not self.has_rows:
            return [(str(_l("Total")), self.cell(n_rows, n_cols))]
        return [(self.row_labels[i], self.cell(i, n_cols)) for i in self.shown_rows()]

    def column_totals(self) -> list[tuple[str, str]]:
        """(column label, published total) of every shown column (the total itself for a
        table without columns)."""
        n_rows, n_cols = len(self.row_keys), len(self.col_keys)
        if not self.has_columns:
            return [(str(_l("Total")), self.cell(n_rows, n_cols))]
        return [(self.col_labels[j], self.cell(n_rows, j)) for j in self.shown_columns()]

    def published_rows(self) -> list[tuple[str, list[str]]]:
        """Every shown row with its shown cells and total, the total row last (what CSV and
        XLSX write, as the page shows them)."""
        n_rows, n_cols = len(self.row_keys), len(self.col_keys)
        columns = [*self.shown_columns(), n_cols]
        rows = [(self.row_labels[i], [self.cell(i, j) for j in columns]) for i in self.shown_rows()]
        rows.append((str(_l("Total")), [self.cell(n_rows, j) for j in columns]))
        return rows

    def corner_title(self) -> str:
        """The header's first entry: "rows \\ columns", or the one dimension there is."""
        if self.has_rows and self.has_columns:
            return f"{self.row_title} \\ {self.col_title}"
        if self.has_rows:
            return self.row_title
        return self.col_title if self.has_columns else ""

    def header(self) -> list[str]:
        shown = [self.col_labels[j] for j in self.shown_columns()]
        return [self.corner_title(), *shown, str(_l("Total"))]


def build(user: User, query: Query, *, suppress: bool = True) -> Table:
    """One case, service or referral report as a protected table (one aggregate query).

    `suppress=False` gives the real counts, as an internal table (monitoring view only)."""
    query = _with_fixed_rows(query)
    rows = query.rows
    linked = None
    sliced = False
    if suppress:
        # The layout's counts come with its margins, in one statement (or from the request's
        # cache, when the full report counted every layout of the measure at once).
        linked, found = _tallied(user, query, _family(query), [(rows, query.cols)])
        found = found[(rows, query.cols)]
        if _slice_of(query) is not None:
            # A table filtered to one group, month or quarter is that slice of the unfiltered
            # tables: its margins are their cells, as those tables publish them.
            linked, sliced = _linked(user, query, _family(query)), True
    else:
        found = queries.counts(user, query)
    return _table(
        str(MEASURE_LABELS[query.measure]),
        rows,
        query.cols,
        found,
        query.period,
        suppress=suppress,
        linked=linked,
        sliced=sliced,
    )


def _slice_of(query: Query) -> tuple[Dimension, object, Query] | None:
    """The filter that makes `query` a slice of a wider report: (the dimension, its key, the
    report without that filter). The group first, then a month or quarter of the year (not for
    "active", which has no month of its own)."""
    if query.group:
        return Dimension.GROUP, query.group, replace(query, group=None)
    period = query.period
    if query.measure == Measure.ACTIVE or not (period.month or period.quarter):
        return None
    whole = replace(query, period=Period(period.year))
    if period.month:
        return Dimension.MONTH, period.month, whole
    return Dimension.QUARTER, period.quarter, whole


def _linked(user: User, query: Query, family: tuple[Dimension, ...]) -> Margins:
    """The margins a layout of `query` is protected with: its own linked margins, or for a
    filtered report those of its slice (`_slice_margins`)."""
    found = _slice_of(query)
    if found is None:
        return margins(user, query, family)
    return _slice_margins(user, query, family, *found)


def _slice_margins(
    user: User,
    query: Query,
    family: tuple[Dimension, ...],
    sliced: Dimension,
    key: object,
    whole: Query,
) -> Margins:
    """The margins of a filtered report (one target group, month or quarter: `sliced` = `key`),
    taken from the unfiltered tables (`whole`: same measure, scope and population) as they
    publish them: each dimension's totals for the key are the key's column of
    dimension x `sliced`, protected with the unfiltered tables' margins, and the grand total is
    the key's total in the margin of `sliced`.

    So a filtered table can never publish an entry that the unfiltered table hides, or hide
    one it publishes (a walk: "goals met" 6 for children where the table by group hid it,
    beside a published child total of 8 and two "<5", which were then both 1)."""
    # A month of "assisted" counts a case once per month: the unfiltered tables count pairs.
    parent_family = family
    if sliced in _multiplying(query.measure) and sliced not in family:
        parent_family = (*family, sliced)
    outer = Query(query.measure, Dimension.NONE, sliced, whole.period, whole.group)
    full = _linked(user, outer, parent_family)
    grand = full.totals.get(sliced, {}).get(key)
    totals: dict = {}
    for dimension in dict.fromkeys((query.rows, query.cols)):
        if dimension in (Dimension.NONE, sliced):
            continue
        parent = Query(query.measure, dimension, sliced, whole.period, whole.group)
        keys, col_keys, protected = _slice_parent(user, parent, parent_family)
        column = {}
        if key in col_keys:
            j = col_keys.index(key)
            n_rows = len(keys)
            for i, row_key in enumerate(keys):
                column[row_key] = (protected.grid[i][j], _published_mark(protected, i, j))
            grand = (protected.grid[n_rows][j], _published_mark(protected, n_rows, j))
        totals[dimension] = column
    count, mark = grand if grand is not None else (0, Mark.SHOWN)
    totals[sliced] = {key: (count, mark)}
    return Margins(count, mark, totals)


def _slice_parent(
    user: User, parent: Query, family: tuple[Dimension, ...]
) -> tuple[list, list, Protected]:
    """The unfiltered table rows x cols of `parent` in the family's population, protected with
    the family's margins (the published layout itself when the family is its own)."""
    grouping = tuple(dict.fromkeys((parent.rows, parent.cols, *family)))
    _, found = _tallied(user, parent, family, [grouping])
    cells: Counter = Counter()
    for keys, count in found[grouping].items():
        cells[(keys[0], keys[1])] += count  # summed over the family's other keys
    linked = _linked(user, parent, family)
    return _protect(parent.rows, parent.cols, cells, parent.period, linked)


def _published_mark(protected: Protected, i: int, j: int) -> Mark:
    """How an entry reads, as a mark ("x" for everything of a withheld table)."""
    if protected.withheld and protected.marks[i][j] is Mark.SHOWN:
        return Mark.COMPLEMENTARY
    return protected.marks[i][j]


def prefetch(user: User, asked: list[Query]) -> None:
    """Count several layouts and their margins ahead, one statement per measure and population
    (`margins`' family), kept for the request or job: `build` then reads them from there."""
    families: dict[tuple, list[Query]] = {}
    for query in map(_with_fixed_rows, asked):
        key = (query.measure, query.period, query.group, _family(query))
        families.setdefault(key, []).append(query)
    for (*_, family), layouts in families.items():
        _tallied(user, layouts[0], family, [(q.rows, q.cols) for q in layouts])


def _with_fixed_rows(query: Query) -> Query:
    rows = FIXED_ROWS.get(query.measure, query.rows)
    return Query(query.measure, rows, query.cols, query.period, query.group)


def _family(query: Query) -> tuple[Dimension, ...]:
    return tuple(d for d in (query.rows, query.cols) if d in _multiplying(query.measure))


def _multiplying(measure: Measure) -> set[Dimension]:
    """Dimensions in which one counted item can fall under several keys (a case in several
    sub-groups; a case assisted in several months): they count another population."""
    if measure == Measure.ASSISTED:
        return {Dimension.SUB_GROUP, *queries.TIME_DIMENSIONS}
    return {Dimension.SUB_GROUP}


def linked_dimensions(measure: Measure, family: tuple[Dimension, ...]) -> list[Dimension]:
    """Every dimension whose totals appear as margins in some layout of the family, or in an
    unfiltered table a filtered report is a slice of (`_slice_margins`: a month of "assisted"
    by sub-group is a slice of sub-group x month, whose sex totals are needed too)."""
    base = [*queries.PERSON_DIMENSIONS]
    if measure != Measure.ACTIVE:
        base += queries.TIME_DIMENSIONS
    if measure in FIXED_ROWS:
        base.append(FIXED_ROWS[measure])
    base += queries.MEASURE_DIMENSIONS.get(measure, ())
    multiplying = _multiplying(measure)
    return [d for d in base if d not in multiplying and d not in family] + list(family)


def margins(user: User, query: Query, family: tuple[Dimension, ...] = ()) -> Margins:
    """The margins shared by every layout of the report's measure, period, group and scope,
    protected once (counted in one statement, memoised for the request).

    `family` holds the layout's dimensions that count one item several times (sub-group; month
    or quarter of "assisted"): layouts with them count another population and share their own
    margins."""
    return _tallied(user, query, family, [])[0]


def _tallied(
    user: User, query: Query, family: tuple[Dimension, ...], layouts: list[tuple]
) -> tuple[Margins, dict[tuple, Counter]]:
    """The protected margins of (measure, period, group, family) and the counts of `layouts`
    (rows, cols), from the request's cache or from one statement (queries.tallies) that
    counts what is missing: each dimension's totals (with the family's keys, summed over
    them) and each layout's cells."""
    key = (user.id, query.measure, query.period, query.group, tuple(sorted(family)))
    cache = g.setdefault("report_margins", {}) if has_app_context() else {}
    counted = g.setdefault("report_counts", {}) if has_app_context() else {}
    missing = list(dict.fromkeys(layout for layout in layouts if (key, layout) not in counted))
    dims = linked_dimensions(query.measure, family)
    groupings = [] if key in cache else [_margin_grouping(d, family) for d in dims]
    unique = list(dict.fromkeys([*groupings, *missing]))
    if unique:
        found = dict(zip(unique, queries.tallies(user, query, unique), strict=True))
        for layout in missing:
            counted[(key, layout)] = found[layout]
        if key not in cache:
            totals = {}
            for dimension, grouping in zip(dims, groupings, strict=True):
                at = grouping.index(dimension)
                by_key: Counter = Counter()
                for keys, count in found[grouping].items():
                    by_key[keys[at]] += count
                totals[dimension] = {
                    k: by_key.get(k, 0) for k in _keys(dimension, by_key, query.period)
                }
            cache[key] = protect_margins(totals)
    return cache[key], {layout: counted[(key, layout)] for layout in layouts}


def _margin_grouping(dimension: Dimension, family: tuple[Dimension, ...]) -> tuple:
    """What a dimension's totals are counted by: the dimension with the family's dimensions
    (their totals summed over the family's keys count the family's population), or the family
    itself for one of its own."""
    return tuple(family) if dimension in family else (dimension, *family)


def _margin_mark(linked: Margins, dimension: Dimension, key) -> Mark:
    if dimension == Dimension.NONE:
        return linked.grand_mark
    return linked.mark(dimension, key)


def compliance_table(
    user: User, period: Period, now: dt.datetime | None = None, *, suppress: bool = True
) -> Table:
    """Child-protection deadlines of cases opened in the period, by how they were met."""
    found = queries.deadline_compliance(user, period, now or utcnow())
    row_keys = list(DEADLINE_LABELS)
    col_keys = list(COMPLIANCE_LABELS)
    cells = [[found.get((r, c), 0) for c in col_keys] for r in row_keys]
    protected = protect(cells, len(col_keys)) if suppress else unprotected(cells, len(col_keys))
    return Table(
        title=str(_l("Deadline compliance")),
        row_title=str(_l("Deadline")),
        col_title=str(_l("Status")),
        row_keys=row_keys,
        col_keys=col_keys,
        row_labels=[str(DEADLINE_LABELS[k]) for k in row_keys],
        col_labels=[str(COMPLIANCE_LABELS[k]) for k in col_keys],
        protected=protected,
        notes=_notes(protected) if suppress else [],
        internal=not suppress,
        sheet_name=str(_l("Deadlines")),  # the title is longer than a sheet's name may be
    )


def _table(
    title: str,
    rows: Dimension,
    cols: Dimension,
    found: Counter,
    period: Period,
    *,
    suppress: bool = True,
    linked: Margins | None = None,
    sliced: bool = False,
) -> Table:
    if suppress:
        row_keys, col_keys, protected = _protect(rows, cols, found, period, linked, sliced)
    else:
        row_keys = _keys(rows, (r for r, _ in found), period)
        col_keys = _keys(cols, (c for _, c in found), period)
        cells = [[found.get((r, c), 0) for c in col_keys] for r in row_keys]
        protected = unprotected(cells, len(col_keys))
    return Table(
        title=title,
        row_title=str(DIMENSION_LABELS[rows]),
        col_title=str(DIMENSION_LABELS[cols]),
        row_keys=row_keys,
        col_keys=col_keys,
        row_labels=labels(rows, row_keys),
        col_labels=labels(cols, col_keys),
        protected=protected,
        notes=(_notes(protected) if suppress else []) + _counting_notes(rows, cols),
        row_dimension=rows,
        col_dimension=cols,
        internal=not suppress,
    )


def _protect(
    rows: Dimension,
    cols: Dimension,
    found: Counter,
    period: Period,
    linked: Margins | None,
    sliced: bool = False,
) -> tuple[list, list, Protected]:
    """The keys and the protected grid of one layout's counts (margins forced or locked as
    `linked` decided them)."""
    row_keys = _keys(rows, (r for r, _ in found), period)
    col_keys = _keys(cols, (c for _, c in found), period)
    cells = [[found.get((r, c), 0) for c in col_keys] for r in row_keys]
    if linked is None:
        return row_keys, col_keys, protect(cells, len(col_keys))
    # The margins are decided once for every layout (margins()): forced or locked here.
    n_rows, n_cols = len(row_keys), len(col_keys)
    decided = {(i, n_cols): _margin_mark(linked, rows, k) for i, k in enumerate(row_keys)}
    decided |= {(n_rows, j): _margin_mark(linked, cols, k) for j, k in enumerate(col_keys)}
    decided[(n_rows, n_cols)] = linked.grand_mark
    if sliced and (n_rows == 1 or n_cols == 1):
        # A one-line slice is the unfiltered table's column itself: its cells are its totals
        # and read exactly as they do there.
        grid = with_margins(cells, n_cols)
        marks = [
            [decided[(i, n_cols)] if n_cols == 1 else decided[(n_rows, j)] for j in range(n_cols)]
            + [decided[(i, n_cols)]]
            for i in range(n_rows)
        ]
        marks.append([decided[(n_rows, j)] for j in range(n_cols)] + [linked.grand_mark])
        if n_rows == 1:  # one row: each cell is its column's total
            marks[0] = marks[1][:]
        protected = Protected(
            grid=tuple(tuple(row) for row in grid),
            marks=tuple(tuple(row) for row in marks),
        )
        return row_keys, col_keys, protected
    forced = {e: m for e, m in decided.items() if m is not Mark.SHOWN}
    locked = [e for e, m in decided.items() if m is Mark.SHOWN]
    return row_keys, col_keys, protect(cells, n_cols, forced=forced, locked=locked)


def _notes(protected: Protected) -> list[str]:
    notes = [
        str(_l('"<5": between 1 and 4 people; "x": hidden so that a "<5" cannot be worked out.'))
    ]
    if protected.may_hide_zero:
        notes.append(str(_l('In this table a "<5" may also stand for 0.')))
    if protected.withheld:
        notes.append(str(_l("This table is not published, to protect small counts.")))
    elif protected.interior_hidden:
        notes.append(
            str(_l("Only the totals of this table are published, to protect small counts."))
        )
    return notes


def _counting_notes(rows: Dimension, cols: Dimension) -> list[str]:
    """Why the totals of a layout that counts a person several times exceed the people."""
    if Dimension.SUB_GROUP in (rows, cols):
        return [
            str(
                _l(
                    "A person in several sub-groups is counted in each of them, so the total "
                    "can exceed the number of people."
                )
            )
        ]
    return []


def _keys(dimension: Dimension, found, period: Period) -> list:
    """Every key of a dimension to show: the fixed lists in full, others as found."""
    present = set(found)
    if dimension == Dimension.NONE:
        return [TOTAL]
    if dimension == Dimension.SEX:
        return ["male", "female", "unknown"]
    if dimension == Dimension.AGE_BAND:
        return [label for label, _, _ in AGE_BANDS] + [UNKNOWN]
    if dimension == Dimension.MONTH:
        return period.months
    if dimension == Dimension.QUARTER:
        return sorted({(m - 1) // 3 + 1 for m in period.months})
    if dimension == Dimension.REFERRAL_STATUS:
        return list(REFERRAL_LABELS)
    if dimension == Dimension.CLOSURE_REASON:  # every reason; "not recorded" when there are any
        return [r.value for r in ClosureReason] + ([UNKNOWN] if UNKNOWN in present else [])
    known = sorted(k for k in present if k != UNKNOWN)
    return known + ([UNKNOWN] if UNKNOWN in present else [])


def _group_names() -> dict[str, str]:
    """Target groups' names in the user's language, by code (rows must not show the codes)."""
    return {g.code: g.label for g in db.session.scalars(select(TargetGroup))}


def labels(dimension: Dimension, keys: list) -> list[str]:
    """Display names of keys (one query per dimension for the names that live in tables)."""
    unknown = str(_l("Unknown"))
    ids = [k for k in keys if k not in (UNKNOWN, TOTAL)]
    names: dict = {}
    if dimension == Dimension.ETHNICITY and ids:
        names = {
            e.code: e.label
            for e in db.session.scalars(select(Ethnicity).where(Ethnicity.code.in_(ids)))
        }
    elif dimension == Dimension.AREA and ids:
        names = dict(db.session.execute(select(Area.id, Area.name).where(Area.id.in_(ids))).all())
    elif dimension == Dimension.GROUP and ids:
        names = {
            g.code: g.label
            for g in db.session.scalars(select(TargetGroup).where(TargetGroup.code.in_(ids)))
        }
    elif dimension == Dimension.SUB_GROUP and ids:
        groups = _group_names()
        names = {
            s.id: f"{groups.get(s.group_code, s.group_code)}: {sub_group_label(s)}"
            for s in db.session.scalars(select(SubGroup).where(SubGroup.id.in_(ids)))
        }
    elif dimension == Dimension.UNIT and ids:
        names = dict(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all())
    elif dimension == Dimension.SERVICE_TYPE and ids:
        groups = _group_names()
        names = {
            t.id: f"{groups.get(t.group_code, t.group_code)}: {t.label}"
            for t in db.session.scalars(select(ServiceType).where(ServiceType.id.in_(ids)))
        }
    elif dimension == Dimension.SEX:
        names = {k: str(v) for k, v in SEX_LABELS.items()}
    elif dimension == Dimension.REFERRAL_STATUS:
        names = {k: str(v) for k, v in REFERRAL_LABELS.items()}
    elif dimension == Dimension.CLOSURE_REASON:
        names = {k.value: str(v) for k, v in CLOSURE_REASON_LABELS.items()}
        unknown = str(NOT_RECORDED)  # closed before reasons were recorded (migration 0030)
    elif dimension == Dimension.MONTH:
        names = {m: format_date(dt.date(2000, m, 1), "MMM") for m in ids}
    elif dimension == Dimension.QUARTER:
        names = {q: str(_l("Q%(n)s", n=q)) for q in ids}
    elif dimension == Dimension.NONE:
        return [str(_l("All"))]
    return [unknown if k == UNKNOWN else str(names.get(k, k)) for k in keys]
