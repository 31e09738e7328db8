"""Accessibility to WCAG 2.2 AA in a real browser (issue 11, item 6).

axe-core (bundled by the axe-playwright-python package: no network at run time) checks one page
of every endpoint that each role reaches by following the links of its pages from the dashboard,
in Vietnamese and in English, at 1366 and 390 px wide; no serious or critical violation may be
found. The VI header fits on one line at 1280 and 1366 px for every role.

The pages come from the demo province (casemgr.demo), served by a live server of its own.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import pyotp
import pytest
from flask import Flask, url_for
from flask_migrate import upgrade
from playwright.sync_api import expect
from sqlalchemy import delete, select, update
from werkzeug.exceptions import HTTPException

from casemgr import clock
from casemgr.auth.models import User
from casemgr.cases.models import Case
from casemgr.demo import DEMO_PASSWORD, load_demo_data
from casemgr.extensions import db, limiter
from casemgr.notifications.models import Notification, NotificationKind
from casemgr.org.areas import load_current_areas
from casemgr.reference.services import load_reference_data
from tests.browser_fixtures import TIMEOUT_MS, served_app
from tests.dbsetup import base_url
from tests.support.seeds import send_demo_referral

axe_base = pytest.importorskip(
    "axe_playwright_python.base", reason="axe-playwright-python is not installed"
)
AXE_SCRIPT = axe_base.AXE_SCRIPT  # the package's bundled axe.min.js, read from disk
AXE_RUN = "options => axe.run(document, options)"

ROLES = {
    "social_worker": "demo.worker1",
    "supervisor": "demo.sup1",
    "auditor": "demo.auditor",
    "administrator": "demo.admin",
}
# The header is also checked for a supervisor of the provincial department (more units below).
HEADER_ROLES = {**ROLES, "provincial_supervisor": "demo.lead"}
WIDTHS = (1366, 390)
BAR_CLIP = {"x": 0, "y": 0, "width": 1366, "height": 120}
HEIGHT = 800
BLOCKING = {"serious", "critical"}
# Not pages: assets, and what only leaves (sign-out) or answers with a file.
SKIPPED_ENDPOINTS = {"static", "bootstrap.static", "auth.logout"}
# axe's WCAG 2.0-2.2 A and AA rules (not its best practices, AAA or experimental rules) at the
# first width; at the narrow width, the rules whose outcome depends on the layout (the others
# judge markup, which a width does not change: the runtime bound of docs/accessibility.md).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
LAYOUT_RULES = [
    "color-contrast",
    "target-size",
    "scrollable-region-focusable",
    "link-in-text-block",
    "meta-viewport",
    "region",
]
AXE_OPTIONS = {
    WIDTHS[0]: {"resultTypes": ["violations"], "runOnly": {"type": "tag", "values": WCAG_TAGS}},
    WIDTHS[1]: {"resultTypes": ["violations"], "runOnly": {"type": "rule", "values": LAYOUT_RULES}},
}
# Runtime bound: every role checks all its pages in Vietnamese (the default language), and in
# English its dashboard and the endpoints no role before it checked in English.
CHECKED_IN_ENGLISH: set[str] = set()
TOTP_SECRETS: dict[str, str] = {}  # role -> the key it enrolled at its first sign-in


@dataclass
class DemoServer:
    app: Flask
    base_url: str


def _load_demo(app: Flask) -> None:
    with app.app_context():
        upgrade()
        load_current_areas()
        load_reference_data()
        load_demo_data()
        send_demo_referral("demo.worker1")  # the referral letter is a page to check
        db.session.commit()
        db.session.remove()


@pytest.fixture(scope="module")
def demo_server() -> Iterator[DemoServer]:
    """The app with the demo province committed, served on a loopback port."""
    with served_app("a11y", _load_demo) as (app, base_url, _):
        yield DemoServer(app, base_url)


@dataclass
class Findings:
    """Serious and critical violations, one line per rule, page, language and width."""

    lines: list[str] = field(default_factory=list)
    runs: int = 0
    seconds: float = 0.0  # spent in axe
    inject: float = 0.0

    def add(self, label: str, results: dict) -> None:
        self.runs += 1
        for violation in results["violations"]:
            if violation["impact"] in BLOCKING:
                nodes = violation["nodes"]
                targets = "; ".join(" ".join(n["target"]) for n in nodes[:3])
                why = " ".join((nodes[0].get("failureSummary") or "").split())[:200]
                self.lines.append(
                    f"{label}: {violation['id']} ({violation['impact']}, "
                    f"{len(nodes)} nodes) {targets} — {why}"
                )


class RoleWalk:
    """One role in one browser context: signs in, then reaches one page per endpoint."""

    def __init__(self, browser, server: DemoServer, role: str, width: int = WIDTHS[0]) -> None:
        self.server, self.role, self.username = server, role, HEADER_ROLES[role]
        self.adapter = server.app.url_map.bind("127.0.0.1")
        self.context = browser.new_context(
            base_url=server.base_url, locale="vi-VN", viewport={"width": width, "height": HEIGHT}
        )
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()

    def close(self) -> None:
        self.context.close()

    def endpoint(self, url: str) -> str:
        try:
            endpoint, _ = self.adapter.match(urlsplit(url).path, method="GET")
        except HTTPException:
            return "?"
        return endpoint

    def sign_in(self, findings: Findings | None = None) -> None:
        """Sign in through the forms, enrolling TOTP where the role must (checking those pages)."""
        page = self.page
        page.goto("/auth/login")
        self.check(f"{self.role} auth.login", findings)
        page.locator("input[name=username]").fill(self.username)
        page.locator("input[name=password]").fill(DEMO_PASSWORD)
        with page.expect_navigation():  # a read before the next page loads sees the old one
            page.locator("main form [type=submit]").click()
        path = urlsplit(page.url).path
        if path in ("/auth/mfa/enrol", "/auth/mfa"):
            self.check(f"{self.role} {path}", findings)
            if path == "/auth/mfa/enrol":
                TOTP_SECRETS[self.role] = page.get_by_test_id("totp-secret").inner_text().strip()
            page.locator("input[name=code]").fill(self.totp_code())
            with page.expect_navigation():
                page.locator("main form [type=submit]").click()
            if page.get_by_test_id("recovery-codes").count():  # enrolment ends on the codes
                self.check(f"{self.role} recovery codes", findings)
                with page.expect_navigation():
                    page.get_by_test_id("recovery-codes-continue").click()
        assert urlsplit(page.url).path == "/dashboard", f"{self.role} could not sign in"
        if page.locator("html").get_attribute("lang") != "vi":
            self.switch_language("vi")  # an earlier test left this user's choice on English

    def totp_code(self) -> str:
        """A code for the role's enrolled key, at a time step the server has not yet used."""
        totp = pyotp.TOTP(TOTP_SECRETS[self.role])
        step = int(clock.utcnow().timestamp() // totp.interval)
        with self.server.app.app_context():
            last = db.session.scalar(
                select(User.totp_last_step).where(User.username == self.username)
            )
            db.session.remove()
        if last is not None and last >= step:
            step = last + 1
        return totp.generate_otp(step)

    def check(self, label: str, findings: Findings | None) -> None:
        """Run axe on the page as it is, at each width."""
        if findings is None:
            return
        # axe is injected once per page load, then run at each width.
        started = time.monotonic()
        self.page.evaluate(AXE_SCRIPT)
        findings.inject += time.monotonic() - started
        for width in WIDTHS:
            self.page.set_viewport_size({"width": width, "height": HEIGHT})
            findings.add(f"{label} @{width}", self.page.evaluate(AXE_RUN, AXE_OPTIONS[width]))
        findings.seconds += time.monotonic() - started
        self.page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})

    def discover(self, findings: Findings) -> dict[str, str]:
        """Follow links breadth-first; check and keep the first page of each endpoint."""
        seen: dict[str, str] = {}
        queued = {"/dashboard"}
        queue = ["/dashboard"]
        while queue:
            url = queue.pop(0)
            endpoint = self.endpoint(url)
            if endpoint in seen or endpoint in SKIPPED_ENDPOINTS or endpoint == "?":
                continue
            if not self.open(url):
                SKIPPED_ENDPOINTS.add(endpoint)
                continue
            seen[endpoint] = url
            self.check(f"{self.role} vi {endpoint} {url}", findings)
            for href in self.page.eval_on_selector_all(
                "a[href]", "links => links.map(a => a.getAttribute('href'))"
            ):
                if href.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
                    continue
                target = urljoin(url, href).split("#")[0]
                parts = urlsplit(target)
                if parts.netloc and target.startswith(self.server.base_url):
                    target = target[len(self.server.base_url) :]
                elif parts.netloc:
                    continue
                if target not in queued and self.endpoint(target) not in seen:
                    queued.add(target)
                    queue.append(target)
        return seen

    def open(self, url: str) -> bool:
        """Go to a page; False when it answers with a file or not with HTML."""
        try:
            response = self.page.goto(url)
        except Exception as exc:  # a download aborts the navigation
            if "Download is starting" in str(exc):
                return False
            raise
        content_type = (response.headers.get("content-type", "") if response else "") or ""
        return content_type.startswith("text/html")

    def switch_language(self, code: str) -> None:
        """The header's language button, as a user presses it (on a wide screen, where the
        header shows it without opening the menu)."""
        narrow = self.page.viewport_size
        self.page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
        self.page.goto("/dashboard")
        with self.page.expect_navigation():
            self.page.locator(f"button[name=locale][value={code}]").first.click()
        if narrow:
            self.page.set_viewport_size(narrow)
        expect(self.page.locator("html")).to_have_attribute("lang", code)


