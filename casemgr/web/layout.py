"""What every page's layout needs: the menu for the user's roles and the header forms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from casemgr.auth.roles import ROLE_LABELS, Action
from casemgr.web.access import here, user_may
from casemgr.web.cards import cards


@dataclass(frozen=True)
class NavItem:
    """One menu entry."""

    label: str
    url: str


@dataclass(frozen=True)
class NavGroup:
    """A part of the menu: a dropdown under its title (a plain link when it holds one entry),
    or, without a title, entries shown on the bar itself."""

    title: str
    items: tuple[NavItem, ...]


@dataclass(frozen=True)
class MenuEntry:
    """An entry of MENU: shown to a user permitted every action in `needs`."""

    label: Any
    endpoint: str
    needs: tuple[Action, ...]


def _entry(label: Any, endpoint: str, *needs: Action) -> MenuEntry:
    return MenuEntry(label, endpoint, needs)


# The menu: (group title, entries); entries without a title sit on the bar itself. The daily
# work is on the bar, the rest in dropdowns by area, so that the bar keeps one line at 1280 px
# in Vietnamese for every role (tests/browser/test_accessibility.py measures it). An endpoint
# listed in several groups is shown once, in the first group the user may see it in: a
# supervisor finds the alerts and erasure requests under "Supervision", an auditor the alerts
# under "Audit", an administrator the erasure requests under "Administration".
MENU: tuple[tuple[Any, tuple[MenuEntry, ...]], ...] = (
    (
        None,
        (
            _entry(_l("Dashboard"), "home.dashboard", Action.VIEW_DASHBOARD),
            _entry(_l("Intake reports"), "intake.queue", Action.VIEW_CASES),
            _entry(_l("Cases"), "cases.caseload", Action.VIEW_CASES),
            _entry(_l("People"), "people.index", Action.VIEW_CASES),
            _entry(_l("Tasks"), "rules.my_tasks", Action.VIEW_CASES),
        ),
    ),
    (
        _l("Supervision"),
        (
            _entry(_l("Supervision overview"), "supervision.dashboard", Action.APPROVE_CASES),
            _entry(_l("Approvals"), "supervision.approvals", Action.APPROVE_CASES),
            _entry(_l("Reassign"), "supervision.reassign", Action.REASSIGN_CASES),
            _entry(_l("Overdue"), "rules.overdue", Action.APPROVE_CASES),
            _entry(_l("Incoming transfers"), "cases.transfers.incoming", Action.APPROVE_CASES),
            _entry(_l("Reports"), "reports.index", Action.VIEW_REPORTS),
            _entry(_l("Alerts"), "audit.alerts", Action.APPROVE_CASES, Action.REVIEW_ALERTS),
            _entry(
                _l("Erasure requests"),
                "people.erasure_requests",
                Action.APPROVE_CASES,
                Action.CONFIRM_ERASURE,
            ),
        ),
    ),
    (
        _l("Audit"),
        (
            _entry(_l("Audit log"), "audit.events", Action.VIEW_AUDIT),
            _entry(_l("Alerts"), "audit.alerts", Action.REVIEW_ALERTS),
        ),
    ),
    (
        _l("Administration"),
        (
            _entry(_l("Users"), "admin.users", Action.MANAGE_USERS),
            _entry(_l("Units"), "admin.units", Action.MANAGE_UNITS),
            _entry(_l("Rules and calendar"), "rules.index", Action.MANAGE_REFERENCE_DATA),
            _entry(_l("Erasure requests"), "people.erasure_requests", Action.CONFIRM_ERASURE),
            _entry(_l("Background work"), "jobs.background", Action.MANAGE_BACKGROUND_WORK),
        ),
    ),
    (
        _l("Services"),
        (
            _entry(_l("Referrals"), "support.referrals_list", Action.VIEW_CASES),
            _entry(_l("Service points"), "support.points", Action.VIEW_SERVICE_POINTS),
            _entry(_l("Intervention models"), "programmes.index", Action.VIEW_PROGRAMMES),
        ),
    ),
)
# A menu of this many entries or fewer is shown whole on the bar (an auditor's three), not
# behind dropdowns of one or two entries each.
FLAT_UP_TO = 6


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
    shown: set[str] = set()
    for title, entries in MENU:
        items = []
        for entry in entries:
            if entry.endpoint in shown or not all(user_may(current_user, a) for a in entry.needs):
                continue
            shown.add(entry.endpoint)
            items.append(NavItem(str(entry.label), url_for(entry.endpoint)))
        if items:
            groups.append(NavGroup("" if title is None else str(title), tuple(items)))
    if len(shown) <= FLAT_UP_TO:
        return (NavGroup("", tuple(item for group in groups for item in group.items)),)
    return tuple(groups)


def nav_current(groups: tuple[NavGroup, ...]) -> str | None:
    """The URL of the menu entry the page belongs to: the longest entry URL that is the page's
    path or a folder above it ("/cases/12" is under "Cases", "/cases/transfers/incoming" under
    "Incoming transfers"); None on a page outside the menu."""
    path = request.script_root + request.path
    best = None
    for group in groups:
        for item in group.items:
            url = item.url
            if (path == url or path.startswith(url.rstrip("/") + "/")) and (
                best is None or len(url) > len(best)
            ):
                best = url
    return best


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
        nav_current=nav_current,
        csrf_field=csrf_field,
        here=here,  # the page's path, with its query string when it has one
        # The header forms only carry a CSRF token (csrf_field): nothing is bound to the page's
        # posted body, which an error page (413) must not read.
        role_label=lambda role: ROLE_LABELS[role],
    )
