"""The app's quick select rendering draws exactly what WTForms' Select widget draws."""

from __future__ import annotations

import pytest
from markupsafe import Markup
from wtforms import SelectChoice, SelectField, SelectMultipleField
from wtforms.validators import DataRequired, Optional
from wtforms.widgets import Select

from casemgr.web.forms import Form, render_select


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
