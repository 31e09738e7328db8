"""The API's case read against the HTML case page, served by gunicorn, measured in one run.

    python -m bench.api_bench [--db sqlite|postgresql] [--seconds 8] [--threads 4] [--rounds 3]

A scratch database with the demo province (`casemgr init`, `casemgr demo-data`), gunicorn with
the shipped config (deploy/gunicorn.conf.py, 2 workers x 2 threads) on a loopback port. One
demo social worker reads one of their cases: signed in with a session cookie, GET /cases/<id>
(the HTML case page); with a personal access token, GET /api/v1/cases/<id>. Both are audited
reads through the same loader. Each round runs the page and the API for the same number of
seconds from the same number of client threads (one keep-alive connection each), alternating
which goes first; the report gives requests per second per round and the median, and the ratio
API / page. Every answer must be 200 (anything else is counted and fails the run). The API's
per-token limit is raised for the run (CASEMGR_API_LIMIT_PER_TOKEN), the rest is as shipped.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from bench.drills import harness

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PG_ADMIN = os.environ.get(
    "BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PG_NAME = "bench_api"
WORKER, PASSWORD = "demo.worker1", "demo-Casemgr-2026"

MAKE_TOKEN = """
import datetime as dt
from casemgr import create_app
from casemgr.auth.models import User
from casemgr.clock import today
from casemgr.extensions import db
from casemgr.tokens.services import create_token
from sqlalchemy import select
app = create_app()
with app.app_context():
    user = db.session.scalar(select(User).where(User.username == %r))
    _, value = create_token(user, name="bench", scopes=["read"],
                            expires_on=today() + dt.timedelta(days=1), today=today())
    db.session.commit()
    print(value)
"""


def environment(url: str, folder: Path, port: int) -> dict[str, str]:
    """The drills' service environment, with no per-token limit in the way of the load."""
    return {
        **harness.environment(url, folder, port),
        "CASEMGR_API_LIMIT_PER_TOKEN": "1000000/minute",
    }


def run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{args[:3]} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done.stdout


def connection(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=30)


def sign_in(port: int) -> tuple[str, int]:
    """A session cookie of the demo worker, and the id of one of their cases."""
    conn = connection(port)
    cookies: dict[str, str] = {}

    def request(method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        answer = conn.getresponse()
        text = answer.read().decode()
        for header in answer.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            cookies[name] = rest.split(";", 1)[0]
        return answer.status, text

    _, page = request("GET", "/auth/login")
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    status, _ = request("POST", "/auth/login",
                        {"csrf_token": csrf, "username": WORKER, "password": PASSWORD})  # fmt: skip
    assert status == 302, status
    _, page = request("GET", "/cases/")
    case_id = int(re.search(r'href="/cases/(\d+)"', page).group(1))
    assert request("GET", f"/cases/{case_id}")[0] == 200
    return "; ".join(f"{k}={v}" for k, v in cookies.items()), case_id


def load(port: int, path: str, headers: dict[str, str], seconds: float, threads: int) -> dict:
    """GET `path` from `threads` keep-alive connections for `seconds`: answers per second."""
    counts = {"ok": 0, "other": 0}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker() -> None:
        conn, ok, other = connection(port), 0, 0
        while time.monotonic() < stop_at:
            conn.request("GET", path, headers=headers)
            answer = conn.getresponse()
            answer.read()
            if answer.status == 200:
                ok += 1
            else:
                other += 1
            if answer.will_close:
                conn.close()
                conn = connection(port)
        with lock:
            counts["ok"] += ok
            counts["other"] += other

    started = time.monotonic()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.monotonic() - started
    return {"rps": counts["ok"] / elapsed, **counts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="casemgr-api-bench-") as scratch:
        folder = Path(scratch)
        os.chmod(folder, 0o700)
        port = harness.free_port()
        url = harness.database_url(args.db, folder, name=PG_NAME, server=PG_ADMIN)
        env = environment(url, folder, port)
        flask = str(BIN / "flask")
        run(env, flask, "--app", "wsgi", "casemgr", "init")
        run(env, flask, "--app", "wsgi", "casemgr", "demo-data")
        token = run(env, sys.executable, "-c", MAKE_TOKEN % WORKER).strip().splitlines()[-1]
        log = (folder / "gunicorn.log").open("w")
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    conn = connection(port)
                    conn.request("GET", "/readyz")
                    if conn.getresponse().status == 200:
                        break
                except OSError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(
                        "gunicorn did not start:\n" + (folder / "gunicorn.log").read_text()
                    )
                time.sleep(0.2)
            cookie, case_id = sign_in(port)
            page = (f"/cases/{case_id}", {"Cookie": cookie})
            api = (f"/api/v1/cases/{case_id}", {"Authorization": f"Bearer {token}"})
            for path, headers in (page, api):  # warm both up
                load(port, path, headers, 1.0, args.threads)
            rounds = []
            for index in range(args.rounds):
                order = [("page", page), ("api", api)]
                if index % 2:
                    order.reverse()
                measured = {name: load(port, p, h, args.seconds, args.threads)
                            for name, (p, h) in order}  # fmt: skip
                rounds.append(measured)
                print(f"round {index + 1}: page {measured['page']['rps']:.1f} req/s, "
                      f"API {measured['api']['rps']:.1f} req/s", flush=True)  # fmt: skip
        finally:
            server.terminate()
            server.wait(timeout=40)
            log.close()
    failures = sum(r[name]["other"] for r in rounds for name in ("page", "api"))
    page_rps = statistics.median(r["page"]["rps"] for r in rounds)
    api_rps = statistics.median(r["api"]["rps"] for r in rounds)
    print(json.dumps({
        "db": args.db, "threads": args.threads, "seconds_per_run": args.seconds,
        "rounds": args.rounds, "gunicorn": "2 workers x 2 threads",
        "html_case_page_rps_median": round(page_rps, 1),
        "api_case_read_rps_median": round(api_rps, 1),
        "api_over_page": round(api_rps / page_rps, 2), "non_200_answers": failures,
    }, indent=1))  # fmt: skip
    if failures:
        raise SystemExit("some answers were not 200")


if __name__ == "__main__":
    main()
