"""Forms of the notification centre (both are a button: CSRF and, for one, an id)."""

from __future__ import annotations

from wtforms import IntegerField
from wtforms.validators import InputRequired

from casemgr.web.forms import Form


class MarkAllReadForm(Form):
    """Mark every notification read."""


class MarkReadForm(Form):
    """Mark one notification read."""

    notification_id = IntegerField(validators=[InputRequired()])
