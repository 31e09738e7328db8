"""Edit forms saved over someone else's save: what each side changed, merged field by field.

An edit form carries, next to the version it was loaded at, a keyed digest of each field's value
as loaded (never the value). When the save is refused because another save came first, the form
is shown again with the fields its user left alone set to the values now saved, and the fields
that the user changed kept as they typed them. The page lists what the other save changed, and
marks the fields both changed. Saving again then overwrites only what its user chose.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app
from wtforms import Form


def _text(value: object) -> str:
    """One form of a value for comparison: empty for none, sorted for a list, ISO for a date."""
    if value is None:
        return ""
    if isinstance(value, list | tuple | set):
        return ",".join(sorted(_text(item) for item in value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _digest(name: str, value: object) -> str:
    key = current_app.secret_key
    key = key.encode() if isinstance(key, str) else bytes(key)
    message = f"{name}\0{_text(value)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:20]


def _fingerprint(values: Mapping[str, object]) -> str:
    """The hidden field's value: each field's digest as loaded."""
    return json.dumps({name: _digest(name, value) for name, value in values.items()})


def load(form: Form, values: Mapping[str, object]) -> None:
    """Fill the form's fields from the record's `values`, and keep their digests as loaded."""
    for name, value in values.items():
        if name in form:
            form[name].data = value
    form.loaded.data = _fingerprint(values)


def _loaded(token: str | None) -> dict[str, str]:
    try:
        found = json.loads(token or "")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


@dataclass(frozen=True)
class Change:
    """A field the other save changed: its label, the value saved, and whether this form's user
    changed it too (their own value is then the one in the form)."""

    name: str
    label: str
    saved: str
    also_yours: bool


def _shown(field, value: object) -> str:
    """The saved value as the form would show it (a choice's label, not its code)."""
    choices = getattr(field, "choices", None)
    if choices:
        labels = {_text(choice.value): choice.label for choice in field.iter_choices()}
        wanted = value if isinstance(value, list | tuple | set) else [value]
        shown = [str(labels.get(_text(item), item)) for item in wanted if _text(item)]
        return ", ".join(shown) or "—"
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return _text(value) or "—"


def merge(form: Form, loaded: str | None, saved: Mapping[str, object]) -> list[Change]:
    """Set the fields this form's user left as loaded to the `saved` values; the changes of
    the other save, in the form's order. Without the digests (an old page), every field that
    differs from the saved value is listed as changed by both, and the form keeps its values."""
    digests = _loaded(loaded)
    changes = []
    for field in form:
        if field.name not in saved:
            continue
        value, was = saved[field.name], digests.get(field.name)
        if was is not None and _digest(field.name, value) == was:
            continue  # the other save left it alone
        mine_untouched = was is not None and _digest(field.name, field.data) == was
        if mine_untouched:
            field.data = value
        elif _text(field.data) == _text(value):
            continue  # both made the same change
        label = str(field.label.text)
        changes.append(Change(field.name, label, _shown(field, value), not mine_untouched))
    form.loaded.data = _fingerprint(saved)
    return changes
