"""gunicorn as in production (deploy/gunicorn.conf.py) on loopback, signed-in clients, and wrk."""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pyotp
import requests

from bench.province import PASSWORD, Province

ROOT = Path(__file__).resolve().parent.parent
WRK_SCRIPT = Path(__file__).resolve().parent / "wrk_report.lua"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn -c deploy/gunicorn.conf.py wsgi:app serving a province on 127.0.0.1.

    Production settings except what loopback HTTP needs: cookies without the Secure flag
    (no TLS on loopback, as `make run`), workers that are not recycled (below) and, for the
    load test, a per-address sign-in limit that 50 simulated users all coming from 127.0.0.1
    do not exhaust (per-account limits and everything else stay as shipped).
    """

    def __init__(self, province: Province, log_path: Path, *, workers: int | None = None) -> None:
        self.province = province
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.workers = workers
        self.process: subprocess.Popen | None = None
        self.metrics_dir = tempfile.TemporaryDirectory(prefix="casemgr-bench-metrics-")

    def __enter__(self) -> Server:
        env = {
            **os.environ,
            **self.province.env(),
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            # None: the production default of deploy/gunicorn.conf.py (2 x cores + 1, at most 8).
            **({"GUNICORN_WORKERS": str(self.workers)} if self.workers else {}),
            "GUNICORN_TIMEOUT": "120",
            # Workers are not recycled: at 600 /healthz a second each one was replaced every
            # few seconds, and the next page measured paid its start (2-3 s of CPU) in its
            # requests. In production a replacement every 2,000 requests costs about 1 ms each.
            "GUNICORN_MAX_REQUESTS": "0",
            "PROMETHEUS_MULTIPROC_DIR": self.metrics_dir.name,
            "CASEMGR_SECURE_COOKIES": "0",
            "CASEMGR_LOGIN_LIMIT_PER_ADDRESS": "10000/minute",
        }
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=self.log,
            start_new_session=True,
        )
        try:
            self._wait_until_up()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log_path}")
            try:
                if requests.get(self.base + "/healthz", timeout=2).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer in 60 s; see {self.log_path}")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()
        self.metrics_dir.cleanup()


class SignInFailed(RuntimeError):
    """A bench account could not sign in (the message names the account, never a secret)."""


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _CSRF.search(html)
    if found is None:
        raise SignInFailed("no CSRF token on the page")
    return found.group(1)


def sign_in(base: str, province: Province, username: str) -> requests.Session:
    """A requests session signed in through the real forms (password, then TOTP if enrolled)."""
    session = requests.Session()
    page = session.get(base + "/auth/login")
    response = session.post(
        base + "/auth/login",
        data={"csrf_token": csrf_token(page.text), "username": username, "password": PASSWORD},
        allow_redirects=False,
    )
    location = response.headers.get("Location", "")
    if response.status_code != 302:
        raise SignInFailed(f"{username}: sign-in answered {response.status_code}")
    secret = province.users[username]["totp"]
    if location.endswith("/auth/mfa"):
        for _attempt in range(3):  # a code already used in this 30 s step is refused: wait
            page = session.get(base + "/auth/mfa")
            response = session.post(
                base + "/auth/mfa",
                data={"csrf_token": csrf_token(page.text), "code": pyotp.TOTP(secret).now()},
                allow_redirects=False,
            )
            if response.status_code == 302 and not response.headers["Location"].endswith("/mfa"):
                break
            time.sleep(31 - time.time() % 30)
        else:
            raise SignInFailed(f"{username}: TOTP refused 3 times")
    return session


def session_cookie(session: requests.Session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


@dataclass
class Timing:
    """One timed series of requests (wrk, or one at a time): percentiles (ms), throughput,
    and errors (4xx/5xx answers, socket errors)."""

    requests: int
    seconds: float
    rps: float
    median_ms: float
    p95_ms: float
    p99_ms: float
    errors: int

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def latency(
    base: str,
    session: requests.Session,
    *,
    paths: list[str],
    body: str | None = None,
    seconds: float = 10,
    at_least: int = 5,
    at_most: int = 200,
) -> Timing:
    """Latency of one page, one request at a time (as a user waits for it): for `seconds`, but
    at least `at_least` requests whatever they take, so that a page slower than the run still
    gets a median and a p95 (nearest rank)."""
    times, errors = [], 0
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
    began = time.perf_counter()
    for number in itertools.count():
        if number >= at_most or (number >= at_least and time.perf_counter() - began >= seconds):
            break
        path = paths[number % len(paths)]
        start = time.perf_counter()
        if body:
            response = session.post(base + path, data=body, headers=headers, allow_redirects=False)
        else:
            response = session.get(base + path, allow_redirects=False)
        times.append(time.perf_counter() - start)
        errors += response.status_code >= 400
    elapsed = time.perf_counter() - began
    times.sort()
    return Timing(
        requests=len(times),
        seconds=round(elapsed, 2),
        rps=round(len(times) / elapsed, 1),
        median_ms=round(statistics.median(times) * 1000, 2),
        p95_ms=round(times[max(0, math.ceil(0.95 * len(times)) - 1)] * 1000, 2),
        p99_ms=round(times[max(0, math.ceil(0.99 * len(times)) - 1)] * 1000, 2),
        errors=errors,
    )


def wrk(
    url: str,
    *,
    cookie: str = "",
    paths: list[str] | None = None,
    body: str | None = None,
    connections: int = 8,
    threads: int = 2,
    seconds: int = 10,
) -> Timing:
    """Run wrk against one URL (or a rotation of paths; a POST when `body` is given)."""
    env = {**os.environ, "BENCH_COOKIE": cookie, "BENCH_BODY": body or ""}
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(paths or []))
        env["BENCH_PATHS"] = handle.name
    try:
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s",
             "-s", str(WRK_SCRIPT), url],
            env=env, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    finally:
        os.unlink(env["BENCH_PATHS"])
    line = next(x for x in out.splitlines() if x.startswith("BENCH_JSON "))
    data = json.loads(line.removeprefix("BENCH_JSON "))
    seconds_run = data["duration_us"] / 1e6
    return Timing(
        requests=data["requests"],
        seconds=round(seconds_run, 2),
        rps=round(data["requests"] / seconds_run, 1),
        median_ms=round(data["p50_us"] / 1000, 2),
        p95_ms=round(data["p95_us"] / 1000, 2),
        p99_ms=round(data["p99_us"] / 1000, 2),
        errors=data["errors"],
    )
