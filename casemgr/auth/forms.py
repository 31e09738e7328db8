"""Forms for sign-in, the second factor, password change and language choice."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from casemgr.web.forms import Form


class LoginForm(Form):
    """Username and password; field names are stable for password managers and scripts."""

    username = StringField(
        _l("Username"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=1000)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Sign in"))


class TotpForm(Form):
    """A six-digit code from the authenticator app."""

    code = StringField(
        _l("Six-digit code"),
        validators=[
            DataRequired(),
            Regexp(r"^\s*\d{3}\s?\d{3}\s*$", message=_l("Enter the six digits.")),
        ],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True},
    )
    submit = SubmitField(_l("Confirm"))


class MfaCodeForm(Form):
    """The sign-in's second step: a six-digit code, or one of the ten recovery codes."""

    code = StringField(
        _l("Six-digit code or recovery code"),
        validators=[
            DataRequired(),
            Length(max=40),
            Regexp(
                r"^[\s\-0-9A-Za-z]+$",
                message=_l("Enter the six digits, or a recovery code such as abcde-12345."),
            ),
        ],
        render_kw={"autocomplete": "one-time-code", "autofocus": True},
    )
    submit = SubmitField(_l("Confirm"))


class RecoveryCodesForm(Form):
    """Make new recovery codes: the current password proves it is really the user."""

    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Make new recovery codes"))


class ChangePasswordForm(Form):
    """Change one's own password; the current one is required."""

    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired()], render_kw={"autocomplete": "new-password"}
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Change password"))


class LanguageForm(Form):
    """The language switch in the header."""

    locale = HiddenField(validators=[DataRequired()])


class SignOutForm(Form):
    """Sign-out is a POST with a CSRF token."""

    submit = SubmitField(_l("Sign out"))
