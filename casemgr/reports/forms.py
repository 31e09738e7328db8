"""The report filters as a form (GET: choosing a report changes nothing), validated like any
other form: a choice the report cannot take, or a year outside the form's range, is refused
with a message under its field; nothing is replaced by a default behind the user's back."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import IntegerField, SelectChoice, SelectField
from wtforms.validators import InputRequired, NumberRange, StopValidation, ValidationError

from casemgr.clock import today
from casemgr.reports.filters import (
    CHOOSABLE,
    DEADLINES,
    REPORTS,
    YEAR_MAX,
    YEAR_MIN,
    measure_of,
    offered,
)
from casemgr.reports.queries import Dimension, Measure, Period, Query
from casemgr.reports.tables import DIMENSION_LABELS, FIXED_ROWS, MEASURE_LABELS
from casemgr.web.forms import Form

REPORT_LABELS = {r: MEASURE_LABELS.get(r) or _l("Deadline compliance") for r in REPORTS}
# What a parameter left out of the query string means (the first visit, a link that names only
# some of them). A parameter that is sent is read as sent: refused when it is not valid.
DEFAULTS = {"report": REPORTS[0], "rows": Dimension.AGE_BAND.value, "cols": Dimension.SEX.value}
FIELDS = ("report", "rows", "cols", "year", "quarter", "month", "group")


def fixed_dimensions(report: str | None) -> dict[str, Any]:
    """The rows and columns a report fixes, by field name, with their titles: services by
    type and referrals by status fix their rows; deadline compliance both."""
    if report == DEADLINES:
        return {"rows": _l("Deadline"), "cols": _l("Status")}
    if report in {m.value for m in FIXED_ROWS}:
        return {"rows": DIMENSION_LABELS[FIXED_ROWS[Measure(report)]]}
    return {}


def _quoted(labels: Iterable[Any]) -> str:
    return ", ".join(f"“{label}”" for label in labels)


def _read_as_number(form: Form, field: IntegerField) -> None:
    """Text that is no whole number has the field's own message ("Enter a whole number."):
    the range's message would only repeat it."""
    if field.process_errors:
        raise StopValidation()


class ReportFilterForm(Form):
    """Which report, broken down how, over which period and target group."""

    class Meta:
        csrf = False  # a read-only choice sent by GET (and copied into the exports' POSTs)

    report = SelectField(_l("Report"), choices=[SelectChoice(r, REPORT_LABELS[r]) for r in REPORTS])
    rows = SelectField(
        _l("Rows"), choices=[SelectChoice(d.value, DIMENSION_LABELS[d]) for d in CHOOSABLE]
    )
    cols = SelectField(
        _l("Columns"), choices=[SelectChoice(d.value, DIMENSION_LABELS[d]) for d in CHOOSABLE]
    )
    year = IntegerField(
        _l("Year"),
        validators=[
            InputRequired(),
            _read_as_number,
            NumberRange(
                YEAR_MIN, YEAR_MAX, message=_l("Enter a year between %(min)d and %(max)d.")
            ),
        ],
    )
    quarter = SelectField(
        _l("Quarter"),
        choices=[SelectChoice("", _l("All")), *(SelectChoice(str(q), str(q)) for q in range(1, 5))],
        default="",
    )
    month = SelectField(
        _l("Month"),
        choices=[
            SelectChoice("", _l("All")),
            *(SelectChoice(str(m), str(m)) for m in range(1, 13)),
        ],
        default="",
    )
    group = SelectField(_l("Target group"), choices=[SelectChoice("", _l("All"))], default="")

    def __init__(self, formdata: Any = None, groups: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(formdata=formdata, **kwargs)
        self.group.choices = [
            SelectChoice("", _l("All")),
            *(SelectChoice(g.code, g.label) for g in groups),
        ]

    def validate_rows(self, field: SelectField) -> None:
        self._check_offered(field)

    def validate_cols(self, field: SelectField) -> None:
        if self._check_offered(field) and not field.errors:
            rows = self.rows.data
            fixed = fixed_dimensions(self.report.data)
            if field.data == rows and rows != Dimension.NONE.value and "rows" not in fixed:
                raise ValidationError(
                    str(
                        _l(
                            "The rows are already broken down by “%(dimension)s”: choose "
                            "another breakdown for the columns, or “%(none)s”.",
                            dimension=DIMENSION_LABELS[Dimension(rows)],
                            none=DIMENSION_LABELS[Dimension.NONE],
                        )
                    )
                )

    def _check_offered(self, field: SelectField) -> bool:
        """Refuse a breakdown the chosen report does not offer (a closure reason for people
        registered, a month for people active); True when the choice may be checked further."""
        if field.errors or field.data not in {d.value for d in CHOOSABLE} or self.report.errors:
            return False  # an unknown value has its own message; an unknown report, too
        if field.name in fixed_dimensions(self.report.data):
            return False  # fixed by the report: the choice is not used (the form says so)
        measure = measure_of(self.report.data)
        if Dimension(field.data) in offered(measure):
            return True
        raise ValidationError(
            str(
                _l(
                    "The report “%(report)s” cannot be broken down by “%(dimension)s”. "
                    "It can be broken down by: %(offered)s.",
                    report=REPORT_LABELS[self.report.data],
                    dimension=DIMENSION_LABELS[Dimension(field.data)],
                    offered=_quoted(
                        DIMENSION_LABELS[d] for d in offered(measure) if d != Dimension.NONE
                    ),
                )
            )
        )

    def fixed_note(self, name: str) -> str | None:
        """For rows or columns that the chosen report fixes (services by type, referrals by
        status, deadlines): what they are, shown under the field instead of the choice."""
        fixed = fixed_dimensions(self.report.data).get(name)
        if fixed is None:
            return None
        if name == "rows":
            return str(_l("This report's rows are fixed: “%(rows)s”.", rows=fixed))
        return str(_l("This report's columns are fixed: “%(cols)s”.", cols=fixed))

    def query(self) -> Query:
        """The report's question (only for a form that validated)."""
        quarter = int(self.quarter.data) if self.quarter.data else None
        month = int(self.month.data) if self.month.data else None
        period = Period(self.year.data, quarter=None if month else quarter, month=month)
        return Query(
            measure_of(self.report.data),
            Dimension(self.rows.data),
            Dimension(self.cols.data),
            period,
            self.group.data or None,
        )


@dataclass
class Asked:
    """The filters as the user sent them: the form (with its messages), and when it is valid
    the report and its question."""

    form: ReportFilterForm
    report: str | None = None
    query: Query | None = None

    @property
    def valid(self) -> bool:
        return self.query is not None


def read(args: Mapping[str, Any], groups: Iterable[Any]) -> Asked:
    """The report filters of a query string (or of a posted form with the same names)."""
    data = MultiDict({**DEFAULTS, "year": str(today().year)})
    for name in FIELDS:
        if name in args:
            data[name] = args[name]
    form = ReportFilterForm(formdata=data, groups=groups)
    if not form.validate():
        return Asked(form)
    return Asked(form, form.report.data, form.query())


class InvalidFilters(ValueError):
    """Filters that do not validate (a background job's, which were valid when it started)."""


def parse(args: Mapping[str, Any], groups: Iterable[Any]) -> tuple[str, Query]:
    """The report and question of valid filters; InvalidFilters otherwise."""
    asked = read(args, groups)
    if not asked.valid:
        raise InvalidFilters(sorted(asked.form.errors))
    return asked.report, asked.query
