"""The walk: one role signs in through the real forms, follows every link its pages offer and
submits every form three times (empty, hostile, valid), checking each response as it goes.

Failures are collected, never raised one by one, so that a run lists everything it found.
Each failure names the role, the URL, the kind of input and what failed.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import openpyxl
import pyotp
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from casemgr import clock
from casemgr.auth.models import User
from tests.test_access_matrix import fingerprint
from tests.walk.catalogue import EnglishText
from tests.walk.dom import Node, parse

# Bounds, printed in the summary when they cut anything.
URLS_PER_ENDPOINT = 3  # distinct URLs (path + query) followed per endpoint (and format/kind)
# Distinct forms (fields + button) submitted per action endpoint and button name: the buttons
# of one form are different actions (a pager's, "tick all", the final submit), each walked.
FORMS_PER_ENDPOINT = 2
MAX_REQUESTS = 1500  # a runaway walk stops here, and says so
# Query parameters whose values make different pages of one endpoint (each value is bounded
# separately, so that for example every export format is fetched).
DISTINCT_PARAMS = ("format", "kind", "tab", "status", "view")
# Not walked: assets (no page), and the forms whose only effect is to leave or switch language.
ASSET_ENDPOINTS = {"static", "bootstrap.static"}
LEAVING_FORMS = {"auth.logout": "sign-out", "auth.language": "language switch"}

LONG = 20_001
SCRIPT = "<script>walkPwned()</script>"
HOSTILE_HTML = SCRIPT + '<b onmouseover="walkPwned()">walk</b>'
HOSTILE_LONG = (HOSTILE_HTML + "x" * LONG)[:LONG]
FUTURE = dt.date(2099, 1, 1)
FAR_PAST = dt.date(1800, 1, 1)
UNKNOWN_CHOICE = "walk-unknown-choice"
# Sent to every list page (a page with a pager or a filter form), once per endpoint: page
# numbers out of range, huge, negative and not numbers, then every query parameter its links
# and filter forms use set to a value the app does not know. Each must answer below 500, in
# the user's language (the usual checks), by a message or the default view.
HOSTILE_PAGES = ("0", "-1", str(10**12), "abc", str(10**30))
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GENERIC_FIELD_BANNERS = ("Check the highlighted fields.", "marked fields", "highlighted fields")
ID_NAME = re.compile(r"(^|_)(id|ids|case|person|unit|user|worker|owner|assignee|model)$")


@dataclass
class Failure:
    role: str
    method: str
    url: str
    kind: str  # "GET", "query", "empty", "hostile", "hostile-long", "valid", "job", "sign-in"
    what: str

    def __str__(self) -> str:
        url = self.url if len(self.url) <= 160 else self.url[:160] + "…"
        return f"[{self.role}] {self.method} {url} ({self.kind}): {self.what}"


@dataclass
class Field:
    tag: str  # input, select, textarea
    type: str
    name: str
    value: str
    attrs: dict[str, str]
    options: list[str] = field(default_factory=list)
    label: str = ""


@dataclass
class Form:
    method: str
    action: str
    fields: list[Field]
    button: tuple[str, str] | None  # the submit button's name and value, if it has a name
    endpoint: str

    @property
    def key(self) -> tuple:
        names = tuple(sorted({f.name for f in self.fields}))
        return (self.method, self.endpoint, names, self.button)


@dataclass
class Response:
    """What the walk keeps of a response: enough to check it and to act on it."""

    status: int
    url: str
    location: str
    content_type: str
    body: bytes
    headers: dict[str, str]
    tree: Node | None = None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass
class Stats:
    pages: int = 0
    requests: int = 0
    forms: int = 0
    submissions: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    jobs: int = 0
    files: int = 0
    bounded: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    endpoints: set[str] = field(default_factory=set)
    resignins: int = 0
    english_elsewhere: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    pressed: set[tuple[str, str]] = field(default_factory=set)  # (endpoint, button name) sent


class LogWatch(logging.Handler):
    """Keeps every ERROR record (and every record with a traceback) logged during the walk."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            self.records.append(record)

    def take(self) -> list[logging.LogRecord]:
        records, self.records = self.records, []
        return records


@dataclass
class Identity:
    """Who walks: the demo user, its password, and what it must never be shown."""

    role: str
    username: str
    password: str
    user_id: int
    forbidden: dict[str, str]  # canary text -> what it marks
    foreign_ids: dict[str, int]  # case, person, unit, user -> an id in a unit the role can't see
    expected: tuple[str, ...] = ()  # canaries the role must meet (the leak check is not vacuous)


