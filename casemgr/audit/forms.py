"""Forms of the auditor's workspace: event search (GET), alert filters, alert review, scan."""

from __future__ import annotations

import ipaddress
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from casemgr.audit.alerts import COMMENT_MAX_LENGTH
from casemgr.audit.models import AlertKind, AlertStatus, Outcome
from casemgr.web import validators as v
from casemgr.web.forms import Form

OUTCOME_LABELS = {
    Outcome.ALLOWED: _l("Allowed"),
    Outcome.DENIED: _l("Denied"),
    Outcome.ERROR: _l("Error"),
}
ALERT_KIND_LABELS = {
    AlertKind.VOLUME: _l("Unusual volume"),
    AlertKind.OFF_HOURS: _l("Outside working hours"),
    AlertKind.DENIALS: _l("Repeated denials"),
    AlertKind.INTEGRITY: _l("Integrity error"),
    AlertKind.BREAK_GLASS: _l("Break-glass use"),
    AlertKind.RECOVERY_CODE: _l("Recovery code used"),
}
ALERT_STATUS_LABELS = {AlertStatus.OPEN: _l("Open"), AlertStatus.REVIEWED: _l("Reviewed")}


def plausible_address(text: str) -> bool:
    """An IP address, or the beginning of one followed by * (10.0.*, fe80:*): "999.1.1.1" and
    "abc" would find nothing and say nothing."""
    if not text.endswith("*"):
        try:
            ipaddress.ip_address(text)
        except ValueError:
            return False
        return True
    start = text[:-1]
    if ":" in start:
        return all(len(group) <= 4 for group in start.split(":"))
    parts = start.split(".")
    whole, last = parts[:-1], parts[-1]
    return (
        len(parts) <= 4
        and all(p.isdigit() and int(p) <= 255 for p in whole)
        and (last == "" or (last.isdigit() and int(last) <= 255))
    )


class SearchForm(Form):
    """A read-only search submitted by GET: no CSRF token, values in the query string."""

    class Meta:
        csrf = False


def _code(pattern: str, message: Any) -> list:
    """An optional code of at most 64 characters matching `pattern` (or a prefix ending in *);
    the message says what one looks like."""
    return [Optional(), Length(max=64), Regexp(pattern, message=message)]


class EventSearchForm(SearchForm):
    """Criteria for the audit event search."""

    user = StringField(_l("User (username or id)"), validators=[Optional(), Length(max=64)])
    case = StringField(_l("Case (number or id)"), validators=[Optional(), Length(max=40)])
    action = StringField(
        _l("Action (e.g. case.view, or case.* for all)"),
        validators=_code(
            r"^[a-z0-9_.]+\*?$",
            _l("Use an action code in small letters, such as case.view, or case.*"),
        ),
    )
    outcome = SelectField(
        _l("Outcome"),
        choices=[
            SelectChoice("", _l("Any")),
            *[SelectChoice(o.value, label) for o, label in OUTCOME_LABELS.items()],
        ],
        default="",
    )
    date_from = DateField(_l("From (date)"), validators=[Optional()])
    date_to = DateField(_l("To (date)"), validators=[Optional()])
    client_addr = StringField(
        _l("Client address (or a prefix ending in *)"),
        validators=_code(
            r"^[0-9A-Fa-f:.]+\*?$",
            _l("Use an address such as 10.0.0.5, or its beginning such as 10.0.*"),
        ),
    )
    break_glass = BooleanField(_l("Break-glass only"))
    seq_from = IntegerField(_l("From #"), validators=[Optional(), v.sequence_number()])
    seq_to = IntegerField(_l("To #"), validators=[Optional(), v.sequence_number()])
    submit = SubmitField(_l("Search"))

    # A range given backwards would find nothing and say nothing: it is refused, with the
    # message under its end.
    def validate_date_to(self, field: DateField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(str(_l("The end date is before the start date.")))

    def validate_client_addr(self, field: StringField) -> None:
        if field.data and not field.errors and not plausible_address(field.data):
            raise ValidationError(
                str(
                    _l(
                        "This is not an address: use one such as 10.0.0.5, or its beginning "
                        "such as 10.0.*"
                    )
                )
            )

    def validate_seq_to(self, field: IntegerField) -> None:
        first = self.seq_from.data
        if field.data is not None and first is not None and field.data < first:
            raise ValidationError(str(_l("The last number is before the first.")))


class CaseLookupForm(SearchForm):
    """Which case's accesses to show."""

    case = StringField(_l("Case number or id"), validators=[DataRequired(), Length(max=40)])
    submit = SubmitField(_l("Show accesses"))


class AlertFilterForm(SearchForm):
    """Which alerts to list."""

    status = SelectField(
        _l("Status"),
        choices=[
            *[SelectChoice(s.value, label) for s, label in ALERT_STATUS_LABELS.items()],
            SelectChoice("all", _l("All")),
        ],
        default=AlertStatus.OPEN.value,
    )
    kind = SelectField(
        _l("Kind"),
        choices=[
            SelectChoice("", _l("Any")),
            *[SelectChoice(k.value, label) for k, label in ALERT_KIND_LABELS.items()],
        ],
        default="",
    )
    submit = SubmitField(_l("Show"))


class ReviewForm(Form):
    """Close an alert with a comment (what was checked, what was concluded)."""

    comment = TextAreaField(
        _l("Review comment (no names or case details)"),
        validators=[DataRequired(), Length(max=COMMENT_MAX_LENGTH)],
    )
    submit = SubmitField(_l("Mark as reviewed"))


class ScanForm(Form):
    """Run the alert scan now (it also runs on a schedule)."""

    submit = SubmitField(_l("Scan for new alerts"))
