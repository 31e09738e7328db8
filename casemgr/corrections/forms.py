"""Correction and void forms: a correction is the record's own form (same vocabulary and
validators) plus a required reason; a void is a required reason."""

from __future__ import annotations

from functools import cache
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from casemgr.cases.forms import NoteForm, PlanActionForm
from casemgr.corrections.services import MAX_REASON
from casemgr.groups.forms import DrugTestForm
from casemgr.people.forms import ConsentForm, RelativeForm
from casemgr.support.forms import DeliveryForm
from casemgr.web.forms import Form

ORIGINAL_FORMS: dict[str, type] = {
    "relative": RelativeForm,
    "consent": ConsentForm,
    "drug_test": DrugTestForm,
    "service": DeliveryForm,
    "note": NoteForm,
    "plan_action": PlanActionForm,
}


def _reason() -> TextAreaField:
    return TextAreaField(
        _l("Reason"),
        validators=[DataRequired(), Length(max=MAX_REASON)],
        render_kw={"rows": 3},
    )


class VoidForm(Form):
    """Void a record: why (required, sealed)."""

    reason = _reason()
    submit = SubmitField(_l("Void"))


@cache
def correction_form(kind: str) -> type:
    """The form class correcting `kind`: its original form, a reason, and no hidden ids."""
    original = ORIGINAL_FORMS[kind]
    attrs: dict[str, Any] = {
        "__doc__": f"Correct a {kind}: its own form plus a required reason.",
        "reason": _reason(),
        "submit": SubmitField(_l("Save correction")),
    }
    if kind == "drug_test":
        attrs["programme_id"] = None  # the programme stays the record's own
    return type(f"Correct{original.__name__}", (original,), attrs)


def shown_values(form: Any, names: tuple[str, ...]) -> list[tuple[Any, Any]]:
    """(label, value) of each named field as the form shows it: a choice by its label."""
    shown = []
    for name in names:
        field = form[name]
        value = field.data
        if getattr(field, "choices", None) is not None:
            selected = [choice[1] for choice in field.iter_choices() if choice[2]]
            value = selected[0] if selected else value
        shown.append((field.label.text, value))
    return shown
