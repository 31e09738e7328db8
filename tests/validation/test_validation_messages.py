"""Every message a form can show goes through our catalogue: no WTForms English default reaches
a Vietnamese page (issue 10: "This field is required.", "Field cannot be longer than…")."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import flask_babel
import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    SubmitField,
)

import casemgr
from casemgr.web.forms import Form

ROOT = Path(casemgr.__file__).parent
MARK = "«"


def _form_modules() -> list:
    names = [
        f"casemgr.{info.name}.{module}"
        for info in pkgutil.iter_modules([str(ROOT)])
        if info.ispkg
        for module in ("forms", "transfer_forms")
        if (ROOT / info.name / f"{module}.py").exists()
    ]
    return [importlib.import_module(name) for name in names]


def _form_classes() -> list[type]:
    found = {}
    for module in _form_modules():
        for _name, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, FlaskForm) and value.__module__.startswith("casemgr."):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[key] for key in sorted(found)]


FORMS = _form_classes()


def test_forms_are_found():
    assert len(FORMS) > 40


@pytest.mark.parametrize("form_class", FORMS, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_every_form_speaks_the_users_language(form_class):
    """Built on our base form, whose WTForms messages come from our catalogue."""
    assert issubclass(form_class, Form)


class _Pseudo:
    """A catalogue that marks every string it translates."""

    def ugettext(self, string):
        return MARK + string

    def ungettext(self, singular, plural, n):
        return MARK + (singular if n == 1 else plural)

    gettext, ngettext = ugettext, ungettext

    def upgettext(self, context, string):
        return MARK + string

    def unpgettext(self, context, singular, plural, n):
        return MARK + (singular if n == 1 else plural)


def _hostile(form, variant: str) -> MultiDict:
    data = MultiDict()
    for field in form:
        if isinstance(field, SubmitField | FileField):
            continue
        if variant == "empty":
            continue
        if isinstance(field, DateTimeLocalField):
            value = {"bad": "không phải ngày", "far": "2999-01-01T10:00"}.get(
                variant, "1800-01-01T10:00"
            )
        elif isinstance(field, DateField):
            value = {"bad": "32/13/2026", "far": "2999-01-01"}.get(variant, "1800-01-01")
        elif isinstance(field, IntegerField | DecimalField):
            value = {"bad": "mười", "far": "99999999999999"}.get(variant, "-5")
        elif isinstance(field, SelectMultipleField):
            data.add(field.name, "zz-unknown")
            continue
        elif isinstance(field, SelectField):
            value = "zz-unknown"
        elif isinstance(field, BooleanField):
            value = "y"
        elif isinstance(field, HiddenField):
            value = {"bad": "<script>", "far": "x" * 300}.get(variant, "")
        else:
            value = "<b>x</b>" * 2501  # 20,008 characters
        data.add(field.name, value)
    return data


def _errors(field) -> list:
    errors = field.errors
    return [m for ms in errors.values() for m in ms] if isinstance(errors, dict) else errors


@pytest.mark.parametrize("variant", ["empty", "bad", "far", "past"])
@pytest.mark.parametrize("form_class", FORMS, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_every_refusal_is_a_translated_message(app, monkeypatch, form_class, variant):
    monkeypatch.setattr(flask_babel.Domain, "get_translations", lambda self: _Pseudo())
    with app.test_request_context("/", method="POST"):
        probe = form_class(formdata=None, meta={"csrf": False})
        form = form_class(formdata=_hostile(probe, variant), meta={"csrf": False})
        for field in form:
            if isinstance(field, SelectField | SelectMultipleField) and not field.choices:
                field.choices = [SelectChoice("1", "one")]
        form.validate()
        messages = [str(message) for field in form for message in _errors(field)]
    untranslated = [m for m in messages if not m.startswith(MARK)]
    assert not untranslated, untranslated


def _vocabulary_msgids() -> set[str]:
    msgids = set()
    for path in (ROOT / "web" / "validators.py", ROOT / "web" / "forms.py"):
        for _line, message, _comments, _context in extract_from_file(
            "python", str(path), keywords={"_l": None, "_": None}
        ):
            msgids.add(message if isinstance(message, str) else message[0])
    return msgids


def test_the_vocabulary_is_in_the_vietnamese_catalogue():
    """Every message of the vocabulary has a Vietnamese translation (from the forms' .po)."""
    with open(ROOT / "translations" / "vi" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalogue = read_po(handle)
    missing = sorted(
        msgid
        for msgid in _vocabulary_msgids()
        if not (catalogue.get(msgid) and catalogue.get(msgid).string)
    )
    assert not missing, missing
