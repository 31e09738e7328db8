"""Forms of the token screens: a new token (name, scopes, expiry) and revocation."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from wtforms import DateField, StringField, SubmitField, ValidationError
from wtforms.validators import DataRequired, Length

from casemgr import clock
from casemgr.tokens.services import MAX_DAYS
from casemgr.web.forms import CheckboxesField, Form

SCOPE_LABELS = {
    "read": _l("Read: see what you may see on the screens"),
    "write": _l("Write: record and change what you may change on the screens"),
    "audit": _l("Audit: audit events and alerts (auditors)"),
    "intake": _l("Intake: send intake reports only (a hotline or partner system)"),
}

# The short names shown in token lists and on the shown-once page.
SCOPE_NAMES = {
    "read": _l("Read"),
    "write": _l("Write"),
    "audit": _l("Audit"),
    "intake": _l("Intake"),
}


class TokenForm(Form):
    """A new personal access token; the view sets the scopes the user may choose."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    scopes = CheckboxesField(_l("Scopes"))
    expires_on = DateField(_l("Expires on"), validators=[DataRequired()])
    submit = SubmitField(_l("Create token"))

    def validate_scopes(self, field: CheckboxesField) -> None:
        """At least one scope; intake goes alone."""
        if not field.data:
            raise ValidationError(str(_l("Tick at least one scope.")))
        if "intake" in field.data and len(field.data) > 1:
            raise ValidationError(str(_l("An intake token can have no other scope.")))

    def validate_expires_on(self, field: DateField) -> None:
        """After today, at most 90 days ahead."""
        today = clock.today()
        if field.data is not None and not today < field.data <= today + dt.timedelta(MAX_DAYS):
            raise ValidationError(
                str(_l("Choose a date after today and at most %(days)d days ahead.", days=MAX_DAYS))
            )


class RevokeForm(Form):
    """Revoke one token (the token id is in the URL)."""

    submit = SubmitField(_l("Revoke"))