@pytest.mark.skipif(
    bool(base_url()),
    reason="markup does not depend on the database: axe runs once, in the SQLite run of make test",
)
@pytest.mark.parametrize("role", list(ROLES))
def test_axe_finds_no_serious_violation(browser, demo_server, role, record_property):
    """Every page type the role reaches, VI and EN, 1366 and 390 px: no serious/critical issue."""
    limiter.reset()
    started = time.monotonic()
    findings = Findings()
    walk = RoleWalk(browser, demo_server, role)
    try:
        walk.sign_in(findings)
        pages = walk.discover(findings)
        walk.switch_language("en")
        for endpoint, url in pages.items():
            if endpoint in CHECKED_IN_ENGLISH and endpoint != "home.dashboard":
                continue  # the English sample: each endpoint once, by the first role to reach it
            CHECKED_IN_ENGLISH.add(endpoint)
            walk.open(url)
            walk.check(f"{role} en {endpoint} {url}", findings)
        walk.page.goto("/no-such-page")
        walk.check(f"{role} en 404", findings)
    finally:
        walk.close()
    seconds = time.monotonic() - started
    summary = (
        f"{role}: {len(pages)} endpoints, {findings.runs} axe runs, {seconds:.1f} s "
        f"({findings.seconds:.1f} s in axe, {findings.inject:.1f} s injecting)"
    )
    record_property("a11y-summary", summary)
    print(summary)
    assert len(pages) > 3, f"{role} reached too few pages: {sorted(pages)}"
    assert not findings.lines, "\n".join([summary, *findings.lines])


