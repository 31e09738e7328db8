"""Helpers every form module shares: the base form, choices, warnings and field errors."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask import flash
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import Field, IntegerField, SelectChoice, SelectMultipleField
from wtforms.validators import DataRequired
from wtforms.widgets import (
    CheckboxInput,
    Input,
    ListWidget,
    Select,
    SubmitInput,
    TextArea,
    TextInput,
)
from wtforms.widgets.core import _DateTimeBaseInput, clean_key

from casemgr.org.models import Area, AreaLevel
from casemgr.web.validators import TRANSLATIONS

EMPTY = "—"


class Form(FlaskForm):
    """The app's form: WTForms' own messages come in the user's language (see validators.py)."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form: Any) -> Any:
            """Our translations, not WTForms' catalogue (which has no Vietnamese)."""
            return TRANSLATIONS

        def render_field(self, field: Field, render_kw: dict[str, Any]) -> Markup:
            """Draw a field with its widget; a plain select the quick way (see render_select)."""
            other_kw = getattr(field, "render_kw", None)
            if other_kw is not None:
                render_kw = dict(other_kw, **render_kw)
            widget = type(field.widget)
            if widget is Select and not field.has_groups():
                return render_select(field, **render_kw)
            if widget.__call__ is TextArea.__call__:
                return render_textarea(field, **render_kw)
            if widget.__call__ in QUICK_INPUTS and widget.html_params is Input.html_params:
                return render_input(field, **render_kw)
            return field.widget(field, **render_kw)


def html_params(**kwargs: Any) -> Markup:
    """WTForms' html_params (attributes in name order, True as a bare name, False left out,
    values escaped), without formatting each attribute through Markup.format."""
    params = []
    for key, value in sorted(kwargs.items()):
        if value is False:
            continue
        name = escape(clean_key(key))
        if value is True:
            params.append(name)
        else:
            value = escape(value).replace(Markup('"'), Markup("&quot;"))
            params.append(f'{name}="{value}"')
    return Markup(" ".join(params))  # noqa: S704 - names and values escaped above


def _with_flags(field: Field, validation_attrs: list[str], kwargs: dict[str, Any]) -> None:
    flags = getattr(field, "flags", {})
    for key in dir(flags):
        if key in validation_attrs and key not in kwargs:
            value = getattr(flags, key)
            kwargs[key] = value() if callable(value) else value


def render_input(field: Field, **kwargs: Any) -> Markup:
    """What WTForms' Input widgets (text, date, checkbox, submit, hidden...) draw, through
    the quick html_params; only for widgets whose __call__ is one of QUICK_INPUTS."""
    widget = field.widget
    call = type(widget).__call__
    if call is CheckboxInput.__call__:
        if getattr(field, "checked", field.data):
            kwargs.setdefault("checked", True)
    elif call is SubmitInput.__call__:
        kwargs.setdefault("value", field.label.text)
    elif call is _DateTimeBaseInput.__call__:
        form = getattr(field, "format", None)
        if form is not None:
            form = form[0] if isinstance(form, list) else form
            flags = getattr(field, "flags", {})
            for attr in ("min", "max"):
                value = kwargs.get(attr, getattr(flags, attr, None))
                if callable(value):
                    value = value()
                if hasattr(value, "strftime"):
                    kwargs[attr] = value.strftime(form)
    kwargs.setdefault("id", field.id)
    kwargs.setdefault("type", widget.input_type)
    if "value" not in kwargs:
        kwargs["value"] = field._value()
    datalist = getattr(field, "_datalist", None)
    if datalist is not None and "list" not in kwargs:
        kwargs["list"] = datalist if isinstance(datalist, str) else datalist.id
    _with_flags(field, widget.validation_attrs, kwargs)
    return Markup(f"<input {html_params(name=field.name, **kwargs)}>")  # noqa: S704 - escaped


def render_textarea(field: Field, **kwargs: Any) -> Markup:
    """What WTForms' TextArea widget draws, through the quick html_params."""
    kwargs.setdefault("id", field.id)
    flags = getattr(field, "flags", {})
    for key in dir(flags):
        if key in field.widget.validation_attrs and key not in kwargs:
            kwargs[key] = getattr(flags, key)
    text = escape(field._value())
    return Markup(f"<textarea {html_params(name=field.name, **kwargs)}>\r\n{text}</textarea>")  # noqa: S704


# The Input widgets render_input knows (their own __call__ is copied there).
QUICK_INPUTS = frozenset(
    {
        Input.__call__,
        CheckboxInput.__call__,
        SubmitInput.__call__,
        _DateTimeBaseInput.__call__,
    }
)


def _option(choice: Any) -> str:
    """One <option>, as WTForms' Select.render_option draws it (attributes in name order)."""
    if choice.render_kw:
        return Select.render_option(choice)
    value = choice.value
    if isinstance(value, bool):
        value = str(value)
    value = escape(value).replace(Markup('"'), Markup("&quot;"))
    selected = "selected " if choice.selected else ""
    label = choice.label
    if hasattr(label, "__html__"):  # a lazy label: translated once here, not twice below
        label = Markup(label.__html__())  # noqa: S704 - what escape() would make of it
    return f'<option {selected}value="{value}">{escape(label or choice.value)}</option>'


