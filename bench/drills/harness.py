"""Shared harness of the fault drills: a scratch database with the demo data, gunicorn with the
shipped config (deploy/gunicorn.conf.py, 2 workers) on a loopback port, a signed-in client that
adds case notes in a loop, and the checks made afterwards (audit chain, notes vs audit events).

Loopback only: the server binds 127.0.0.1, the PostgreSQL drills use a scratch database
`drill_faults` on the local server (dropped and created again at each run).
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from casemgr import clock

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG_ADMIN = os.environ.get(
    "DRILL_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PG_NAME = "drill_faults"
WORKER = "demo.worker1"
PASSWORD = "demo-Casemgr-2026"  # the demo password (casemgr.demo), scratch database only


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url(
    kind: str,
    folder: Path,
    port: int | None = None,
    *,
    name: str = PG_NAME,
    server: str = PG_ADMIN,
) -> str:
    """A fresh scratch database: an SQLite file, or `name` (dropped first) on `server`."""
    if kind == "sqlite":
        return f"sqlite:///{folder / (name + '.sqlite')}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    url = sa.engine.make_url(server).set(database=name)
    if port is not None:
        url = url.set(port=port)
    return url.render_as_string(hide_password=False)


def database_url_via(url: str, port: int) -> str:
    """The same database reached through a local relay on `port`."""
    relayed = sa.engine.make_url(url).set(host="127.0.0.1", port=port)
    return relayed.render_as_string(hide_password=False)


def environment(url: str, folder: Path, port: int) -> dict[str, str]:
    """The service's environment, as a systemd unit would give it (plain HTTP on loopback)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "CASEMGR_DATABASE_URL": url,
        "CASEMGR_KEY_FILE": str(folder / "casemgr.keys"),
        "CASEMGR_AUDIT_CHECKPOINT_DIR": str(folder / "checkpoints"),
        "CASEMGR_SECURE_COOKIES": "false",
        "CASEMGR_LOG_LEVEL": "WARNING",
        "CASEMGR_ARGON2_MEMORY_KIB": "8192",  # sign-in is not what is measured
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
    }


def flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Run `flask --app wsgi casemgr ARGS` against the scratch database."""
    return subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", "casemgr", *args],
        env=env, cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip


def prepare(env: dict[str, str]) -> None:
    """Migrate, make keys, load the demo data."""
    for args in (("init",), ("demo-data",)):
        done = flask(env, *args)
        if done.returncode:
            raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


class Server:
    """gunicorn with deploy/gunicorn.conf.py, its log in the scratch folder."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env, self.log = env, folder / "gunicorn.log"
        self.base = "http://" + env["GUNICORN_BIND"]
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("a") as sink:
            self.process = subprocess.Popen(
                [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
                env=self.env, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while self.ready() != 200:
            if self.process.poll() is not None:
                raise SystemExit("gunicorn exited:\n" + self.log.read_text()[-3000:])
            if time.monotonic() > deadline:
                raise SystemExit("gunicorn did not become ready:\n" + self.log.read_text()[-3000:])
            time.sleep(0.2)
        while len(self.workers()) < 2:
            time.sleep(0.1)

    def ready(self) -> int | None:
        try:
            with urllib.request.urlopen(self.base + "/readyz", timeout=5) as answer:
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return None

    def workers(self) -> list[int]:
        """The master's child processes (the workers)."""
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=40)
        keep = Path(tempfile.gettempdir()) / "casemgr-drill-last-gunicorn.log"
        keep.write_text(self.log.read_text())  # for a look afterwards (no personal data)


class Client:
    """A signed-in social worker, over a fresh connection per request."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        no_redirect = type(
            "NoRedirect", (urllib.request.HTTPRedirectHandler,),
            {"redirect_request": lambda *a, **k: None},
        )  # fmt: skip
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), no_redirect
        )
        self.token = ""

    def request(self, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(self.base + path, data=data, timeout=15) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def sign_in(self) -> int:
        """Sign in; return the id of a case the worker may add notes to."""
        _, page = self.request("/auth/login")
        self.token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        status, _ = self.request(
            "/auth/login", {"csrf_token": self.token, "username": WORKER, "password": PASSWORD}
        )
        assert status == 302, status
        _, page = self.request("/cases/")
        case_id = int(re.search(r'href="/cases/(\d+)"', page).group(1))
        _, page = self.request(f"/cases/{case_id}")
        self.token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        return case_id

    def add_note(self, case_id: int, body: str) -> tuple[int, str]:
        return self.request(
            f"/cases/{case_id}/notes",
            {
                "csrf_token": self.token,
                "kind": "phone",
                "occurred_on": clock.today().isoformat(),
                "body": body,
            },
        )


@dataclass
class Outcome:
    """One request of the load: when it started and ended, and its answer."""

    started: float
    ended: float
    status: int | None  # None: no answer at all (connection reset or refused)
    page: str = ""


@dataclass
class Load:
    """Threads adding notes in a loop until stopped; every outcome is kept."""

    client: Client
    case_id: int
    threads: int = 6
    outcomes: list[Outcome] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    counter: itertools.count = field(default_factory=itertools.count)

    def start(self) -> None:
        self.pool = [threading.Thread(target=self._run, daemon=True) for _ in range(self.threads)]
        for thread in self.pool:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.pool:
            thread.join()

    def _run(self) -> None:
        while not self.stopping.is_set():
            started = time.monotonic()
            try:
                status, page = self.client.add_note(
                    self.case_id, f"drill note {next(self.counter)}"
                )
            except OSError:
                status, page = None, ""
            self.outcomes.append(Outcome(started, time.monotonic(), status, page))
            if status not in (None, 302, 503) and not getattr(self, "shown", False):
                self.shown = True
                print(status, re.sub(r"\s+", " ", page)[-2500:], file=sys.stderr)
            if status != 302:
                time.sleep(0.05)  # as a user would wait a moment before trying again


def count_notes_and_audit(url: str, case_id: int) -> dict[str, int]:
    """Notes of the case, and notes without their audit event (must be 0)."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        notes = connection.scalar(
            sa.text("SELECT count(*) FROM case_notes WHERE case_id = :c"), {"c": case_id}
        )
        unaudited = connection.scalar(
            sa.text(
                "SELECT count(*) FROM case_notes n WHERE n.case_id = :c AND NOT EXISTS ("
                " SELECT 1 FROM audit_events a WHERE a.action = 'case.note_add'"
                " AND a.object_type = 'case_note' AND a.object_id = CAST(n.id AS VARCHAR(64)))"
            ),
            {"c": case_id},
        )
        integrity = "ok"
        if connection.dialect.name == "sqlite":
            integrity = connection.exec_driver_sql("PRAGMA integrity_check").scalar()
    engine.dispose()
    return {"notes": notes, "unaudited": unaudited, "integrity": integrity}


def audit_verifies(env: dict[str, str]) -> bool:
    """`flask --app wsgi casemgr audit verify` succeeds."""
    done = flask(env, "audit", "verify", "--no-record")
    return done.returncode == 0


def app_loaded(pid: int) -> bool:
    """Whether a worker has imported the app (gunicorn's master never does: no preload)."""
    try:
        return "cryptography" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def machine_load() -> str:
    """The load average and core count, for the record."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def summary(outcomes: list[Outcome]) -> dict[str, int]:
    """Requests by what came back."""
    return {
        "sent": len(outcomes),
        "saved (302)": sum(1 for o in outcomes if o.status == 302),
        "try again (503)": sum(1 for o in outcomes if o.status == 503),
        "lost: no answer (connection cut)": sum(1 for o in outcomes if o.status is None),
        "lost: 500": sum(
            1 for o in outcomes if o.status is not None and o.status >= 500 and o.status != 503
        ),
        "other": sum(
            1
            for o in outcomes
            if o.status is not None and o.status not in (302, 503) and o.status < 500
        ),
    }


@contextlib.contextmanager
def scratch() -> Path:
    with tempfile.TemporaryDirectory(prefix="casemgr-drill-") as folder:
        yield Path(folder)


def report(title: str, figures: dict) -> None:
    print(json.dumps({"drill": title, **figures}, indent=2, ensure_ascii=False))
