"""Record ids in URLs: bounded, so a huge number is a plain 404 and never reaches the database."""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from werkzeug.routing import IntegerConverter

MAX_ID = 2**53


class IdConverter(IntegerConverter):
    """An id in a URL: 1 to 16 digits, at most 2**53 (PostgreSQL refuses a bigint overflow with
    an error, which would be a 500), so that a larger number matches no route."""

    regex = r"[1-9]\d{0,15}"

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)


def parse_id(text: str) -> int | None:
    """A record id typed or sent as text: None when it is not a whole number (ASCII digits) or
    is past any id, so that it never reaches the database, whose integers a larger number
    would overflow."""
    if not text.isascii() or not text.isdigit() or len(text) > 16:
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def id_arg(name: str) -> int | None:
    """A record id named in the query string (`?worker=5`; see parse_id): None when it is
    missing or no id (an edited link)."""
    return parse_id(request.args.get(name, ""))


def init_app(app: Flask) -> None:
    """Make every `<int:...>` route of the screens take a bounded id (before routes are added)."""
    app.url_map.converters["int"] = IdConverter