# The widest header a user can have: a long name (shown up to its ellipsis) and an unread count
# of two digits.
LONG_NAME = "Nguyễn Thị Phương Thảo Quỳnh Anh (Phòng Bảo trợ xã hội)"
UNREAD = 12


@contextmanager
def widest_header(app: Flask) -> Iterator[None]:
    """Every demo user with LONG_NAME and exactly UNREAD unread notifications (the demo's own,
    if any, read meanwhile), put back afterwards."""
    with app.app_context():
        users = db.session.scalars(select(User).where(User.username.in_(HEADER_ROLES.values())))
        names = {user.id: user.display_name for user in users}
        unread = Notification.user_id.in_(names) & Notification.read_at.is_(None)
        own = list(db.session.scalars(select(Notification.id).where(unread)))
        db.session.execute(
            update(Notification).where(Notification.id.in_(own)).values(read_at=clock.utcnow())
        )
        case_id = db.session.scalar(select(Case.id).limit(1))
        made = [
            Notification(
                user_id=user_id,
                kind=NotificationKind.PLAN_APPROVED,
                case_id=case_id,
                created_at=clock.utcnow(),
            )
            for user_id in names
            for _ in range(UNREAD)
        ]
        db.session.add_all(made)
        db.session.execute(update(User).where(User.id.in_(names)).values(display_name=LONG_NAME))
        db.session.commit()
        ids = [n.id for n in made]
        db.session.remove()
    try:
        yield
    finally:
        with app.app_context():
            db.session.execute(delete(Notification).where(Notification.id.in_(ids)))
            db.session.execute(
                update(Notification).where(Notification.id.in_(own)).values(read_at=None)
            )
            for user_id, name in names.items():
                db.session.execute(update(User).where(User.id == user_id).values(display_name=name))
            db.session.commit()
            db.session.remove()


HEADER_ITEMS = "#mainnav > ul > li, #mainnav > :not(ul):not(div), #mainnav > div > *"
MENU_LINKS = "[data-testid=main-menu] a"