class Walker:
    """Walks the app as one role through a test client; collects failures and counts."""

    def __init__(self, app, client, db, who: Identity, english: EnglishText) -> None:
        self.app, self.client, self.db, self.who = app, client, db, who
        self.english = english
        self.adapter = app.url_map.bind("localhost", url_scheme="https")
        self.failures: list[Failure] = []
        self._failure_keys: set[tuple] = set()
        self.stats = Stats()
        self.totp_secret: str | None = None
        self.pages: deque[str] = deque()
        self.forms: deque[tuple[str, Form]] = deque()
        self.seen_urls: set[str] = set()
        self.urls_per_key: Counter = Counter()
        self.forms_seen: set[tuple] = set()
        self.forms_per_endpoint: Counter = Counter()
        self.english_seen: set[str] = set()
        self.log = LogWatch()
        self.met: set[str] = set()
        self.probed: set[str] = set()

    # -- bookkeeping ------------------------------------------------------------------------

    def fail(
        self, method: str, url: str, kind: str, what: str, dedupe: tuple | None = None
    ) -> None:
        """Record a failure once (by `dedupe`, or by its full text)."""
        key = dedupe or (method, url, kind, what)
        if key in self._failure_keys:
            return
        self._failure_keys.add(key)
        self.failures.append(Failure(self.who.role, method, url, kind, what))

    def endpoint(self, url: str, method: str = "GET") -> str:
        """The Flask endpoint a same-origin URL reaches ('?' when none does)."""
        parts = urlsplit(url)
        try:
            endpoint, _args = self.adapter.match(parts.path, method=method)
        except (NotFound, MethodNotAllowed):
            return "?"
        except HTTPException:  # a redirect rule (trailing slash)
            return "?redirect"
        return endpoint

    # -- requests ---------------------------------------------------------------------------

    def request(self, method: str, url: str, kind: str, data: Any = None) -> Response | None:
        """One request; 5xx, exceptions and logged errors become failures."""
        self.stats.requests += 1
        try:
            if method == "GET":
                raw = self.client.get(url, query_string=data) if data else self.client.get(url)
            else:
                raw = self.client.post(url, data=data, content_type=_content_type(data))
        except Exception as exc:  # the test client re-raises what the app did not handle
            first_line = (str(exc).splitlines() or [""])[0]
            self.fail(
                method, url, kind, f"unhandled exception {type(exc).__name__}: {first_line:.200}"
            )
            self._drain_log(method, url, kind)
            return None
        response = Response(
            status=raw.status_code,
            url=url,
            location=raw.headers.get("Location", ""),
            content_type=raw.headers.get("Content-Type", ""),
            body=raw.get_data(),
            headers=dict(raw.headers),
        )
        raw.close()
        if response.status >= 500:
            self.fail(method, url, kind, f"HTTP {response.status}")
        self._drain_log(method, url, kind)
        if response.content_type.startswith("text/html"):
            response.tree = parse(response.text)
        self.check_content(method, url, kind, response)
        return response

    def _drain_log(self, method: str, url: str, kind: str) -> None:
        for record in self.log.take():
            trace = " (with traceback)" if record.exc_info else ""
            exc = record.exc_info[1] if record.exc_info else None
            detail = f": {type(exc).__name__}" if exc else ""
            self.fail(
                method,
                url,
                kind,
                f"logged {record.levelname} from {record.name}{trace}{detail}: "
                f"{record.getMessage():.160}",
            )

    def follow(self, response: Response | None, method: str, kind: str) -> Response | None:
        """Follow same-origin redirects (at most 5) and return the last response."""
        for _ in range(5):
            if response is None or response.status not in (301, 302, 303, 307, 308):
                return response
            target = urljoin(response.url, response.location)
            if not _same_origin(target):
                return response
            response = self.request("GET", _local(target), kind)
        return response

    # -- signing in -------------------------------------------------------------------------

    def sign_in(self) -> bool:
        """Sign in through the login form and the second-factor form (enrolling if asked)."""
        page = self.request("GET", "/auth/login", "sign-in")
        form = page and _find_form(page, lambda f: _has(f, "username"), self)
        if form is None:
            self.fail("GET", "/auth/login", "sign-in", "no sign-in form")
            return False
        data = self.fill(form, "valid")
        data["username"], data["password"] = self.who.username, self.who.password
        response = self.request("POST", form.action, "sign-in", data)
        for _ in range(3):
            if response is None:
                return False
            path = urlsplit(response.location).path if response.status == 302 else ""
            if path == "/auth/mfa/enrol":
                response = self._second_factor(path, enrol=True)
            elif path == "/auth/mfa":
                response = self._second_factor(path, enrol=False)
            else:
                break
        landed = self.follow(response, "GET", "sign-in")
        if landed is None or urlsplit(landed.url).path.startswith("/auth/login"):
            self.fail("POST", "/auth/login", "sign-in", "the role could not sign in")
            return False
        return True

    def _second_factor(self, path: str, *, enrol: bool) -> Response | None:
        page = self.request("GET", path, "sign-in")
        if page is None or page.tree is None:
            return None
        if enrol:
            secret = next(
                (n.text() for n in page.tree.iter("span") if "totp-secret" in n.classes), ""
            )
            self.totp_secret = secret or None
        form = _find_form(page, lambda f: _has(f, "code"), self)
        if form is None or self.totp_secret is None:
            self.fail("GET", path, "sign-in", "no second-factor form or key")
            return None
        data = self.fill(form, "valid")
        data["code"] = self._totp_code()
        return self.request("POST", form.action, "sign-in", data)

    def _totp_code(self) -> str:
        totp = pyotp.TOTP(self.totp_secret)
        step = int(clock.utcnow().timestamp() // totp.interval)
        last = self.db.session.get(User, self.who.user_id).totp_last_step
        if last is not None and last >= step:
            step = last + 1
        return totp.generate_otp(step)

    def signed_out(self, response: Response | None) -> bool:
        """Whether the response shows the walk lost its session (sent to the sign-in page)."""
        return response is not None and urlsplit(response.url).path in ("/auth/login", "/auth/mfa")

    # -- the walk ---------------------------------------------------------------------------

    def walk(self, start: str = "/dashboard") -> None:
        """Sign in, then walk pages and forms until none is left (or the bound is reached)."""
        root = logging.getLogger()
        root.addHandler(self.log)
        try:
            if not self.sign_in():
                return
            self.enqueue_page(start)
            while (self.pages or self.forms) and self.stats.requests < MAX_REQUESTS:
                if self.pages:
                    self.visit(self.pages.popleft())
                else:
                    self.submit(*self.forms.popleft())
            for canary in set(self.who.expected) - self.met:
                self.fail(
                    "-", "-", "-", f"never saw its own unit's canary {canary}: check the walk"
                )
            if self.pages or self.forms:
                self.stats.notes.append(
                    f"stopped at {MAX_REQUESTS} requests: {len(self.pages)} pages and "
                    f"{len(self.forms)} forms not walked"
                )
                self.fail("-", "-", "-", f"walk exceeded {MAX_REQUESTS} requests (raise the bound)")
        finally:
            root.removeHandler(self.log)

    def enqueue_page(self, url: str) -> None:
        """Queue a same-origin URL, within the bound of URLs per endpoint."""
        url = _local(url)
        if url in self.seen_urls:
            return
        endpoint = self.endpoint(url)
        if endpoint in ASSET_ENDPOINTS:
            return
        self.seen_urls.add(url)
        query = dict(
            part.split("=", 1) if "=" in part else (part, "")
            for part in urlsplit(url).query.split("&")
            if part
        )
        key = (endpoint, *(f"{p}={query[p]}" for p in DISTINCT_PARAMS if p in query))
        if self.urls_per_key[key] >= URLS_PER_ENDPOINT:
            self.stats.bounded[f"GET {' '.join(key)}"] += 1
            return
        self.urls_per_key[key] += 1
        self.pages.append(url)

    def visit(self, url: str) -> None:
        """GET a page, follow its redirects, and queue what it offers."""
        response = self.follow(self.request("GET", url, "GET"), "GET", "GET")
        if response is None:
            return
        if self.signed_out(response) and self.resign_in(f"GET {url}"):
            response = self.follow(self.request("GET", url, "GET"), "GET", "GET")
            if response is None:
                return
        self.stats.pages += 1
        self.stats.endpoints.add(self.endpoint(url))
        if 400 <= response.status < 500:
            self.fail("GET", url, "GET", f"a link the role was offered answers {response.status}")
        self.harvest(response)
        self.probe_list(url, response)

    def probe_list(self, url: str, response: Response) -> None:
        """Hostile query parameters on a list page (once per endpoint): see HOSTILE_PAGES."""
        endpoint = self.endpoint(url)
        if response.status != 200 or response.tree is None or endpoint in self.probed:
            return
        pager = any("pagination" in n.attrs.get("class", "") for n in response.tree.iter("ul"))
        filters = [f for f in self.forms_of(response) if f.method == "GET"]
        if not pager and not filters:
            return
        self.probed.add(endpoint)
        path = urlsplit(url).path
        names = {f.name for form in filters for f in form.fields if f.name}
        for node in response.tree.iter("a"):
            parts = urlsplit(urljoin(response.url, node.attrs.get("href", "")))
            if parts.path == path:
                names.update(p.split("=", 1)[0] for p in parts.query.split("&") if p)
        names.discard("page")
        queries = [{"page": value} for value in HOSTILE_PAGES]
        queries += [{name: UNKNOWN_CHOICE} for name in sorted(names)]
        for query in queries:
            self.stats.submissions["query"] += 1
            self.request("GET", f"{path}?{urlencode(query)}", "query")

    def harvest(self, response: Response) -> None:
        """Queue the links and forms of a page; poll a page that refreshes itself."""
        if response.tree is None:
            return
        for node in response.tree.iter():
            target = None
            if node.tag == "a":
                target = node.attrs.get("href")
            elif node.tag in ("img", "object", "iframe"):
                target = node.attrs.get("src") or node.attrs.get("data")
            if not target or target.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
                continue
            absolute = urljoin(response.url, target).split("#")[0]
            if _same_origin(absolute):
                self.enqueue_page(absolute)
        if response.status == 200:
            for form in self.forms_of(response):
                self.enqueue_form(response.url, form)

    def forms_of(self, response: Response) -> list[Form]:
        """The forms of a page, one per named submit button."""
        return _forms(response, self)

    def enqueue_form(self, page_url: str, form: Form) -> None:
        if form.endpoint in LEAVING_FORMS:
            self.stats.skipped[f"{LEAVING_FORMS[form.endpoint]} form ({form.endpoint})"] += 1
            return
        own = re.search(rf"/users/{self.who.user_id}(/|$)", form.action)
        if form.endpoint.startswith("admin.") and own:
            # Resetting or disabling the walker's own account would end the walk.
            self.stats.skipped[f"own account form ({form.endpoint})"] += 1
            return
        if form.key in self.forms_seen:
            return
        self.forms_seen.add(form.key)
        button = form.button[0] if form.button else ""
        bound_key = (form.method, form.endpoint, button)
        if self.forms_per_endpoint[bound_key] >= FORMS_PER_ENDPOINT:
            self.stats.bounded[f"{form.method} form {form.endpoint} {button}".strip()] += 1
            return
        self.forms_per_endpoint[bound_key] += 1
        self.forms.append((page_url, form))

    # -- forms ------------------------------------------------------------------------------

    def submit(self, page_url: str, original: Form) -> None:
        """Submit a form empty, hostile (future, then far-past dates) and valid, each time
        from a fresh copy of its page; check refusals left the database as it was."""
        self.stats.forms += 1
        editable = [f for f in original.fields if f.name and f.type not in ("hidden", "submit")]
        ids = [f for f in original.fields if f.type == "hidden" and ID_NAME.search(f.name.lower())]
        if editable:
            kinds = ["empty", "hostile", "hostile-long"]
        else:  # a button: "empty" would be the same request as "valid"
            kinds = ["hostile"] if ids else []
            self.stats.skipped["empty submission of a button-only form"] += 1
        kinds.append("valid")
        for kind in kinds:
            page = self.follow(self.request("GET", page_url, kind), "GET", kind)
            if self.signed_out(page) and self.resign_in(f"before {kind} {original.endpoint}"):
                page = self.follow(self.request("GET", page_url, kind), "GET", kind)
            form = page and next((f for f in self.forms_of(page) if f.key == original.key), None)
            if form is None:
                self.stats.notes.append(
                    f"{original.endpoint}: form gone from {page_url} before the {kind} submission"
                )
                return
            self.send(form, kind)

    def send(self, form: Form, kind: str) -> None:
        """One submission and its checks."""
        data = self.fill(form, kind)
        self.stats.submissions[kind] += 1
        self.stats.pressed.add((form.endpoint, form.button[0] if form.button else ""))
        posting = form.method == "POST"
        before = fingerprint(self.db) if posting else None
        response = self.request(form.method, form.action, kind, data)
        final = self.follow(response, form.method, kind)
        if response is None or final is None:
            return
        refused = response.status >= 400 or _shows_errors(final)
        self.stats.outcomes[f"{kind} {'refused' if refused else 'accepted'}"] += 1
        if posting and refused:  # whatever was meant, a refusal must leave no trace
            after = fingerprint(self.db)
            changed = sorted(name for name in before if before[name] != after.get(name))
            if changed:
                self.fail(
                    form.method,
                    form.action,
                    kind,
                    f"refused submission (HTTP {response.status}) changed the database: "
                    f"{', '.join(changed)}",
                )
        if not refused and kind != "valid" and posting:
            foreign = {str(v) for v in self.who.foreign_ids.values()}
            shown = {f.name: f.value for f in form.fields}
            named = sorted(
                k
                for k, v in data.items()
                if kind.startswith("hostile")
                # a group of checkboxes sends a list of values; a file, a tuple
                and any(str(one) in foreign for one in (v if isinstance(v, list) else [v]))
                and shown.get(k) != v
            )
            with_ids = f" (other unit's id in {', '.join(named)})" if named else ""
            self.stats.notes.append(f"{kind} submission accepted: POST {form.endpoint}{with_ids}")
        if refused and kind == "valid":
            errors = _error_texts(final)
            self.stats.notes.append(
                f"valid submission refused: {form.method} {form.endpoint} "
                f"(HTTP {response.status}) {errors[:2]}"
            )
        self.check_banners(form, kind, final)
        if self.signed_out(final):
            self.resign_in(f"after {kind} {form.method} {form.endpoint}")
            return
        if final.headers.get("Refresh") or _job_page(final):
            self.follow_job(final, kind)
        if kind == "valid" and final.content_type.startswith("text/html"):
            self.harvest_after_post(final)

    def harvest_after_post(self, response: Response) -> None:
        """Queue the links of a page reached by a submission (its forms are found by GET)."""
        if response.tree is None:
            return
        for node in response.tree.iter("a"):
            href = node.attrs.get("href", "")
            if href and not href.startswith(("#", "mailto:", "javascript:")):
                absolute = urljoin(response.url, href).split("#")[0]
                if _same_origin(absolute):
                    self.enqueue_page(absolute)

    def resign_in(self, after: str) -> bool:
        """Sign in again after a submission ended the session (a note, not a failure)."""
        self.stats.resignins += 1
        self.stats.notes.append(f"signed out {after}; signed in again")
        self.client._cookies.clear()
        if self.stats.resignins > 5 or not self.sign_in():
            self.fail("-", "-", "sign-in", f"could not sign in again ({after}); walk stopped")
            self.pages.clear()
            self.forms.clear()
            return False
        return True

    def fill(self, form: Form, kind: str) -> dict[str, Any]:
        """The values of one submission: derived from the form's own fields."""
        data: dict[str, Any] = {}
        text_fields = 0
        for f in form.fields:
            if not f.name:
                continue
            value = self.value_for(f, kind, text_fields)
            if f.type in ("text", "textarea", "search", ""):
                text_fields += 1
            if value is None:
                continue
            if f.type == "file" or isinstance(value, list):
                data[f.name] = value
            elif f.name in data and f.type == "checkbox":
                existing = data[f.name]
                data[f.name] = [*(existing if isinstance(existing, list) else [existing]), value]
            else:
                data.setdefault(f.name, value)
        if form.button:
            data[form.button[0]] = form.button[1]
        return data

    def value_for(self, f: Field, kind: str, index: int) -> Any:
        """One field's value for the kind of submission (None: not sent)."""
        name = f.name.lower()
        if f.type == "hidden":
            if kind.startswith("hostile") and f.value.isdigit() and ID_NAME.search(name):
                return str(self.foreign_id(name))
            return f.value
        if f.type in ("submit", "button", "reset", "image"):
            return None
        if kind == "empty":  # what a browser sends when the user fills nothing in
            if f.type in ("checkbox", "radio"):
                return None
            if f.tag == "select":
                return f.value  # a select cannot be emptied: its shown option goes
            if f.type == "file":
                return (io.BytesIO(b""), "")
            return ""
        if kind.startswith("hostile"):
            return self.hostile_value(f, name, kind)
        return self.valid_value(f, name)

    def foreign_id(self, name: str) -> int:
        ids = self.who.foreign_ids
        for part, key in (
            ("person", "person"),
            ("unit", "unit"),
            ("user", "user"),
            ("worker", "user"),
            ("owner", "user"),
            ("assignee", "user"),
        ):
            if part in name:
                return ids[key]
        return ids["case"]

    def hostile_value(self, f: Field, name: str, kind: str) -> Any:
        """ "hostile": future dates, malformed values, HTML and script, unknown choices, other
        units' ids; "hostile-long": far-past dates, 20,001 characters, out-of-range numbers."""
        long = kind == "hostile-long"
        day = FAR_PAST if long else FUTURE
        if f.type == "date":
            return day.isoformat()
        if f.type == "datetime-local":
            return f"{day.isoformat()}T10:00"
        if f.type == "month":
            return f"{day.year}-{day.month:02d}"
        if f.type == "number" or "year" in name or f.attrs.get("inputmode") == "numeric":
            if "year" in name:
                return "1000" if long else "2999"
            return "-99999999999999999999" if long else "12abc"
        if f.type == "file":
            return (io.BytesIO(SCRIPT.encode() * 100), "walk<script>.exe")
        if f.tag == "select" or f.type in ("radio", "checkbox"):
            numeric = any(o.isdigit() for o in f.options) or f.value.isdigit()
            if numeric or ID_NAME.search(name):
                return str(self.foreign_id(name))
            return UNKNOWN_CHOICE
        if long:
            return HOSTILE_LONG
        if f.type == "email" or "email" in name:
            return "not-an-email" + SCRIPT
        if "phone" in name:
            return "12ab<b>"
        if "national_id" in name or name.endswith("_number"):
            return "12ab<b>"
        return HOSTILE_HTML

    def valid_value(self, f: Field, name: str) -> Any:
        today = clock.today()
        if f.type in ("date", "datetime-local", "month"):
            # A birth date that agrees with the birth year given below; otherwise today, which
            # is right for both past-only facts and future-allowed deadlines.
            day = dt.date(2000, 6, 15) if "birth" in name else today
            if f.attrs.get("max"):
                day = min(day, dt.date.fromisoformat(f.attrs["max"][:10]))
            if f.attrs.get("min"):
                day = max(day, dt.date.fromisoformat(f.attrs["min"][:10]))
            if f.type == "datetime-local":  # an hour ago in Viet Nam: past-only times accept it
                moment = clock.utcnow().astimezone(clock.LOCAL_TZ) - dt.timedelta(hours=1)
                if f.attrs.get("max") and moment.date() > day:
                    moment = dt.datetime.combine(day, dt.time(9, 0))
                return moment.strftime("%Y-%m-%dT%H:%M")
            return day.isoformat() if f.type == "date" else f"{day.year}-{day.month:02d}"
        if f.attrs.get("inputmode") == "numeric":  # a sum of money, typed as people write it
            return "1.500.000"
        if f.type == "number":
            low, high = f.attrs.get("min"), f.attrs.get("max")
            if "year" in name:
                return str(min(int(high or today.year), max(int(low or 0), 2000)))
            if low:
                return low
            return "1"
        if f.type == "checkbox":
            return f.value or "y"
        if f.type == "radio":
            return f.options[0] if f.options else f.value
        if f.tag == "select":
            real = [o for o in f.options if o]
            if not real:
                return ""
            return [real[0]] if "multiple" in f.attrs else real[0]
        if f.type == "password":
            return self.who.password
        if f.type == "email" or "email" in name:
            return "walk@example.org"
        if f.type == "file":
            return (io.BytesIO(b"%PDF-1.4\n% walk test document\n"), "walk.pdf")
        if "phone" in name:
            return "0912345678"
        if "national_id" in name or name == "cccd":
            return "001200000001"
        if "year" in name:
            return "2000"
        if name == "code":
            return self._totp_code() if self.totp_secret else "000000"
        if f.tag == "textarea":
            return "Ghi chú kiểm tra tự động (walk)."
        limit = int(f.attrs.get("maxlength") or 40)
        return "Walk kiểm tra"[: max(1, limit)]

    # -- checks -----------------------------------------------------------------------------

    def check_content(self, method: str, url: str, kind: str, response: Response) -> None:
        """What the role must not see, hostile markup, English text; files must open."""
        texts = [response.text]
        encrypted = response.body[:4] == b"\xd0\xcf\x11\xe0"  # OLE: a password-protected file
        if response.content_type.startswith(XLSX_TYPE) and response.status == 200 and not encrypted:
            self.stats.files += 1
            cells = self._xlsx_text(method, url, kind, response.body)
            if cells is not None:
                texts.append(cells)
        for text in texts:
            self.met.update(c for c in self.who.expected if c in text)
            for canary, what in self.who.forbidden.items():
                if canary in text:
                    self.fail(method, url, kind, f"shows {what} (canary {canary})")
        if response.tree is None:
            return
        if SCRIPT in response.text or "<b onmouseover" in response.text:
            self.fail(method, url, kind, "hostile markup rendered unescaped")
        self.check_language(method, url, kind, response.tree)

    def _xlsx_text(self, method: str, url: str, kind: str, body: bytes) -> str | None:
        try:
            book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
        except Exception as exc:
            self.fail(method, url, kind, f"the spreadsheet does not open ({type(exc).__name__})")
            return None
        return "\n".join(
            str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
        )

    def check_language(self, method: str, url: str, kind: str, tree: Node) -> None:
        html = next(tree.iter("html"), None)
        if html is None or html.attrs.get("lang", "vi") != "vi":
            return
        for text in _interface_texts(html):
            found = self.english.find(text)
            if found is None:
                continue
            # One failure per English text and role (the first page it was seen on); the
            # summary counts the other pages.
            if found.msgid in self.english_seen:
                self.stats.english_elsewhere[found.msgid] += 1
                continue
            self.english_seen.add(found.msgid)
            self.fail(
                method,
                url,
                kind,
                f"English text in a Vietnamese page, {found.why}: {found.msgid[:100]!r}",
            )

    def check_banners(self, form: Form, kind: str, page: Response) -> None:
        """An error banner that points at fields needs a field message under the field."""
        if page.tree is None:
            return
        field_messages = _field_messages(page.tree)
        labels = {
            " ".join(label.text().split()).rstrip(" *:"): label.attrs.get("for", "")
            for label in page.tree.iter("label")
        }
        vi_generic = [self.english.translation(m) for m in GENERIC_FIELD_BANNERS]
        for banner in page.tree.iter("div"):
            if not {"alert", "alert-danger"} <= banner.classes:
                continue
            text = banner.text()
            generic = any(m and m in text for m in (*GENERIC_FIELD_BANNERS, *vi_generic))
            named = [
                (label, target)
                for label, target in labels.items()
                if len(label) >= 4 and label in text
            ]
            if generic and not field_messages:
                self.fail(
                    form.method,
                    form.action,
                    kind,
                    f"error banner {text[:80]!r} but no field is marked",
                )
            for label, target in named:
                if target and target not in field_messages:
                    self.fail(
                        form.method,
                        form.action,
                        kind,
                        f"error banner names the field {label!r} but it has no message",
                    )

    # -- background jobs --------------------------------------------------------------------

    def follow_job(self, page: Response, kind: str) -> None:
        """Follow a background job a page started to its end; a failure must be said."""
        self.stats.jobs += 1
        password = None
        if page.tree is not None:
            password = next(
                (
                    n.text()
                    for n in page.tree.iter()
                    if n.attrs.get("data-testid") == "export-password"
                ),
                None,
            )
            link = next(
                (
                    a.attrs["href"]
                    for a in page.tree.iter("a")
                    if a.attrs.get("data-testid") == "export-follow"
                ),
                None,
            )
            if link and not page.headers.get("Refresh"):
                page = self.request("GET", _local(urljoin(page.url, link)), "job") or page
        for _ in range(10):
            if not page.headers.get("Refresh"):
                break
            page = self.request("GET", page.url, "job") or page
        else:
            self.fail("GET", page.url, "job", "the job never ended (the page still refreshes)")
            return
        if page.tree is None:
            return
        text = page.tree.text()
        download = next(
            (
                a.attrs["href"]
                for a in page.tree.iter("a")
                if a.attrs.get("data-testid") == "export-download"
            ),
            None,
        )
        done = any(n.attrs.get("data-status") == "done" for n in page.tree.iter())
        if download is None and done:
            return  # a job that makes no file (key work, erasure)
        if download is None:
            if not any("text-danger" in n.classes for n in page.tree.iter()):
                self.fail(
                    "GET",
                    page.url,
                    "job",
                    f"the job ended without a file and without saying it failed: {text[-120:]!r}",
                )
            else:
                self.fail("GET", page.url, "job", "the job failed (the page says so)")
            return
        file = self.request("GET", _local(urljoin(page.url, download)), "job")
        if file is None or file.status != 200:
            self.fail("GET", download, "job", f"download answers {file and file.status}")
            return
        self.stats.files += 1
        if password:
            from casemgr.reports.exports import decrypt_xlsx

            try:
                plain = decrypt_xlsx(file.body, password)
            except Exception:
                self.fail(
                    "GET",
                    download,
                    "job",
                    "the file does not open with its password",
                )
                return
            cells = self._xlsx_text("GET", download, "job", plain) or ""
            for canary, what in self.who.forbidden.items():
                if canary in cells:
                    self.fail("GET", download, "job", f"the file shows {what} (canary {canary})")


# -- helpers --------------------------------------------------------------------------------


def _same_origin(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("", "http", "https") and parts.netloc in ("", "localhost")


def _local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _content_type(data: Any) -> str | None:
    if data and any(isinstance(v, tuple) for v in data.values()):
        return "multipart/form-data"
    return None


def _has(form: Form, name: str) -> bool:
    return any(f.name == name for f in form.fields)


def _find_form(page: Response, test, walker: Walker) -> Form | None:
    return next((f for f in _forms(page, walker) if test(f)), None)


def _forms(page: Response, walker: Walker) -> list[Form]:
    if page.tree is None:
        return []
    found = []
    labels = {label.attrs.get("for"): label.text() for label in page.tree.iter("label")}
    for node in page.tree.iter("form"):
        method = node.attrs.get("method", "get").upper()
        action = _local(urljoin(page.url, node.attrs.get("action") or page.url))
        if method == "GET":  # a browser replaces the action's query with the form's data
            action = action.split("?")[0]
        fields: list[Field] = []
        buttons: list[tuple[str, str]] = []
        radios: dict[str, Field] = {}
        for el in node.iter():
            if el.tag == "input":
                kind = el.attrs.get("type", "text").lower()
                name = el.attrs.get("name", "")
                if kind in ("submit", "image") and name:
                    buttons.append((name, el.attrs.get("value", "")))
                    continue
                if kind == "radio":
                    if name in radios:
                        radios[name].options.append(el.attrs.get("value", "on"))
                        continue
                    radios[name] = Field(
                        "input",
                        kind,
                        name,
                        el.attrs.get("value", "on"),
                        el.attrs,
                        [el.attrs.get("value", "on")],
                    )
                    fields.append(radios[name])
                    continue
                fields.append(
                    Field(
                        "input",
                        kind,
                        name,
                        el.attrs.get("value", ""),
                        el.attrs,
                        label=labels.get(el.attrs.get("id"), ""),
                    )
                )
            elif el.tag == "select":
                options = [o.attrs.get("value", o.text()) for o in el.iter("option")]
                chosen = [
                    o.attrs.get("value", o.text())
                    for o in el.iter("option")
                    if "selected" in o.attrs
                ]
                # What a browser sends for an untouched select: the selected option, or the first.
                shown = (
                    chosen[0]
                    if chosen
                    else ("" if "multiple" in el.attrs else next(iter(options), ""))
                )
                fields.append(
                    Field(
                        "select",
                        "select",
                        el.attrs.get("name", ""),
                        shown,
                        el.attrs,
                        options,
                        labels.get(el.attrs.get("id"), ""),
                    )
                )
            elif el.tag == "textarea":
                fields.append(
                    Field(
                        "textarea",
                        "textarea",
                        el.attrs.get("name", ""),
                        el.text(),
                        el.attrs,
                        label=labels.get(el.attrs.get("id"), ""),
                    )
                )
            elif (
                el.tag == "button"
                and el.attrs.get("type", "submit") == "submit"
                and el.attrs.get("name")
            ):
                buttons.append((el.attrs["name"], el.attrs.get("value", "")))
        endpoint = walker.endpoint(action, method)
        for button in buttons or [None]:
            found.append(Form(method, action, fields, button, endpoint))
    return found


def _shows_errors(page: Response) -> bool:
    """Whether a page shows a refusal: a field message, a marked field or an error banner."""
    if page.tree is None:
        return False
    return (
        bool(_field_messages(page.tree))
        or any({"alert", "alert-danger"} <= n.classes for n in page.tree.iter())
        or any("is-invalid" in n.classes for n in page.tree.iter())
    )


def _error_texts(page: Response) -> list[str]:
    """The error messages a page shows (banners and field messages), for notes."""
    if page.tree is None:
        return []
    return [
        n.text()[:80]
        for n in page.tree.iter()
        if {"alert", "alert-danger"} <= n.classes or "invalid-feedback" in n.classes
    ]


def _field_messages(tree: Node) -> set[str]:
    """The ids (or names) of the fields that carry an error message; '' for unplaced ones."""
    marked: set[str] = set()
    for node in tree.iter():
        classes = node.classes
        is_message = "invalid-feedback" in classes or (
            "text-danger" in classes and node.tag in ("p", "div", "small", "span")
        )
        if not is_message or not node.text():
            continue
        container = node.parent
        inputs = [
            el
            for el in (container.iter() if container else [])
            if el.tag in ("input", "select", "textarea")
        ]
        if inputs:
            for el in inputs:
                marked.add(el.attrs.get("id") or el.attrs.get("name", ""))
        else:
            marked.add("")
    return marked


def _href(node: Node) -> str:
    return node.attrs.get("href", "")


def _testid_text(tree: Node, testid: str) -> str | None:
    return next((n.text() for n in tree.iter() if n.attrs.get("data-testid") == testid), None)


def _job_page(page: Response) -> bool:
    """A page that started a job (a list's password page) or a job's own page."""
    return page.tree is not None and any(
        n.attrs.get("data-testid") in ("export-password", "export-status") for n in page.tree.iter()
    )


SKIP_TEXT_IN = {"script", "style", "textarea", "code", "pre"}
TEXT_ATTRS = ("placeholder", "title", "aria-label", "alt")


def _interface_texts(html: Node):
    """The interface text of a page: text nodes and labelling attributes, outside other
    languages (an element marked lang="en" is English on purpose) and outside input data."""
    stack = [html]
    while stack:
        node = stack.pop()
        if node.tag in SKIP_TEXT_IN or node.attrs.get("lang", "vi") != "vi":
            continue
        for attr in TEXT_ATTRS:
            if node.attrs.get(attr):
                yield node.attrs[attr]
        if node.tag == "input" and node.attrs.get("type") in ("submit", "button"):
            yield node.attrs.get("value", "")
        for child in node.children:
            if isinstance(child, Node):
                stack.append(child)
            elif child.strip():
                yield child.strip()
                if " · " in child:  # "<page title> · casemgr": each part on its own
                    yield from (part.strip() for part in child.split(" · "))
