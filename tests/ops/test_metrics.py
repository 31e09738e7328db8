"""/metrics: Prometheus text for allowed addresses or a bearer token, 404 for anyone else;
latency by endpoint name (never a raw path), audit appends, key operations; worker processes
added up in multiprocess mode; ProxyFix only with a number of trusted proxies."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from prometheus_client.parser import text_string_to_metric_families

from casemgr import create_app
from casemgr.auth.roles import Role
from casemgr.people.services import register_person
from tests.conftest import app_config

OUTSIDER = "203.0.113.9"


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


def scrape(client, **kwargs) -> str:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    return response.get_data(as_text=True)


def test_loopback_may_scrape_others_may_not(client):
    assert "casemgr_http_request_duration_seconds" in scrape(client)
    refused = client.get("/metrics", environ_base={"REMOTE_ADDR": OUTSIDER})
    assert refused.status_code == 404
    assert "casemgr_" not in refused.get_data(as_text=True)


def test_a_bearer_token_opens_it_from_anywhere(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "CASEMGR_METRICS_TOKEN", "s3cret-scrape-token-0123456789")
    outside = {"REMOTE_ADDR": OUTSIDER}
    good = {"Authorization": "Bearer s3cret-scrape-token-0123456789"}
    assert client.get("/metrics", environ_base=outside, headers=good).status_code == 200
    for bad in ("Bearer wrong", "Basic s3cret-scrape-token-0123456789", "Bearer ", ""):
        answer = client.get("/metrics", environ_base=outside, headers={"Authorization": bad})
        assert answer.status_code == 404, bad


def test_allowed_networks_are_a_setting(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "CASEMGR_METRICS_ALLOWED", ["10.20.0.0/16"])
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.20.3.4"}).status_code == 200
    assert client.get("/metrics").status_code == 404  # loopback no longer
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.21.0.1"}).status_code == 404


def test_latency_by_endpoint_errors_audit_and_key_operations(client, app, make, db, monkeypatch):
    worker = make.user(Role.SOCIAL_WORKER)
    before = scrape(client)
    client.login(worker)
    person = register_person(worker, sex="female", birth_year=2014, surname="Lê", given_name="Mai")
    db.session.commit()
    assert client.get("/people/").status_code == 200
    assert client.get("/people/999999999").status_code == 404
    assert client.get("/no/such/page/Nguyen").status_code == 404
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    from casemgr.home import views

    monkeypatch.setattr(views, "render_template", lambda *a, **k: 1 / 0)
    assert client.get("/dashboard").status_code == 500
    after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    count = "casemgr_http_request_duration_seconds_count"
    assert grew(count, method="GET", endpoint="people.index") == 1
    assert grew(count, method="GET", endpoint="people.detail") == 1
    assert grew("casemgr_http_requests_total", method="GET", endpoint="people.detail",
                status="404") == 1  # fmt: skip
    assert grew("casemgr_http_requests_total", method="GET", endpoint="<unmatched>",
                status="404") == 1  # fmt: skip
    assert grew("casemgr_http_exceptions_total", endpoint="home.dashboard") == 1
    assert grew("casemgr_http_requests_total", method="GET", endpoint="home.dashboard",
                status="500") == 1  # fmt: skip
    assert grew("casemgr_audit_appends_total", outcome="allowed") >= 1  # signed in
    assert grew("casemgr_key_operations_total", operation="wrap") >= 1
    # Endpoints, never paths: every endpoint label is a route's name.
    endpoints = {v for (_, pairs) in samples(after) for k, v in pairs if k == "endpoint"}
    assert endpoints and endpoints <= set(app.view_functions) | {"<unmatched>"}, endpoints
    assert "Nguyen" not in after and f"/people/{person.id}" not in after


@pytest.mark.parametrize("trusted", [0, 1])
def test_proxy_fix_trusts_exactly_the_configured_proxies(database_url, keys, trusted):
    app = create_app({**app_config(database_url, keys), "CASEMGR_TRUSTED_PROXIES": trusted})
    client = app.test_client()

    def via(remote: str, forwarded: str, proto: str = "http"):
        return client.get(
            "/metrics",
            base_url="http://localhost",  # the proxy speaks plain HTTP to the app
            environ_base={"REMOTE_ADDR": remote},
            headers={"X-Forwarded-For": forwarded, "X-Forwarded-Proto": proto},
        )

    if trusted:
        # Behind one proxy (on the loopback), the client is the address it forwards.
        assert via("127.0.0.1", OUTSIDER).status_code == 404
        answer = via("127.0.0.1", "127.0.0.1", "https")
        assert answer.status_code == 200
        assert "Strict-Transport-Security" in answer.headers  # X-Forwarded-Proto believed
        # Only the last hop is believed: a client's own X-Forwarded-For entry is not.
        assert via("127.0.0.1", f"127.0.0.1, {OUTSIDER}").status_code == 404
    else:
        # Off: forwarded headers are ignored, whoever sends them.
        assert via(OUTSIDER, "127.0.0.1").status_code == 404
        answer = via("127.0.0.1", OUTSIDER, "https")
        assert answer.status_code == 200
        assert "Strict-Transport-Security" not in answer.headers


WORKER = """
import sys
from casemgr.ops import metrics
metrics.REQUESTS.labels("GET", "home.dashboard", "200").inc(int(sys.argv[1]))
"""


def test_worker_processes_are_added_up(tmp_path, monkeypatch):
    folder = tmp_path / "metrics"
    folder.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": str(folder), "PATH": "/usr/bin:/bin"}
    for n in (2, 5):  # two "workers", each its own process
        subprocess.run([sys.executable, "-c", WORKER, str(n)], env=env, check=True, cwd=".")
    assert len(list(folder.glob("*.db"))) == 2
    from casemgr.ops import metrics

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    body, _ = metrics.exposition()
    text = body.decode()
    assert value(text, "casemgr_http_requests_total", method="GET",
                 endpoint="home.dashboard", status="200") == 7  # fmt: skip
    # The gunicorn config clears what an earlier run left, and nothing else.
    (folder / "keep.txt").write_text("not ours")
    namespace: dict = {}
    from casemgr import ROOT

    exec((ROOT / "deploy" / "gunicorn.conf.py").read_text(), namespace)
    namespace["on_starting"](None)
    assert sorted(p.name for p in folder.iterdir()) == ["keep.txt"]
    json.dumps(namespace["logconfig_dict"])  # plain data, as gunicorn needs


@pytest.mark.parametrize(
    ("setting", "value", "named"),
    [
        ("CASEMGR_LOG_FORMAT", "JSON-ish", "CASEMGR_LOG_FORMAT"),
        ("CASEMGR_LOG_LEVEL", "LOUD", "CASEMGR_LOG_LEVEL"),
        ("CASEMGR_METRICS_ALLOWED", ["127.0.0.1/32", "office-lan"], "office-lan"),
        ("CASEMGR_TRUSTED_PROXIES", -1, "CASEMGR_TRUSTED_PROXIES"),
    ],
)
def test_a_bad_operations_setting_stops_the_start(database_url, keys, setting, value, named):
    with pytest.raises(ValueError, match=named):
        create_app({**app_config(database_url, keys), setting: value})
