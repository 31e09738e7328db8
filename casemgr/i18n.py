"""Languages: Vietnamese by default, English on request; the choice is kept per user."""

from __future__ import annotations

import datetime as dt

from flask import Flask, current_app, has_request_context, session
from flask_babel import format_date, format_datetime, get_locale
from flask_login import current_user

from casemgr.clock import local_date
from casemgr.extensions import babel

# Explicit patterns: Vietnamese users expect dd/mm/yyyy everywhere.
DATE_PATTERNS = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy"}
DATETIME_PATTERNS = {"vi": "dd/MM/yyyy HH:mm", "en": "d MMM yyyy HH:mm"}


def select_locale() -> str:
    """The signed-in user's language, else the one chosen in this session, else Vietnamese."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def show_date(value: dt.date | dt.datetime | str | None) -> str:
    """Format a date the way the current language writes it.

    A string is an ISO date (yyyy-mm-dd), as encrypted fields such as a date of birth keep it.
    """
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):  # a stored UTC moment: the day it was in Viet Nam
        value = local_date(value)
    return format_date(value, DATE_PATTERNS.get(str(get_locale()), "yyyy-MM-dd"))


def show_datetime(value: dt.datetime | None) -> str:
    """Format a UTC timestamp in local time the way the current language writes it."""
    if value is None:
        return ""
    return format_datetime(value, DATETIME_PATTERNS.get(str(get_locale()), "yyyy-MM-dd HH:mm"))


def init_app(app: Flask) -> None:
    """Attach Flask-Babel with our selector and the date filters."""
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(app.root_path + "/translations"),
    )
    app.jinja_env.filters["date"] = show_date
    app.jinja_env.filters["datetime"] = show_datetime
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
