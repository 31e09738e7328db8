"""Aggregate counts for the provincial reports, in SQL, always inside the viewer's case scope."""

from __future__ import annotations

import datetime as dt
import enum
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import (
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    tuple_,
    union_all,
)

from casemgr.auth.models import User
from casemgr.cases.models import Case, CaseSubGroup
from casemgr.cases.queries import visible_cases
from casemgr.clock import local_midnight
from casemgr.extensions import db
from casemgr.people.models import Person
from casemgr.rules.deadlines import overdue_clause, sync
from casemgr.rules.models import Deadline
from casemgr.support.models import Referral, ServiceDelivery

# Reporting periods are calendar periods in Viet Nam's time (timestamps are stored in UTC):
# their boundaries come from the one clock (casemgr.clock.local_midnight).

AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0-5", 0, 5),
    ("6-11", 6, 11),
    ("12-15", 12, 15),
    ("16-17", 16, 17),
    ("18-24", 18, 24),
    ("25-59", 25, 59),
    ("60+", 60, None),
)
UNKNOWN = "unknown"
TOTAL = "total"


class Measure(enum.StrEnum):
    """What a report counts."""

    REGISTERED = "registered"  # cases opened in the period
    ACTIVE = "active"  # cases open at some time in the period
    ASSISTED = "assisted"  # cases with a service delivered in the period
    CLOSED = "closed"  # cases closed in the period
    SERVICES = "services"  # services delivered in the period (rows: service type)
    REFERRALS = "referrals"  # referrals sent in the period (rows: status)


class Dimension(enum.StrEnum):
    """What rows or columns of a report are broken down by."""

    NONE = "none"
    SEX = "sex"
    AGE_BAND = "age_band"
    ETHNICITY = "ethnicity"
    AREA = "area"
    GROUP = "group"
    SUB_GROUP = "sub_group"
    UNIT = "unit"
    MONTH = "month"
    QUARTER = "quarter"
    SERVICE_TYPE = "service_type"
    REFERRAL_STATUS = "referral_status"
    CLOSURE_REASON = "closure_reason"  # cases closed only (Measure.CLOSED)


CASE_MEASURES = (Measure.REGISTERED, Measure.ACTIVE, Measure.ASSISTED, Measure.CLOSED)
PERSON_DIMENSIONS = (
    Dimension.SEX,
    Dimension.AGE_BAND,
    Dimension.ETHNICITY,
    Dimension.AREA,
    Dimension.GROUP,
    Dimension.SUB_GROUP,
    Dimension.UNIT,
)
TIME_DIMENSIONS = (Dimension.MONTH, Dimension.QUARTER)
# Dimensions that only some measures have (a closure reason belongs to a closed case).
MEASURE_DIMENSIONS = {Measure.CLOSED: (Dimension.CLOSURE_REASON,)}


def has_dimension(measure: Measure, dimension: Dimension) -> bool:
    """Whether a report of `measure` can be broken down by `dimension` (a measure's own)."""
    own = {d for dims in MEASURE_DIMENSIONS.values() for d in dims}
    return dimension not in own or dimension in MEASURE_DIMENSIONS.get(measure, ())


@dataclass(frozen=True)
class Period:
    """A calendar year, quarter or month in local time: [start, end)."""

    year: int
    quarter: int | None = None
    month: int | None = None

    @property
    def first_month(self) -> int:
        if self.month:
            return self.month
        return 3 * (self.quarter - 1) + 1 if self.quarter else 1

    @property
    def months(self) -> list[int]:
        if self.month:
            return [self.month]
        return list(range(self.first_month, self.first_month + (3 if self.quarter else 12)))

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.first_month, 1)

    @property
    def end(self) -> dt.date:
        return month_start(self.year, self.months[-1] + 1)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The period as UTC instants (local midnight at both ends)."""
        return local_midnight(self.start), local_midnight(self.end)


def month_start(year: int, month: int) -> dt.date:
    """The first day of a month; month 13 is January of the next year."""
    return dt.date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def age_band_expr(year: int):
    """SQL: the age band reached in `year`, from the plain birth year."""
    age = year - Person.birth_year
    whens = [
        ((age <= high) if high is not None else (age >= low), label)
        for label, low, high in AGE_BANDS
    ]
    return case((Person.birth_year.is_(None), UNKNOWN), *whens, else_=UNKNOWN)


def age_band(year: int, birth_year: int | None) -> str:
    """The same banding in Python (tests count with it over ORM objects)."""
    if birth_year is None:
        return UNKNOWN
    age = year - birth_year
    for label, low, high in AGE_BANDS:
        if (high is not None and age <= high) or (high is None and age >= low):
            return label
    return UNKNOWN


def _bucket_expr(column, period: Period, dimension: Dimension, *, is_date: bool):
    """SQL: the month (or quarter) of the period a timestamp falls in, by comparing it with the
    local month boundaries, so that the same statement works on every database."""
    whens = []
    for month in period.months:
        boundary = month_start(period.year, month + 1)
        value = local_midnight(boundary) if not is_date else boundary
        key = month if dimension == Dimension.MONTH else (month - 1) // 3 + 1
        whens.append((column < value, key))
    return case(*whens, else_=None)


@dataclass(frozen=True)
class Query:
    """One report's question: what to count, broken down how, over which period and group."""

    measure: Measure
    rows: Dimension
    cols: Dimension
    period: Period
    group: str | None = None


