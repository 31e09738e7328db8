"""The shipped gunicorn config, for real: two worker processes, JSON lines on standard error
without query strings, /readyz ready, and /metrics read from the workers' shared folder (how
values of several processes add up is tested in test_metrics.py)."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from casemgr import ROOT
from tests.dbsetup import base_url

BIN = Path(sys.executable).parent
CANARY = "ZlogGunicornServedCanary"
pytestmark = pytest.mark.skipif(base_url() is not None, reason="one run is enough: SQLite half")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_gunicorn_workers_log_json_and_share_metrics(app, database_url, keys, tmp_path):
    # A copy of the run's migrated database (the app fixture), with its keys; private, or the
    # app refuses to start (casemgr/instance.py).
    (tmp_path / "casemgr.sqlite").touch(mode=0o600)
    source = sqlite3.connect(make_url(database_url).database)
    copy = sqlite3.connect(tmp_path / "casemgr.sqlite")
    source.backup(copy)
    source.close(), copy.close()
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "CASEMGR_DATABASE_URL": f"sqlite:///{tmp_path / 'casemgr.sqlite'}",
        "CASEMGR_KEYS": json.dumps(keys),
        "CASEMGR_AUDIT_CHECKPOINT_DIR": str(tmp_path / "checkpoints"),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("w") as sink:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
            env=env, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    if get(base + "/healthz")[0] == 200:
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            for _ in range(30):
                assert get(f"{base}/healthz?q={CANARY}")[0] == 200
            assert get(base + "/readyz") == (200, '{"status":"ready"}\n')
            status, text = get(base + "/metrics")
            assert status == 200
        finally:
            server.terminate()
            server.wait(timeout=30)
    counted = [
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("casemgr_http_requests_total{")
        and 'endpoint="home.healthz"' in line
        and 'status="200"' in line
    ]
    assert sum(counted) >= 31  # every worker's requests, added up (the first probes too)
    assert list((tmp_path / "metrics").glob("counter_*.db"))  # the workers' shared files
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line JSON, gunicorn's own included
    assert any(r["logger"] == "gunicorn.error" for r in records)
    access = [r for r in records if r["logger"] == "casemgr.access"]
    assert len({r["request_id"] for r in access}) == len(access) >= 32
    assert not any(CANARY in line for line in lines)
