"""Every route is declared (A4) and answers every role as the access matrix says (A1)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from casemgr.auth.roles import Role
from casemgr.web.access import ACCESS_ATTR

MATRIX_FILE = Path(__file__).with_name("access_matrix.txt")
ROLES = ("anonymous", *[role.value for role in Role])
# Flask's own static views cannot carry a decorator; they are public by this explicit list.
PUBLIC_BY_LIST = {"static", "bootstrap.static"}


@dataclass(frozen=True)
class Row:
    endpoint: str
    method: str
    relation: str
    expected: dict[str, int]


def load_matrix() -> list[Row]:
    rows = []
    for line in MATRIX_FILE.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        endpoint, method, relation, *codes = line.split()
        assert len(codes) == len(ROLES), line
        rows.append(Row(endpoint, method, relation, dict(zip(ROLES, map(int, codes), strict=True))))
    return rows


MATRIX = load_matrix()


def routes(app) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_route_declares_its_access(app):
    undeclared = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint not in PUBLIC_BY_LIST and not getattr(view, ACCESS_ATTR, None)
    ]
    assert undeclared == []


def test_matrix_covers_every_route_and_nothing_else(app):
    listed = {(row.endpoint, row.method) for row in MATRIX}
    assert routes(app) - listed == set(), "routes missing from tests/access_matrix.txt"
    assert listed - routes(app) == set(), "matrix rows for routes that do not exist"


@pytest.fixture
def targets(make):
    """Objects of another unit that the URLs point at."""
    other_unit = make.unit()
    user = make.user(Role.SOCIAL_WORKER, other_unit)
    return {
        "user_id": user.id,
        "assignment_id": user.roles[0].id,
        "unit_id": other_unit.id,
        "change": "disable",
        "filename": "css/casemgr.css",
    }


def build_url(app, endpoint: str, targets: dict) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = {name: targets[name] for name in rule.arguments}
    if endpoint == "bootstrap.static":
        values["filename"] = "css/bootstrap.min.css"
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **values)


@pytest.mark.parametrize("row", MATRIX, ids=lambda row: f"{row.endpoint}-{row.method}")
def test_matrix(app, client, make, targets, row):
    url = build_url(app, row.endpoint, targets)
    home_unit = make.unit()
    for role in ROLES:
        client.cookie_jar.clear() if hasattr(client, "cookie_jar") else client._cookies.clear()
        if role != "anonymous":
            user = make.user(Role(role), home_unit, mfa_enrolled=role != "social_worker")
            assert client.login(user).status_code == 302
        if row.method == "GET":
            response = client.get(url)
        else:
            response = client.post_form(url)
        assert response.status_code == row.expected[role], f"{role} {row.method} {url}"