def _dimension(dimension: Dimension, query: Query, date_column, *, is_date: bool):
    if dimension == Dimension.NONE:
        return None
    if dimension == Dimension.SEX:
        return Person.sex
    if dimension == Dimension.AGE_BAND:
        return age_band_expr(query.period.year)
    if dimension == Dimension.ETHNICITY:
        return Person.ethnicity_code
    if dimension == Dimension.AREA:
        return Person.area_id
    if dimension == Dimension.GROUP:
        return Case.group_code
    if dimension == Dimension.SUB_GROUP:
        return CaseSubGroup.sub_group_id
    if dimension == Dimension.UNIT:
        return Case.unit_id
    if dimension in TIME_DIMENSIONS:
        if date_column is None:
            raise ValueError("this measure has no date to break down by")
        return _bucket_expr(date_column, query.period, dimension, is_date=is_date)
    if dimension == Dimension.SERVICE_TYPE:
        return ServiceDelivery.service_type_id
    if dimension == Dimension.REFERRAL_STATUS:
        return Referral.status
    if dimension == Dimension.CLOSURE_REASON:
        if not has_dimension(query.measure, dimension):
            raise ValueError("only closed cases have a closure reason")
        return Case.closure_reason  # NULL: closed before reasons were recorded
    raise ValueError(dimension)


def _scoped(user: User, query: Query, dims: tuple[Dimension, ...]) -> Select:
    statement = visible_cases(user).join(Person, Person.id == Case.person_id)
    if query.group:
        statement = statement.where(Case.group_code == query.group)
    if Dimension.SUB_GROUP in dims:
        statement = statement.outerjoin(CaseSubGroup, CaseSubGroup.case_id == Case.id)
    return statement


def counts(user: User, query: Query) -> Counter:
    """Counts by (row key, column key) for one report, in one GROUP BY query.

    Case measures count cases (one person in one programme); a case in several sub-groups, or
    assisted in several months, counts once in each. Keys are raw codes or ids; None is
    "unknown"; a missing dimension is TOTAL.
    """
    found = grouped(user, query, (query.rows, query.cols))
    return Counter({keys: count for keys, count in found.items()})


def grouped(user: User, query: Query, dims: tuple[Dimension, ...]) -> Counter:
    """Counts by a tuple of keys, one per dimension of `dims` (TOTAL for NONE), in one GROUP BY
    query; `query.rows`/`cols` are ignored. The margins of a report come from one such query
    over every dimension its layouts can use (tables.margins)."""
    return tallies(user, query, [tuple(dims)])[0]


# Keys of these dimensions are integers (ids, months, quarters); the others are codes.
INTEGER_KEYS = {
    Dimension.AREA,
    Dimension.SUB_GROUP,
    Dimension.UNIT,
    Dimension.MONTH,
    Dimension.QUARTER,
    Dimension.SERVICE_TYPE,
}