def test_vietnamese_header_is_one_line_at_1280_and_1366(browser, demo_server, artifacts):
    """Every role's header in Vietnamese (a provincial supervisor's too), with a long name and
    two-digit unread count, fits on one line at 1280 and 1366 px, and its account menu opens
    on screen; below 1200 px (1024, 400) the menu button opens a list in which every entry is
    reached; nothing scrolls sideways."""
    limiter.reset()
    heights = {}
    with widest_header(demo_server.app):
        for role in HEADER_ROLES:
            walk = RoleWalk(browser, demo_server, role, width=1280)
            try:
                walk.sign_in()
                page = walk.page
                assert page.locator("html").get_attribute("lang") == "vi"
                expect(page.get_by_test_id("signed-in-as")).to_have_text(LONG_NAME)
                for width in (1280, 1366):
                    page.set_viewport_size({"width": width, "height": 800})
                    heights[f"{role} {width}"] = _one_line_header(page, f"{role} @{width}")
                    page.screenshot(path=str(artifacts / f"header-vi-{width}-{role}.png"))
                    _account_menu_on_screen(page, width, role)
                for width in (1024, 400):
                    page.set_viewport_size({"width": width, "height": 800})
                    _every_entry_behind_the_menu_button(page, width, role)
                    page.screenshot(path=str(artifacts / f"header-vi-{width}-{role}-open.png"))
            finally:
                walk.close()
    print(f"VI header heights: {heights}")


def _one_line_header(page, label: str) -> float:
    boxes = page.locator(HEADER_ITEMS).evaluate_all(
        "nodes => nodes.map(n => n.getBoundingClientRect())"
        ".map(r => ({top: r.top, bottom: r.bottom, height: r.height}))"
    )
    brand = page.locator(".navbar-brand").bounding_box()
    bar = page.locator("nav.navbar").bounding_box()
    tops = [box["top"] for box in boxes if box["height"]]
    assert len(tops) >= 4, f"{label}: too few header items measured"
    # One line: every item starts on the brand's line, and the bar is one item tall.
    assert max(tops) - min(tops) < 12, f"{label}: header items on several lines {tops}"
    tallest = max(box["height"] for box in boxes)
    assert tallest <= brand["height"] + 4, f"{label}: an item wraps ({tallest} px)"
    assert bar["height"] < brand["height"] + 24, f"{label}: bar {bar['height']} px"
    assert page.locator(".navbar-toggler").is_hidden(), f"{label}: the menu button is shown"
    for link in page.locator(MENU_LINKS).all():
        if not link.locator("xpath=ancestor::ul[contains(@class, 'dropdown-menu')]").count():
            assert link.is_visible(), f"{label}: {link.inner_text()} hidden"
    sideways = page.evaluate("document.documentElement.scrollWidth - innerWidth")
    assert sideways <= 0, f"{label}: scrolls sideways by {sideways} px"
    return bar["height"]


def _account_menu_on_screen(page, width: int, role: str) -> None:
    page.get_by_test_id("account-menu").click()
    out = page.locator("nav form[action$='/auth/logout'] button")
    expect(out).to_be_visible()
    box = out.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{role}: sign-out off screen"
    page.keyboard.press("Escape")
    expect(out).to_be_hidden()


def _every_entry_behind_the_menu_button(page, width: int, role: str) -> None:
    label = f"{role} @{width}"
    sideways = page.evaluate("document.documentElement.scrollWidth - innerWidth")
    assert sideways <= 0, f"{label}: scrolls sideways by {sideways} px"
    menu = page.get_by_test_id("main-menu")
    expect(menu).to_be_hidden()
    toggler = page.locator(".navbar-toggler")
    expect(toggler.get_by_test_id("menu-unread")).to_contain_text(str(UNREAD))
    toggler.click()
    # Bootstrap ignores the button while the list slides open: wait until it is open.
    expect(page.locator("#mainnav")).to_have_class(re.compile(r"\bshow\b"))
    expect(menu).to_be_visible()
    hrefs = page.locator(MENU_LINKS).evaluate_all("links => links.map(a => a.href)")
    assert len(hrefs) >= 3, f"{label}: {hrefs}"
    reached = set()
    for group in [None, *menu.locator(":scope > li.dropdown").all()]:
        if group is not None:
            group.locator(".dropdown-toggle").click()
        for link in page.locator(MENU_LINKS).all():
            if link.is_visible():
                box = link.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{label}: off screen"
                reached.add(link.evaluate("a => a.href"))
        if group is not None:
            group.locator(".dropdown-toggle").click()  # closed again
    assert reached == set(hrefs), f"{label}: not reached {set(hrefs) - reached}"
    toggler.click()
    expect(menu).to_be_hidden()


