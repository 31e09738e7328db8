"""Real processes for the integration tests: a seeded database, workers, gunicorn servers,
and a signed-in HTTP session against a server (no test client: the servers are real)."""

from __future__ import annotations

import atexit
import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyotp
import redis
from flask_migrate import upgrade

from casemgr import ROOT, create_app
from casemgr.auth.roles import Role
from casemgr.cases.models import ProtectionLevel, RiskLevel
from casemgr.cases.services import open_case
from casemgr.extensions import db
from casemgr.people.services import register_person
from tests.conftest import app_config
from tests.factories import PASSWORD, Factories

BIN = Path(sys.executable).parent
REDIS_URL = os.environ.get("CASEMGR_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")


@dataclass
class Seeded:
    """The people of a seeded database (usernames and the supervisor's TOTP secret)."""

    admin: str
    supervisor: str
    totp_secret: str


def seed(url: str, keys: dict) -> Seeded:
    """Migrate a new database and give it a commune, a supervisor, an admin and some cases."""
    app = create_app(app_config(url, keys))
    with app.app_context():
        upgrade()
        from casemgr.reference.services import load_reference_data
        from casemgr.rules.services import seed_rules

        load_reference_data()
        seed_rules()
        make = Factories(db)
        province = make.unit()
        supervisor = make.user(Role.SUPERVISOR, province)
        admin = make.user(Role.ADMINISTRATOR, province)
        worker = make.user(Role.SOCIAL_WORKER, province)
        for index in range(12):
            person = register_person(worker, sex="female", birth_year=2012, surname="Lý",
                                     given_name=f"Thu{index}")  # fmt: skip
            open_case(worker, person=person, group_code="child", sub_groups=[],
                      protection_level=ProtectionLevel.SUPPORT, risk_level=RiskLevel.LOW,
                      unit=province, summary=None)  # fmt: skip
        seeded = Seeded(admin.username, supervisor.username, supervisor.test_totp_secret)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return seeded


def redis_url() -> str | None:
    """The Redis to use (flushed first): the one at CASEMGR_TEST_REDIS_URL, else one started
    here (redis-server, no persistence, stopped at exit); None only when neither is possible."""
    for start in (lambda: REDIS_URL, _own_redis):
        url = start()
        if url is None:
            continue
        try:
            redis.Redis.from_url(url, socket_connect_timeout=1).flushdb()
            return url
        except redis.exceptions.ConnectionError:
            continue
    return None


def _own_redis() -> str | None:
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    atexit.register(stop, server)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            client.ping()
            return url
        except redis.exceptions.ConnectionError:
            time.sleep(0.1)
    return None


def environment(url: str, keys: dict, instance: Path, **extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "CASEMGR_DATABASE_URL": url,
        "CASEMGR_KEYS": json.dumps(keys),
        "CASEMGR_INSTANCE_PATH": str(instance),
        "CASEMGR_AUDIT_CHECKPOINT_DIR": str(instance / "checkpoints"),
        "CASEMGR_LOG_FORMAT": "text",
        "CASEMGR_SECURE_COOKIES": "0",
    }
    env.update(extra)
    return env


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    sink = log.open("a")
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "casemgr", "worker", "--threads", "2"],
        env=env, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT,
    )  # fmt: skip


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(env: dict[str, str], log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    sink = log.open("a")
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1", "wsgi:app"],
        env=env, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: _answers(base), 60, log)
    return server, base


def _answers(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=5) as answer:
            return answer.status == 200
    except OSError:
        return False


def wait_for(condition: Callable[[], object], seconds: float, log: Path | None = None):
    """Poll `condition` until it is truthy (its value is returned) or fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, log.read_text()[-3000:] if log else "timed out"
        time.sleep(0.1)


class Browser:
    """A cookie-keeping HTTP client that fills CSRF tokens, pointed at one server or another."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def request(self, url: str, form: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(url, data=data, timeout=30) as answer:
                return answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def post(self, base: str, page: str, path: str, form: dict[str, str]):
        """POST a form of `page` (read first, for its CSRF token)."""
        _status, _headers, body = self.request(base + page)
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body).group(1).decode()
        return self.request(base + path, {"csrf_token": token, **form})

    def sign_in(self, base: str, username: str, totp_secret: str) -> None:
        status, headers, _ = self.post(
            base, "/auth/login", "/auth/login", {"username": username, "password": PASSWORD}
        )
        assert status == 302 and headers["Location"].endswith("/auth/mfa"), status
        code = pyotp.TOTP(totp_secret).now()
        status, _headers, _ = self.post(base, "/auth/mfa", "/auth/mfa", {"code": code})
        assert status == 302


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@contextmanager
def running(*processes: subprocess.Popen):
    try:
        yield processes
    finally:
        for process in processes:
            stop(process)