def tallies(user: User, query: Query, groupings: list[tuple[Dimension, ...]]) -> list[Counter]:
    """`grouped(user, query, dims)` for each `dims` of `groupings`, in one statement: the rows in
    scope are read once (a common table expression holding every dimension's key and the
    counted item), then counted by each grouping (one GROUP BY each, UNION ALL).

    Each grouping counts distinct items, so the result is the same as its own query's: the
    joins that other groupings need (sub-groups; service deliveries for "assisted" by month)
    add rows, never items."""
    dims = tuple(dict.fromkeys(d for grouping in groupings for d in grouping))
    statement, item, exprs = _base(user, query, dims)
    if len(groupings) == 1:
        keys = [exprs[d] for d in groupings[0] if exprs[d] is not None]
        counted = func.count(func.distinct(item))
        rows = db.session.execute(statement.with_only_columns(*keys, counted).group_by(*keys))
        return [_counter(groupings[0], exprs, ((0, *row) for row in rows), cast_keys=False)]
    names = {d: f"k{n}" for n, d in enumerate(d for d in dims if exprs[d] is not None)}
    if db.session.get_bind().dialect.name == "postgresql" and all(
        any(d in names for d in grouping) for grouping in groupings
    ):
        return _grouping_sets(query, statement, item, exprs, names, groupings)
    base = statement.with_only_columns(
        *(exprs[d].label(name) for d, name in names.items()), item.label("item")
    ).cte("report_rows")
    width = max(len(grouping) for grouping in groupings)
    branches = []
    for index, grouping in enumerate(groupings):
        keys = [base.c[names[d]] for d in grouping if d in names]
        # One column type for every branch (PostgreSQL): keys as text, read back by dimension.
        texts = [cast(key, String) for key in keys]
        texts += [cast(null(), String)] * (width - len(keys))
        branches.append(
            select(
                literal(index).label("grouping"),
                *(text.label(f"c{n}") for n, text in enumerate(texts)),
                func.count(func.distinct(base.c.item))
                if _repeats(query, dims, grouping)
                else func.count(),
            ).group_by(*keys)
        )
    rows = db.session.execute(union_all(*branches)).all()
    return [
        _counter(grouping, exprs, (row for row in rows if row[0] == index), cast_keys=True)
        for index, grouping in enumerate(groupings)
    ]


def _grouping_sets(query, statement, item, exprs, names, groupings) -> list[Counter]:
    """PostgreSQL: every grouping in one pass over the rows (GROUP BY GROUPING SETS), each
    told apart by GROUPING(), a bit set for each key column that its grouping leaves out."""
    dims = tuple(names)
    rows = statement.with_only_columns(
        *(exprs[d].label(name) for d, name in names.items()), item.label("item")
    ).subquery("report_rows")  # grouped outside: a CASE with bound values must not be in it
    keys = [rows.c[names[d]] for d in dims]
    distinct = [_repeats(query, dims, grouping) for grouping in groupings]
    counts = [func.count()]
    if any(distinct):
        counts.append(func.count(func.distinct(rows.c.item)))
    # One set per combination of keys (in the order of `dims`): a grouping (A, B) and another
    # (B, A) are one set, whose rows each serves once.
    sets = [tuple(rows.c[names[d]] for d in dims if d in grouping) for grouping in groupings]
    statement = select(*keys, func.grouping(*keys), *counts).group_by(
        func.grouping_sets(*(tuple_(*columns) for columns in dict.fromkeys(sets)))
    )
    masks: dict[int, list[int]] = {}
    for index, grouping in enumerate(groupings):
        mask = sum(1 << (len(dims) - 1 - n) for n, d in enumerate(dims) if d not in grouping)
        masks.setdefault(mask, []).append(index)
    found: list[Counter] = [Counter() for _ in groupings]
    for row in db.session.execute(statement):
        by_dim = dict(zip(dims, row, strict=False))
        mask, count = row[len(dims)], row[len(dims) + 1]
        for index in masks.get(mask, ()):
            key = tuple(_key(by_dim[d]) if d in names else TOTAL for d in groupings[index])
            found[index][key] += row[len(dims) + 2] if distinct[index] else count
    return found


def _repeats(query: Query, dims: tuple[Dimension, ...], grouping: tuple[Dimension, ...]) -> bool:
    """Whether an item can be on several rows of one group of `grouping` (then it is counted
    distinct): a case assisted several times, or in several sub-groups when the grouping
    has no sub-group. Otherwise each row is one item and counting rows is the same."""
    delivered = query.measure == Measure.ASSISTED and bool(set(dims) & set(TIME_DIMENSIONS))
    return delivered or (Dimension.SUB_GROUP in dims and Dimension.SUB_GROUP not in grouping)


