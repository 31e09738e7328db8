"""Forms for transfers between units: the request, and the receiving supervisor's answer."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from casemgr.cases.forms import VersionedForm
from casemgr.web.forms import Form


class TransferRequestForm(Form):
    """Ask another unit to take the case."""

    to_unit_id = SelectField(_l("Receiving unit"), coerce=int, validators=[DataRequired()])
    reason = TextAreaField(
        _l("Why the case should move (the receiving unit reads this once it accepts)"),
        validators=[DataRequired(), Length(max=5000)],
        render_kw={"rows": 3},
    )
    override_reason = TextAreaField(
        _l("Consent is missing: why the transfer cannot wait for it (at least one sentence)"),
        validators=[Optional(), Length(max=1000)],
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Request the transfer"))


class TransferCancelForm(Form):
    """Withdraw the open request (a button)."""


class TransferAcceptForm(VersionedForm):
    """Accept the case and name its new owner."""

    owner_id = SelectField(_l("New owner"), coerce=int, validators=[DataRequired()])
    submit = SubmitField(_l("Accept the case"))


class TransferDeclineForm(Form):
    """Decline the case, saying why."""

    reason = TextAreaField(
        _l("Why the unit cannot take the case"),
        validators=[DataRequired(), Length(max=2000)],
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Decline"))
