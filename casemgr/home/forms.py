"""The home page's one form: the auditor's "verify now"."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SubmitField

from casemgr.web.forms import Form


class VerifyForm(Form):
    """A bare POST with a CSRF token that verifies the audit chain now."""

    submit = SubmitField(_l("Verify now"))