def _counter(grouping, exprs, rows, *, cast_keys: bool) -> Counter:
    result: Counter = Counter()
    for _index, *values in rows:
        count = values.pop()
        key = []
        for d in grouping:
            if exprs[d] is None:
                key.append(TOTAL)
                continue
            value = values.pop(0)
            if cast_keys and value is not None and d in INTEGER_KEYS:
                value = int(value)
            key.append(_key(value))
        result[tuple(key)] += count
    return result


def _base(user: User, query: Query, dims: tuple[Dimension, ...]):
    """The rows in scope for a measure and period (joined for `dims`), the counted item, and
    each dimension's key expression (None for NONE)."""
    start, end = query.period.bounds()
    statement = _scoped(user, query, dims)
    date_column, is_date, item = None, False, Case.id
    if query.measure == Measure.REGISTERED:
        statement = statement.where(Case.opened_at >= start, Case.opened_at < end)
        date_column = Case.opened_at
    elif query.measure == Measure.ACTIVE:
        statement = statement.where(
            Case.opened_at < end, or_(Case.closed_at.is_(None), Case.closed_at >= start)
        )
    elif query.measure == Measure.CLOSED:
        statement = statement.where(Case.closed_at >= start, Case.closed_at < end)
        date_column = Case.closed_at
    elif query.measure == Measure.ASSISTED and not set(dims) & set(TIME_DIMENSIONS):
        # Without a month to place it in, "assisted" is a semi-join: no fan-out over deliveries.
        statement = statement.where(
            exists().where(
                ServiceDelivery.case_id == Case.id,
                ServiceDelivery.current(),
                ServiceDelivery.delivered_on >= query.period.start,
                ServiceDelivery.delivered_on < query.period.end,
            )
        )
    elif query.measure in (Measure.ASSISTED, Measure.SERVICES):
        statement = statement.join(ServiceDelivery, ServiceDelivery.case_id == Case.id).where(
            ServiceDelivery.current(),
            ServiceDelivery.delivered_on >= query.period.start,
            ServiceDelivery.delivered_on < query.period.end,
        )
        date_column, is_date = ServiceDelivery.delivered_on, True
        if query.measure == Measure.SERVICES:
            item = ServiceDelivery.id
    elif query.measure == Measure.REFERRALS:
        statement = statement.join(Referral, Referral.case_id == Case.id).where(
            Referral.sent_on >= query.period.start, Referral.sent_on < query.period.end
        )
        date_column, is_date = Referral.sent_on, True
        item = Referral.id
    exprs = {d: _dimension(d, query, date_column, is_date=is_date) for d in dims}
    return statement, item, exprs


def _key(value):
    if value is None:
        return UNKNOWN
    return value.value if isinstance(value, enum.Enum) else value


class Compliance(enum.StrEnum):
    """How a deadline of a case stands."""

    ON_TIME = "on_time"
    LATE = "late"
    OPEN = "open"
    OVERDUE = "overdue"
    NO_RULE = "no_rule"


def deadline_compliance(user: User, period: Period, now: dt.datetime) -> Counter:
    """Deadlines of the cases opened in the period, by kind: met on time, late, still open,
    overdue, or without a rule in force. One GROUP BY over the stored deadlines (the rows and
    overdue condition of the task lists, casemgr/rules/deadlines.py)."""
    sync()
    start, end = period.bounds()
    outcome = case(
        (Deadline.due_at.is_(None), Compliance.NO_RULE.value),
        (Deadline.met_at.is_not(None) & (Deadline.met_at <= Deadline.due_at),
         Compliance.ON_TIME.value),
        (Deadline.met_at.is_not(None), Compliance.LATE.value),
        (overdue_clause(now), Compliance.OVERDUE.value),
        else_=Compliance.OPEN.value,
    )  # fmt: skip
    found = (
        visible_cases(user)
        .join(Deadline, Deadline.case_id == Case.id)
        .where(and_(Case.opened_at >= start, Case.opened_at < end))
        .with_only_columns(Deadline.kind, outcome.label("outcome"))
        .subquery()
    )
    # Grouped outside: PostgreSQL does not match a CASE with bound values in the GROUP BY.
    statement = select(found.c.kind, found.c.outcome, func.count()).group_by(*found.c)
    return Counter({(kind, how): count for kind, how, count in db.session.execute(statement)})
