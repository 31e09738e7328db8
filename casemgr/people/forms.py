"""Forms for the erasure workflow."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectChoice, SelectField, SubmitField
from wtforms.validators import DataRequired, NumberRange

from casemgr.people.models import ErasureReason

REASON_LABELS = {
    ErasureReason.SUBJECT_REQUEST: _l("The person asked to be erased"),
    ErasureReason.CONSENT_WITHDRAWN: _l("Consent withdrawn"),
    ErasureReason.ENTERED_IN_ERROR: _l("Registered in error"),
    ErasureReason.LEGAL_ORDER: _l("Legal order"),
    ErasureReason.RETENTION_EXPIRED: _l("Retention period over"),
}


class ErasureRequestForm(FlaskForm):
    """Ask for a person to be erased (a second user must confirm)."""

    person_id = IntegerField(_l("Person number"), validators=[DataRequired(), NumberRange(min=1)])
    reason = SelectField(
        _l("Reason"),
        choices=[SelectChoice(r.value, label) for r, label in REASON_LABELS.items()],
        validators=[DataRequired()],
    )
    submit = SubmitField(_l("Request erasure"))


class DecisionForm(FlaskForm):
    """Confirm or cancel one pending request."""

    request_id = IntegerField(validators=[DataRequired(), NumberRange(min=1)])
