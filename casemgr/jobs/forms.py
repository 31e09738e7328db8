"""Forms of the background-work pages (buttons: CSRF, and a job id or a kind of key work)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField
from wtforms.validators import InputRequired

from casemgr.web.forms import Form, choose, fact_choices


class RetryForm(Form):
    """Send one failed job to the queue again."""

    job_id = IntegerField(validators=[InputRequired()])


class KeyWorkForm(Form):
    """Start the long half of a key rotation (the key file was changed by the CLI)."""

    kind = SelectField(
        _l("Key work"),
        choices=fact_choices(
            {
                "rewrap_keys": _l("Re-wrap data keys under the active master key"),
                "reindex": _l("Fill the search indexes under the new index key"),
            }
        ),
        validators=[choose()],
    )
