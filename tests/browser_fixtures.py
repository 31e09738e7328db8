"""Browser fixtures, shared by every browser test through tests/conftest.py: the real app on a
loopback port, and one system Chromium driven by Playwright for the whole session.

The server has a database of its own (SQLite file, or a fresh PostgreSQL database when
CASEMGR_TEST_DATABASE_URL is set) with committed users: it must not share the per-test
rolled-back transaction of the `db` fixture, which another thread could never see.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import BaseWSGIServer, make_server

from casemgr import ROOT, create_app
from casemgr.admin.services import create_user
from casemgr.auth.roles import Role
from casemgr.crypto.keyfile import new_key_document
from casemgr.extensions import db, limiter
from casemgr.org.areas import load_current_areas
from casemgr.org.models import UnitKind
from casemgr.reference.services import load_reference_data
from tests.dbsetup import fresh_database
from tests.factories import PASSWORD, open_without_area

T = TypeVar("T")

CHROMIUM = Path(os.environ.get("CASEMGR_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    display_name: str


@dataclass(frozen=True)
class LiveServer:
    app: Flask
    base_url: str
    supervisor: Account  # must enrol TOTP at first sign-in
    worker: Account  # social worker, password only

    def url(self, path: str) -> str:
        return self.base_url + path


def _seed(app: Flask) -> tuple[Account, Account]:
    """Migrate, load the areas, and commit one unit with a supervisor and a social worker."""
    with app.app_context():
        upgrade()
        load_current_areas()
        load_reference_data()  # target groups, sub-groups, ethnicities (case forms)
        unit = open_without_area(
            code="BROWSER-1",
            name="Phòng Lao động – Xã hội (browser test)",
            kind=UnitKind.COMMUNE_OFFICE,
            parent=None,
            valid_from=dt.date(2025, 7, 1),
        )
        accounts = []
        for username, role, name in (
            ("browser.sup", Role.SUPERVISOR, "Nguyễn Thị Giám Sát"),
            ("browser.worker", Role.SOCIAL_WORKER, "Trần Văn Công Tác"),
        ):
            create_user(
                None,
                username=username,
                display_name=name,
                email=None,
                role=role,
                unit=unit,
                password=PASSWORD,
            )
            accounts.append(Account(username, PASSWORD, name))
        db.session.commit()
        db.session.remove()
    return accounts[0], accounts[1]


@contextmanager
def served_app(label: str, seed: Callable[[Flask], T]) -> Iterator[tuple[Flask, str, T]]:
    """A fresh database seeded by `seed(app)`, served by werkzeug on 127.0.0.1 (free port)
    from a background thread: yields the app, its base URL and what `seed` returned."""
    with (
        fresh_database(label) as url,
        tempfile.TemporaryDirectory(prefix=f"casemgr-{label}-") as folder,
    ):
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "CASEMGR_KEYS_JSON": json.dumps(new_key_document()),
                "CASEMGR_AUDIT_CHECKPOINT_DIR": str(Path(folder) / "audit-checkpoints"),
                # No checkpoint thread: it would use db.session, which the db fixture of the
                # tests running beside the shared live server swaps for its own connection.
                "CASEMGR_AUDIT_AUTO_CHECKPOINT": False,
                "ARGON2_TIME_COST": 1,
                "ARGON2_MEMORY_KIB": 1024,
                "ARGON2_PARALLELISM": 1,
                "RATELIMIT_STORAGE_URI": "memory://",
                "SESSION_COOKIE_SECURE": False,  # plain http on loopback
            }
        )
        seeded = seed(app)
        server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name=f"{label}-server", daemon=True)
        thread.start()
        try:
            yield app, f"http://127.0.0.1:{server.server_port}", seeded
        finally:
            server.shutdown()
            thread.join(timeout=5)
            server.server_close()
            with app.app_context():
                db.engine.dispose()


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    """The app with a supervisor and a worker, served on a loopback port."""
    with served_app("browser", _seed) as (app, base_url, (supervisor, worker)):
        yield LiveServer(app=app, base_url=base_url, supervisor=supervisor, worker=worker)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """The system Chromium, headless; the tests are skipped when it is not installed."""
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need the system Chromium at {CHROMIUM} (apt install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser, live_server: LiveServer) -> Iterator:
    """A fresh browser context (no cookies) and page; problems seen by the page are collected.

    `page.problems` lists console errors, failed requests and HTTP errors (CSP violations and
    missing assets show up there), so a test can assert that a page loaded cleanly.
    """
    limiter.reset()  # the sign-in throttles count per address; each test starts afresh
    context = browser.new_context(
        base_url=live_server.base_url,
        locale="vi-VN",
        viewport={"width": 1280, "height": 800},
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(f"console error: {message.text} ({message.location.get('url')})")
            if message.type == "error"
            and not message.location.get("url", "").endswith("/favicon.ico")
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "requestfailed",
        lambda request: (
            # ERR_ABORTED is the browser cancelling a request because a click navigated away
            # (scripts, the favicon): not a fault of the page. Errors answered by the server
            # are caught by the "response" handler below.
            None
            if "ERR_ABORTED" in (request.failure or "")
            else problems.append(f"request failed: {request.url} {request.failure}")
        ),
    )
    page.on(
        "response",
        lambda response: (
            problems.append(f"HTTP {response.status}: {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico")
            else None
        ),
    )
    page.problems = problems
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """The git-ignored folder for screenshots."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def menu_link(page, name: str):
    """A main-menu link by its visible text, its dropdown group opened first if it has one."""
    nav = page.locator("nav.navbar")
    # `has=` is matched inside each group, so the inner locator must not name the navbar.
    hidden_too = page.get_by_role("link", name=name, exact=True, include_hidden=True)
    group = nav.locator("li.dropdown", has=hidden_too)
    if group.count():
        # The groups open with Bootstrap's script: wait until the page has run it (a click
        # that comes first, on a loaded machine, opens nothing).
        page.wait_for_load_state("load")
        group.locator(".dropdown-toggle").click()
    return nav.get_by_role("link", name=name, exact=True)


def menu_entry(page, href: str):
    """A main-menu link by its address, its dropdown group opened first if it is in one (the
    menu puts an entry on the bar or in a group depending on the role)."""
    menu = page.get_by_test_id("main-menu")
    group = menu.locator(f"li.dropdown:has(a[href='{href}'])")
    if group.count():
        page.wait_for_load_state("load")  # the groups open with Bootstrap's script
        group.locator(".dropdown-toggle").click()
    return menu.locator(f"a[href='{href}']")
