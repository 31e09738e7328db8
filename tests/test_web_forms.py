"""The app's quick widget rendering draws exactly what WTForms' own widgets draw."""

from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import Select

from casemgr.web.forms import CheckboxesField, Form, MoneyField, render_select


class Sample(Form):
    """Selects of every kind the app uses, and some it might."""

    plain = SelectField(
        "Plain",
        choices=[SelectChoice("", "—"), SelectChoice("a", "Á & <b>"), SelectChoice("b", "B")],
        validators=[DataRequired()],
    )
    numbers = SelectField(
        "Numbers", coerce=int, choices=[SelectChoice(1, "One"), SelectChoice(2, 'Two "2"')]
    )
    booleans = SelectField(
        "Booleans", choices=[SelectChoice(True, "Yes"), SelectChoice(False, "No")]
    )
    tagged = SelectField(
        "Tagged",
        choices=[SelectChoice("x", "X", render_kw={"data-group": "child"}), SelectChoice("y", "Y")],
        validators=[Optional()],
    )
    quoted = SelectField(
        "Quoted",
        choices=[SelectChoice('he said "hi"', Markup("<i>marked</i>")), SelectChoice("", "")],
    )
    several = SelectMultipleField("Several", choices=[SelectChoice(v, v.upper()) for v in "pqr"])
    lazy = SelectField(  # labels translated when drawn (lazy_gettext), as most of the app's
        "Lazy", choices=[SelectChoice("a", _l("Cases")), SelectChoice("b", _l("Tom & <Jerry>"))]
    )
    grouped = SelectField(
        "Grouped",
        choices=[SelectChoice("1", "one", optgroup="G1"), SelectChoice("2", "two", optgroup="G2")],
    )


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"plain": "a", "numbers": 2, "booleans": "True", "tagged": "x", "several": ["p", "r"]},
        {"plain": "b", "quoted": 'he said "hi"', "grouped": "2"},
    ],
)
@pytest.mark.parametrize(
    "attrs", [{}, {"class_": "form-select is-invalid", "aria_invalid": "true"}]
)
def test_selects_render_as_wtforms_draws_them(app, data: dict, attrs: dict) -> None:
    with app.test_request_context():
        form = Sample(formdata=None, meta={"csrf": False}, data=data)
        for field in form:
            expected = Select(multiple=field.type == "SelectMultipleField")(field, **attrs)
            assert str(field(**attrs)) == str(expected), field.name
            if not field.has_groups():
                assert str(render_select(field, **attrs)) == str(expected), field.name


def test_a_select_keeps_its_render_kw_and_required_flag(app) -> None:
    with app.test_request_context():
        form = Sample(formdata=None, meta={"csrf": False})
        form.plain.render_kw = {"class": "form-select", "autocomplete": "off"}
        html = str(form.plain())
        assert html.startswith('<select autocomplete="off" class="form-select" id="plain"')
        assert " required>" in html
        assert "Á &amp; &lt;b&gt;" in html


class Inputs(Form):
    """Inputs of every kind the app's forms use."""

    name = StringField("Name", validators=[DataRequired(), Length(min=2, max=200)])
    note = TextAreaField("Note", validators=[Optional(), Length(max=20000)], render_kw={"rows": 5})
    day = DateField("Day", validators=[DataRequired()])
    count = IntegerField("Count", validators=[NumberRange(min=1, max=9)])
    sum = MoneyField("Sum")
    secret = PasswordField("Secret")
    flag = BooleanField("Flag")
    hidden = HiddenField()
    tick = CheckboxesField("Ticks", choices=[SelectChoice("a", "A"), SelectChoice("b", "B")])
    submit = SubmitField('Save "now"')


@pytest.mark.parametrize(
    "data",
    [
        {},
        {
            "name": 'Lê "Thị" <Hoa> & co',
            "note": "Dòng 1\n<script>",
            "day": dt.date(2026, 12, 6),
            "count": 3,
            "sum": 1500000,
            "secret": "x",
            "flag": True,
            "hidden": 'v"1',
            "tick": ["b"],
        },
    ],
)
@pytest.mark.parametrize("attrs", [{}, {"class_": "form-control is-invalid", "data_x": "1"}])
def test_inputs_render_as_wtforms_draws_them(app, data: dict, attrs: dict) -> None:
    with app.test_request_context():
        form = Inputs(formdata=None, meta={"csrf": False}, data=data)
        for field in form:
            expected = field.widget(field, **dict(field.render_kw or {}, **attrs))
            assert str(field(**attrs)) == str(expected), field.name
            for option in getattr(field, "__iter__", lambda: iter(()))():
                if option is not field:
                    assert str(option()) == str(option.widget(option)), option.name


def test_csrf_field_draws_what_a_forms_csrf_token_draws(app) -> None:
    from casemgr.auth.forms import SignOutForm
    from casemgr.web.layout import csrf_field

    with app.test_request_context():
        drawn = str(csrf_field())
        assert drawn == str(SignOutForm(formdata=None).csrf_token)
        assert drawn.startswith('<input id="csrf_token" name="csrf_token" type="hidden" value="')