def test_menu_by_keyboard_marks_the_current_page(browser, demo_server, artifacts):
    """A supervisor opens a menu group with the keyboard, moves into it with the arrow keys and
    opens an entry; on that page the entry and its group are marked as current."""
    limiter.reset()
    walk = RoleWalk(browser, demo_server, "supervisor", width=1280)
    try:
        walk.sign_in()
        page = walk.page
        toggle = page.locator("[data-testid=main-menu] .dropdown-toggle").first
        toggle.focus()
        page.keyboard.press("Enter")
        expect(toggle).to_have_attribute("aria-expanded", "true")
        page.keyboard.press("ArrowDown")
        first = toggle.locator("xpath=..").locator(".dropdown-item").first
        expect(first).to_be_focused()
        page.keyboard.press("ArrowDown")
        second = toggle.locator("xpath=..").locator(".dropdown-item").nth(1)
        expect(second).to_be_focused()
        target = second.get_attribute("href")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert urlsplit(page.url).path == target
        current = page.locator("[data-testid=main-menu] [aria-current=page]")
        expect(current).to_have_count(1)
        assert current.get_attribute("href") == target
        expect(page.locator("[data-testid=main-menu] .dropdown-toggle.active")).to_have_count(1)
        page.screenshot(path=str(artifacts / "menu-current-vi-1280.png"), clip=BAR_CLIP)
    finally:
        walk.close()


def test_keyboard_skip_link_and_visible_focus_on_the_bar(browser, demo_server, artifacts):
    """Tab first reaches the skip link (to main); focus on the dark bar shows a thick ring."""
    limiter.reset()
    walk = RoleWalk(browser, demo_server, "social_worker")
    try:
        walk.sign_in()
        page = walk.page
        page.keyboard.press("Tab")
        skip = page.locator("a.skip-link")
        assert skip.evaluate("a => a === document.activeElement")
        assert skip.is_visible(), "the skip link is not shown when focused"
        page.screenshot(path=str(artifacts / "skip-link-vi.png"), clip=BAR_CLIP)
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#main"
        assert page.evaluate("document.activeElement.id") == "main"
        # The first menu link: its focus ring is a 3 px outline in a colour that stands out.
        page.locator("nav.navbar .nav-link").first.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")
        ring = page.evaluate(
            "() => { const s = getComputedStyle(document.activeElement);"
            " return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }"
        )
        assert ring == ["solid", "3px", "rgb(255, 218, 106)"], ring
        page.screenshot(path=str(artifacts / "focus-on-bar-vi.png"), clip=BAR_CLIP)
    finally:
        walk.close()


