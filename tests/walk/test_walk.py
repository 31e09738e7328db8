"""The walk (issue 10, item 2): every role, every page it is offered, every form three ways.

Six roles walk the demo province (casemgr.demo) with canaries in the sensitive fields of every
case and person (tests/walk/conftest.py). Each signs in through the real forms (enrolling TOTP
where the role requires it), follows every same-origin link and image, and submits every form
empty (what a browser sends untouched), hostile (malformed values, future dates, HTML and script,
unknown choices, other units' ids; then 20,001 characters and far-past dates) and valid.
tests/walk/crawler.py lists what fails; a failure reads "[role] METHOD URL (kind): what".

Bounds (printed in the summary when they cut anything): 3 URLs per endpoint (per export format),
2 forms per action endpoint and button name; sign-out and language-switch forms, and admin forms
on the walker's own account, are skipped and counted. Background jobs run inline and are followed
to their end. Lists show two rows a page, so that their pagers (links or buttons) are walked.
"""

from __future__ import annotations

import time

import pytest

from tests.test_access_matrix import MATRIX
from tests.walk.catalogue import EnglishText
from tests.walk.conftest import ROLES
from tests.walk.crawler import ASSET_ENDPOINTS, Walker

MATRIX_ROLE = {
    "worker_c01": "social_worker",
    "worker_c02": "social_worker",
    "commune_supervisor": "supervisor",
    "provincial_supervisor": "supervisor",
    "auditor": "auditor",
    "administrator": "administrator",
}


@pytest.fixture(scope="session")
def english() -> EnglishText:
    return EnglishText()


# Forms with several actions whose every button the walk must press (a net under the walk
# itself: the demo data and the walk's page size must make them appear).
MUST_PRESS = {
    role: {("supervision.reassign", b) for b in ("goto", "select_all", "recount", "submit")}
    for role in ("commune_supervisor", "provincial_supervisor")
}

# Pages and forms that only the walk's data leads to (a net under the walk itself, as
# MUST_PRESS): a person page's same-person link, found by the walk's search term among the
# twice-registered "Walk Kiểm Tra" (tests/walk/conftest.py), compared, linked and unlinked.
LINK_STEPS = {"people.link_find", "people.link", "people.unlink"}
MUST_REACH = {role: LINK_STEPS for role in ("worker_c01", "worker_c02", "commune_supervisor")}

# Reached by machines, not by links: load balancers and Prometheus.
OPS_ENDPOINTS = {"home.healthz", "ops.readyz", "ops.metrics_page"}


def summary(walker: Walker, seconds: float) -> str:
    """One role's walk in a few lines: what was visited, submitted, bounded and skipped."""
    s = walker.stats
    lines = [
        f"walk {walker.who.role}: {s.pages} pages ({len(s.endpoints)} endpoints), "
        f"{s.forms} forms, submissions {dict(s.submissions)}, {s.jobs} jobs, {s.files} files, "
        f"{s.requests} requests, {seconds:.1f} s, {len(walker.failures)} failures",
        f"  outcomes: {dict(sorted(s.outcomes.items()))}",
    ]
    if s.bounded:
        lines.append(f"  bounded (not walked): {dict(sorted(s.bounded.items()))}")
    if s.skipped:
        lines.append(f"  skipped on purpose: {dict(sorted(s.skipped.items()))}")
    if s.english_elsewhere:
        lines.append(f"  the same English text on other pages: {dict(s.english_elsewhere)}")
    allowed = {
        row.endpoint
        for row in MATRIX
        if row.method == "GET" and row.expected[MATRIX_ROLE[walker.who.role]] == 200
    }
    unreached = sorted(allowed - s.endpoints - ASSET_ENDPOINTS - OPS_ENDPOINTS)
    if unreached:
        lines.append(f"  pages the role may open but no link led to: {unreached}")
    lines += [f"  note: {note}" for note in sorted(set(s.notes))]
    return "\n".join(lines)


@pytest.mark.parametrize("role", list(ROLES))
def test_walk(app, db, walk_world, english, record_property, role):
    client = app.test_client()
    walker = Walker(app, client, db, walk_world.identities[role], english)
    started = time.monotonic()
    walker.walk()
    text = summary(walker, time.monotonic() - started)
    record_property("walk-summary", text)
    print(text)
    unpressed = sorted(MUST_PRESS.get(role, set()) - walker.stats.pressed)
    assert not unpressed, f"the walk never pressed {unpressed}\n{text}"
    must_reach = MUST_REACH.get(role, set())
    unreached = sorted(must_reach - walker.stats.endpoints)
    unsent = sorted(must_reach - {endpoint for endpoint, _button in walker.stats.pressed})
    assert not unreached, f"the walk never opened {unreached}\n{text}"
    assert not unsent, f"the walk never submitted {unsent}\n{text}"
    failures = "\n".join(str(f) for f in walker.failures)
    assert not walker.failures, f"{len(walker.failures)} walk failures:\n{failures}\n{text}"
