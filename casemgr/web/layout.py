"""What every page's layout needs: the menu for the user's roles and the header forms."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from casemgr.auth.roles import ROLE_LABELS, Action
from casemgr.web.access import user_may
from casemgr.web.cards import cards


@dataclass(frozen=True)
class NavGroup:
    """A menu group: shown as a dropdown, or as a plain link when it holds one entry."""

    title: str
    items: tuple


@dataclass(frozen=True)
class NavItem:
    """One menu entry."""

    label: str
    url: str


# (group, ((label, endpoint, action needed), ...)); later modules add their entries here.
MENU = (
    (
        _l("Casework"),
        (
            (_l("Intake reports"), "intake.queue", Action.VIEW_CASES),
            (_l("Cases"), "cases.caseload", Action.VIEW_CASES),
            (_l("People"), "people.index", Action.VIEW_CASES),
            (_l("My tasks"), "rules.my_tasks", Action.VIEW_CASES),
            (_l("Referrals"), "support.referrals_list", Action.VIEW_CASES),
            (_l("Service points"), "support.points", Action.VIEW_SERVICE_POINTS),
        ),
    ),
    (
        _l("Supervision"),
        (
            (_l("Supervision"), "supervision.dashboard", Action.APPROVE_CASES),
            (_l("Overdue"), "rules.overdue", Action.APPROVE_CASES),
            (_l("Incoming transfers"), "cases.transfers.incoming", Action.APPROVE_CASES),
            (_l("Intervention models"), "programmes.index", Action.VIEW_PROGRAMMES),
            (_l("Reports"), "reports.index", Action.VIEW_REPORTS),
        ),
    ),
    (
        _l("Audit"),
        (
            (_l("Audit log"), "audit.events", Action.VIEW_AUDIT),
            (_l("Alerts"), "audit.alerts", Action.REVIEW_ALERTS),
        ),
    ),
    (
        _l("Administration"),
        (
            (_l("Users"), "admin.users", Action.MANAGE_USERS),
            (_l("Units"), "admin.units", Action.MANAGE_UNITS),
            (_l("Rules and calendar"), "rules.index", Action.MANAGE_REFERENCE_DATA),
            (_l("Erasure requests"), "people.erasure_requests", Action.CONFIRM_ERASURE),
            (_l("Background work"), "jobs.background", Action.MANAGE_BACKGROUND_WORK),
        ),
    ),
)


def nav_items() -> tuple[NavGroup, ...]:
    """Menu groups with the entries the signed-in user may use (empty groups left out).

    The menu depends only on the user's roles, the language and where the app is mounted: it
    is built once per such combination and kept (a few per process), not on every page."""
    if not current_user.is_authenticated:
        return ()
    key = (frozenset(current_user.role_set()), str(get_locale()), request.script_root)
    cache = current_app.extensions.setdefault("casemgr.nav", {})
    groups = cache.get(key)
    if groups is None:
        groups = cache[key] = _build_nav()
    return groups


def _build_nav() -> tuple[NavGroup, ...]:
    groups = []
    for title, entries in MENU:
        items = tuple(
            NavItem(str(label), url_for(endpoint))
            for label, endpoint, action in entries
            if user_may(current_user, action)
        )
        if items:
            groups.append(NavGroup(str(title), items))
    return tuple(groups)


def csrf_field() -> Markup:
    """The hidden CSRF input a form's `csrf_token` field draws (same token, same markup), for
    forms that carry nothing else: no form object is built for them on every page."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return Markup("")  # as a form without its csrf_token field draws nothing
    name = escape(current_app.config["WTF_CSRF_FIELD_NAME"])
    token = escape(generate_csrf())
    return Markup(f'<input id="{name}" name="{name}" type="hidden" value="{token}">')  # noqa: S704


def without_page(args) -> dict[str, str]:
    """The current query arguments without `page`, for the pager's links."""
    return {key: value for key, value in args.items() if key != "page"}


def init_app(app: Flask) -> None:
    """Expose the layout helpers to templates."""
    app.jinja_env.filters["without_page"] = without_page
    app.jinja_env.filters["cards"] = cards  # list tables become cards on small screens
    app.jinja_env.globals.update(
        nav_items=nav_items,
        csrf_field=csrf_field,
        # The header forms only carry a CSRF token (csrf_field): nothing is bound to the page's
        # posted body, which an error page (413) must not read.
        role_label=lambda role: ROLE_LABELS[role],
    )