def test_lists_become_cards_and_case_page_has_section_nav_on_small_screens(
    browser, demo_server, artifacts
):
    """At 390 px a list's cells are blocks labelled by their column; the case page offers a
    section navigation there, and not at 1366 px."""
    limiter.reset()
    walk = RoleWalk(browser, demo_server, "social_worker", width=390)
    try:
        walk.sign_in()
        page = walk.page
        page.goto("/cases/")
        cell = page.locator("[data-testid=caseload] tbody tr").first.locator("td").nth(1)
        shown = cell.evaluate(
            "td => [getComputedStyle(td).display, getComputedStyle(td, '::before').content]"
        )
        assert shown[0] == "block" and shown[1] not in ("none", "normal", '""'), shown
        assert page.locator("[data-testid=caseload] thead").bounding_box()["height"] <= 1
        page.screenshot(path=str(artifacts / "caseload-vi-390.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the caseload scrolls sideways at 390 px ({width} px)"
        page.locator("[data-testid=caseload] tbody a").first.click()
        expect(page).to_have_url(re.compile(r"/cases/\d+$"))
        nav = page.get_by_test_id("section-nav")
        expect(nav).to_be_visible()
        page.screenshot(path=str(artifacts / "case-vi-390.png"))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the case page scrolls sideways at 390 px ({width} px)"
        nav.get_by_role("link").last.click()
        assert page.evaluate("location.hash") == "#sec-timeline"
        page.set_viewport_size({"width": 1366, "height": HEIGHT})
        expect(nav).to_be_hidden()
    finally:
        walk.close()


# The list pages each role opens at 390 px (a report's statistical table is not a list: it
# scrolls inside its own box).
LIST_PAGES = {
    "social_worker": (
        "cases.caseload",
        "people.index",
        "rules.my_tasks",
        "rules.overdue",
        "support.referrals_list",
        "support.points",
        "programmes.index",
        "notifications.index",
        "home.returned_plans",
    ),
    "supervisor": (
        "supervision.dashboard",
        "supervision.approvals",
        "supervision.reassign",
        "cases.transfers.incoming",
        "people.erasure_requests",
        "reports.index",
        "audit.alerts",
    ),
    "auditor": ("audit.events", "audit.alerts", "notifications.index"),
    "administrator": (
        "admin.users",
        "admin.units",
        "rules.index",
        "rules.days_off",
        "support.points",
        "programmes.index",
    ),
}
# Per page: its width, and each list cell that is not a labelled block (a cell under an empty
# header, such as a row's action button, needs no label; nor does an "empty list" row).
CARDS_CHECK = """() => {
  const problems = [];
  let labelled = 0;
  for (const table of document.querySelectorAll('main table:not([data-testid=report-table])')) {
    const name = table.dataset.testid || table.className;
    if (!table.classList.contains('table-cards')) { problems.push(`${name}: not cards`); continue; }
    const heads = [...table.querySelectorAll(':scope > thead > tr > th')]
      .map(th => th.textContent.trim());
    for (const row of table.querySelectorAll(':scope > tbody > tr')) {
      for (const cell of row.cells) {
        if (cell.colSpan > 1 || !heads[cell.cellIndex]) continue;
        const style = getComputedStyle(cell);
        const label = getComputedStyle(cell, '::before').content;
        if (style.display !== 'block' || ['none', 'normal', '""'].includes(label)) {
          problems.push(`${name}: column ${heads[cell.cellIndex]} is not a labelled block`);
          break;
        }
        labelled++;
      }
    }
  }
  return {width: document.documentElement.scrollWidth, problems, labelled};
}"""


@pytest.mark.parametrize("role", list(ROLES))
def test_list_pages_are_labelled_cards_without_sideways_scroll_at_390(browser, demo_server, role):
    """At 390 px every list table of the role's list pages is cards whose cells are labelled
    by their column, and no list page scrolls sideways."""
    limiter.reset()
    with demo_server.app.test_request_context():
        paths = {endpoint: url_for(endpoint) for endpoint in LIST_PAGES[role]}
    walk = RoleWalk(browser, demo_server, role, width=390)
    problems, labelled = [], 0
    try:
        walk.sign_in()
        for endpoint, path in paths.items():
            response = walk.page.goto(path)
            assert response is not None and response.status == 200, f"{role} {path}"
            found = walk.page.evaluate(CARDS_CHECK)
            labelled += found["labelled"]
            if found["width"] > 390:
                problems.append(f"{endpoint}: scrolls sideways ({found['width']} px)")
            problems += [f"{endpoint}: {p}" for p in found["problems"]]
    finally:
        walk.close()
    assert not problems, "\n".join(problems)
    assert labelled, f"{role}: no list cell was checked"


def test_referral_letter_prints_on_a4_without_the_bar(browser, demo_server, artifacts):
    """The letter, reached from the referrals list: on paper (print media) the app's bar,
    footer and back link are hidden and the letter fills an A4 page."""
    limiter.reset()
    walk = RoleWalk(browser, demo_server, "social_worker")
    try:
        walk.sign_in()
        page = walk.page
        page.goto("/support/referrals?show=all")
        page.locator("[data-testid=referrals] tbody a").first.click()
        page.get_by_test_id("letter-link").click()
        letter = page.get_by_test_id("referral-letter")
        expect(letter).to_be_visible()
        expect(page.locator("nav.navbar")).to_be_visible()
        page.screenshot(path=str(artifacts / "referral-letter-vi.png"), full_page=True)
        page.emulate_media(media="print")
        assert letter.is_visible()
        assert not page.locator("nav.navbar").is_visible()
        assert (
            not page.locator("footer").is_visible() and not page.locator(".no-print").is_visible()
        )
        page.pdf(
            path=str(artifacts / "referral-letter-vi.pdf"), format="A4", prefer_css_page_size=True
        )
    finally:
        walk.close()