def render_select(field: Field, **kwargs: Any) -> Markup:
    """The markup of WTForms' Select widget (no option groups), without its per-option
    attribute formatting and its per-call signature inspection: the same HTML, a fraction of
    the cost on pages with several selects (tests/test_web_forms.py compares the two)."""
    widget = field.widget
    kwargs.setdefault("id", field.id)
    if widget.multiple:
        kwargs["multiple"] = True
    flags = getattr(field, "flags", {})
    for key in dir(flags):
        if key in widget.validation_attrs and key not in kwargs:
            kwargs[key] = getattr(flags, key)
    options = "".join(_option(choice) for choice in field._iter_choices_normalized())
    return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")  # noqa: S704 - every value escaped above, as WTForms does


class CheckboxesField(SelectMultipleField):
    """Several choices as a group of checkboxes; none is ticked unless the user ticks it."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


# Separators people type in a sum of money: "1.500.000", "1,500,000", "1 500 000".
MONEY_SEPARATORS = re.compile(r"(?<=\d)[.,\s\u00a0](?=\d{3}(?:\D|$))")


class MoneyField(IntegerField):
    """A sum in đồng as people write it: digits with or without thousands separators."""

    widget = TextInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        render_kw = {"inputmode": "numeric", "autocomplete": "off", **kwargs.pop("render_kw", {})}
        super().__init__(*args, render_kw=render_kw, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Drop thousands separators and a trailing "đ"/"₫", then read a whole number."""
        if valuelist and isinstance(valuelist[0], str):
            text = valuelist[0].strip().removesuffix("₫").removesuffix("đ").strip()
            valuelist = [MONEY_SEPARATORS.sub("", text)]
        super().process_formdata(valuelist)


def id_or_none(value: Any) -> int | None:
    """Coerce a select's value to a row id; its empty first option is None (nothing chosen)."""
    return None if value in (None, "", "None") else int(value)


def choices(labels: Mapping, blank: bool = False) -> list[SelectChoice]:
    """Select choices from a {value: label} mapping (enum members or strings), optionally
    with an empty first choice."""
    listed = [SelectChoice(str(value), label) for value, label in labels.items()]
    return [SelectChoice("", EMPTY), *listed] if blank else listed


def fact_choices(labels: Mapping) -> list[SelectChoice]:
    """Choices of a select that records a fact: it starts empty, so nothing is chosen silently."""
    return choices(labels, blank=True)


def starting_empty(listed: Iterable[SelectChoice], empty: Any = 0) -> list[SelectChoice]:
    """Choices set by a view for a select that records a fact: an empty option comes first."""
    return [SelectChoice(empty, EMPTY), *listed]


AREA_GROUPS = {
    AreaLevel.PROVINCE: _l("Provinces and cities"),
    AreaLevel.COMMUNE: _l("Communes and wards"),
}


def area_choices(areas: Iterable[Area]) -> list[SelectChoice]:
    """Areas as choices under the headings of their level: a list holding the provinces and
    then the communes, each in alphabetical order, read as one list out of order."""
    return [
        SelectChoice(
            a.id, a.name, optgroup=str(AREA_GROUPS[a.level]) if a.level in AREA_GROUPS else None
        )
        for a in areas
    ]


def choose() -> DataRequired:
    """Required choice of a fact (the empty first option is refused)."""
    return DataRequired(message=_l("Choose one."))


def field_error(field: Field, message: Any) -> None:
    """Show a refusal under the field it concerns (a service's refusal, after validation)."""
    field.errors = [*field.errors, str(message)]


def date_refused(form: FlaskForm, refusal: Any) -> None:
    """Show a date the case refuses (cases.dates.CaseDateRefused) under its field, unless the
    form's own check already says what is wrong with it (a date in the future, before 2000)."""
    field = form[refusal.field]
    if not field.errors:
        field_error(field, refusal.message())


def flash_errors(form: FlaskForm) -> None:
    """For a form posted from a page it redirects back to: say what is wrong, field by field."""
    for field in form:
        named = field.label.text and field.type not in ("HiddenField", "CSRFTokenField")
        for error in field.errors if isinstance(field.errors, list | tuple) else ():
            flash(f"{field.label.text}: {error}" if named else str(error), "danger")


def flash_warnings(form: FlaskForm) -> None:
    """Flash the non-blocking warnings of a form that was saved (e.g. a due date in the past)."""
    for field in form:
        for warning in getattr(field, "warnings", ()):
            flash(f"{field.label.text}: {warning}", "warning")


def sub_group_label(sub_group: Any) -> str:
    """A sub-group as users know it: the legal letter for children's groups, then its name.

    Other groups' codes (sexual, labour, ...) are internal and never shown."""
    code = sub_group.code
    if sub_group.group_code == "child" and len(code) == 1:
        return f"{code}) {sub_group.label}"
    return sub_group.label


def sub_group_choices(sub_groups: Iterable[Any]) -> list[SelectChoice]:
    """Checkbox choices for sub-groups, each tagged with its group for the filtering script."""
    return [
        SelectChoice(s.id, sub_group_label(s), render_kw={"data-group": s.group_code})
        for s in sub_groups
    ]
