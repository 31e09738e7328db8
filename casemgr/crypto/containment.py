"""Pages keep working when one record fails its integrity check: templates show a marker.

A value that fails to open raises IntegrityFailure (audited and alerted once per object by
crypto.fields). In a template, an attribute read or a call that raises it renders as
UNREADABLE ("[unreadable]", translated) instead, so a list with one tampered person still
answers. Pages that must not show a partial record (the person's own page) open every value
first with `fields.ensure_readable`, and the app's error handler refuses them.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.templating import Environment
from jinja2.runtime import Context

from casemgr.crypto.errors import IntegrityFailure
from casemgr.crypto.fields import UNREADABLE


class ContainedContext(Context):
    """A template context whose calls (`person.full_name()`) contain integrity failures."""

    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().call(__obj, *args, **kwargs)
        except IntegrityFailure:
            return UNREADABLE


class ContainedEnvironment(Environment):
    """Flask's template environment, with attribute and item reads that contain failures."""

    context_class = ContainedContext

    def getattr(self, obj: Any, attribute: str) -> Any:
        try:
            return super().getattr(obj, attribute)
        except IntegrityFailure:
            return UNREADABLE

    def getitem(self, obj: Any, argument: Any) -> Any:
        try:
            return super().getitem(obj, argument)
        except IntegrityFailure:
            return UNREADABLE


def init_app(app: Flask) -> None:
    """Use the containing environment (before anything creates app.jinja_env)."""
    app.jinja_environment = ContainedEnvironment
