"""Languages: Vietnamese by default, English on request; the choice is kept per user."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import (
    Babel,
    Domain,
    format_currency,
    format_date,
    format_datetime,
    get_locale,
    get_translations,
)
from flask_babel import _get_current_context as babel_context
from flask_babel import gettext as _
from flask_login import current_user
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from casemgr import clock
from casemgr.clock import local_date
from casemgr.extensions import babel
from casemgr.web.problems import API_PREFIX

# Explicit patterns: Vietnamese users expect dd/mm/yyyy everywhere.
DATE_PATTERNS = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy"}
DATETIME_PATTERNS = {"vi": "dd/MM/yyyy HH:mm", "en": "d MMM yyyy HH:mm"}


class RequestDomain(Domain):
    """Flask-Babel's message domain, keeping the request's translations once found.

    Flask-Babel finds them again for every string it translates (a lazy label, a gettext in
    Python: 30-50 on a page, several context look-ups, the locale and a cache key each). They
    are kept in Flask-Babel's own per-request slot `babel_translations`, which goes with the
    locale: `refresh()` clears both, `force_locale()` swaps and restores both together.
    """

    def get_translations(self) -> Any:
        """The translations of the request's locale (found once per request)."""
        ctx = babel_context()
        if ctx is None:
            return super().get_translations()
        kept = getattr(ctx, "babel_translations", None)
        if kept is not None and getattr(ctx, "babel_locale", None) is not None:
            return kept
        translations = super().get_translations()  # sets ctx.babel_locale
        ctx.babel_translations = translations
        return translations


def use_request_domain(instance: Babel, domain: str) -> None:
    """Make `instance` translate through a RequestDomain (its default domain otherwise)."""
    if not isinstance(instance.__dict__.get("domain_instance"), RequestDomain):
        instance.domain_instance = RequestDomain(domain=domain)


def select_locale() -> str:
    """The signed-in user's language, else the one chosen in this session, else Vietnamese;
    for the JSON API, the caller's Accept-Language (Vietnamese by default)."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.path.startswith(API_PREFIX):
        return (
            request.accept_languages.best_match(languages)
            or current_app.config["BABEL_DEFAULT_LOCALE"]
        )
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def show_date(value: dt.date | dt.datetime | str | None) -> str:
    """Format a date the way the current language writes it (ISO strings too: stored dates)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):  # an encrypted date field holds yyyy-mm-dd
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):  # a stored UTC moment: the day it was in Viet Nam
        value = local_date(value)
    return format_date(value, DATE_PATTERNS.get(str(get_locale()), "yyyy-MM-dd"))


def show_datetime(value: dt.datetime | None) -> str:
    """Format a UTC timestamp in local time the way the current language writes it."""
    if value is None:
        return ""
    return format_datetime(value, DATETIME_PATTERNS.get(str(get_locale()), "yyyy-MM-dd HH:mm"))


def show_money(value: int | None) -> str:
    """A sum in dong the way the current language writes it: "1.500.000 ₫" in Vietnamese."""
    if value is None:
        return ""
    return format_currency(value, "VND")


def age_on(born: dt.date | None, birth_year: int | None, day: dt.date) -> tuple[int, bool] | None:
    """(age in whole years on `day`, whether it is approximate), or None if nothing is known.

    Exact from a full date of birth; from a birth year alone it is approximate (a year's
    difference, which may be one too many until the birthday).
    """
    if born is not None:
        years = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
        return max(years, 0), False
    if birth_year is not None:
        return max(day.year - birth_year, 0), True
    return None


def show_age(person) -> str:
    """A person's age today, e.g. "10 tuổi", or "~ 10 tuổi" from a birth year only."""
    born = person.date_of_birth
    try:
        born = dt.date.fromisoformat(str(born)) if born else None
    except ValueError:
        born = None
    found = age_on(born, person.birth_year, clock.today())
    if found is None:
        return ""
    years, approximate = found
    if approximate:
        return _("~ %(n)d years old", n=years)
    return _("%(n)d years old", n=years)


def init_app(app: Flask) -> None:
    """Attach Flask-Babel with our selector and the date filters."""
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(app.root_path + "/translations"),
    )
    use_request_domain(babel, app.config.get("BABEL_DOMAIN", "messages"))
    app.jinja_env.filters["date"] = show_date
    app.jinja_env.filters["datetime"] = show_datetime
    app.jinja_env.filters["money"] = show_money
    app.jinja_env.filters["age"] = show_age
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
    app.context_processor(template_gettext)


def _render_gettext(translations) -> dict[str, Any]:
    """`gettext` and `ngettext` for one render, bound to the translations of the request.

    Jinja's `_()` looks up `gettext` in the template's context. Flask-Babel's own callables find
    the translations again for every string (several context-local look-ups each, ~90 strings
    on a case page); these are handed the translations once per render, and otherwise do what
    Jinja's "newstyle" callables do: mark safe under autoescape, then format with the variables
    (a string without variables and without % comes out unchanged, so it is not formatted).
    Templates imported without context keep Flask-Babel's callables (same result, slower).
    """

    @pass_context
    def gettext(__context: Context, __string: str, **variables: Any) -> str:
        rv = translations.ugettext(__string)
        if __context.eval_ctx.autoescape:
            rv = Markup(rv)  # noqa: S704 - the catalogue's text, as Jinja's i18n marks it
        if not variables and "%" not in rv:
            return rv
        return rv % variables

    @pass_context
    def ngettext(
        __context: Context, __singular: str, __plural: str, __num: int, **variables: Any
    ) -> str:
        variables.setdefault("num", __num)
        rv = translations.ungettext(__singular, __plural, __num)
        if __context.eval_ctx.autoescape:
            rv = Markup(rv)  # noqa: S704 - the catalogue's text, as Jinja's i18n marks it
        return rv % variables

    # `_` too: Jinja's own `_` is an alias that looks `gettext` up again and calls it through
    # the context (two calls per string); this one is that `gettext` itself.
    return {"gettext": gettext, "ngettext": ngettext, "_": gettext}


def template_gettext() -> dict[str, Any]:
    """Context processor: the render's gettext callables (see _render_gettext)."""
    return _render_gettext(get_translations())
