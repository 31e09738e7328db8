"""In-process cost of the case page, the person page and the caseload, as a demo social worker.

`python -m bench.page_profile` builds the demo province (casemgr.demo.load_demo_data) in a
temporary SQLite database, signs in demo.worker1 through the real login form with
`app.test_client()`, and prints each page's median milliseconds per request over N requests
(the worker's own cases and persons taken in turn). `--profile PAGE` runs cProfile over that
page instead and prints the top functions; `--sort tottime` changes the order. Timings only
here, never in tests.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import os
import pstats
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

WORKER = "demo.worker1"
BASE = "https://localhost"


def build_app(folder: Path) -> Flask:
    """A production-like app (not TESTING) on a fresh SQLite file holding the demo data."""
    os.environ.setdefault("CASEMGR_INSTANCE_PATH", str(folder / "instance"))
    from flask_migrate import upgrade

    from casemgr import create_app
    from casemgr.crypto.keyfile import new_key_document
    from casemgr.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'casemgr.sqlite'}",
            "CASEMGR_KEYS_JSON": json.dumps(new_key_document()),
            "CASEMGR_AUDIT_CHECKPOINT_DIR": str(folder / "checkpoints"),
            "CASEMGR_AUDIT_AUTO_CHECKPOINT": False,
            "CASEMGR_JOBS_IMMEDIATE": True,
            "CASEMGR_LOG_LEVEL": "WARNING",
            "RATELIMIT_STORAGE_URI": "memory://",
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_KIB": 1024,
            "ARGON2_PARALLELISM": 1,
        }
    )
    with app.app_context():
        logging.disable(logging.INFO)  # the migrations' progress lines
        try:
            upgrade()
        finally:
            logging.disable(logging.NOTSET)
        from casemgr.demo import load_demo_data
        from casemgr.org.areas import load_current_areas
        from casemgr.reference.services import load_reference_data
        from casemgr.rules.services import seed_rules
        from casemgr.support.catalogue import load_service_catalogue

        load_current_areas()
        load_reference_data()
        load_service_catalogue()
        seed_rules()
        db.session.commit()
        load_demo_data()
        db.session.commit()
        db.session.remove()
    return app


def sign_in(app: Flask) -> FlaskClient:
    """A client signed in as the demo social worker through the login form."""
    from casemgr.demo import DEMO_PASSWORD

    client = app.test_client()
    client.environ_base["HTTP_REFERER"] = BASE + "/"
    page = client.get("/auth/login", base_url=BASE).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    if token is None:
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    answer = client.post(
        "/auth/login",
        base_url=BASE,
        data={"csrf_token": token.group(1), "username": WORKER, "password": DEMO_PASSWORD},
    )
    assert answer.status_code == 302 and "/auth/" not in answer.headers["Location"], answer
    return client


def targets(app: Flask) -> dict[str, list[str]]:
    """The URLs of each page: the worker's own cases and their persons."""
    from sqlalchemy import select

    from casemgr.auth.models import User
    from casemgr.cases.models import Case
    from casemgr.extensions import db

    with app.app_context():
        worker = db.session.scalar(select(User).where(User.username == WORKER))
        rows = db.session.execute(
            select(Case.id, Case.person_id).where(Case.owner_id == worker.id).order_by(Case.id)
        ).all()
        db.session.remove()
    return {
        "case": [f"/cases/{r.id}" for r in rows],
        "person": [f"/people/{r.person_id}" for r in rows],
        "caseload": ["/cases/"],
        "floor": ["/auth/password"],  # a signed-in page with no work of its own
        "healthz": ["/healthz"],  # the minimal page: the floor of any request
    }


def requester(client: FlaskClient, urls: list[str]) -> Callable[[], None]:
    """One request to the next URL in turn; a non-200 answer stops the run."""
    turn = [0]

    def request() -> None:
        url = urls[turn[0] % len(urls)]
        turn[0] += 1
        response = client.get(url, base_url=BASE)
        assert response.status_code == 200, (url, response.status_code)

    return request


def measure(
    pages: dict[str, Callable[[], None]], n: int
) -> dict[str, tuple[list[float], list[float]]]:
    """Wall and CPU milliseconds per request, the pages taking turns so that the machine's
    load drifts hit all of them alike."""
    for request in pages.values():  # warm: templates compiled, caches filled
        for _ in range(5):
            request()
    times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in pages}
    for _ in range(n):
        for name, request in pages.items():
            wall, cpu = time.perf_counter(), time.process_time()
            request()
            times[name][1].append((time.process_time() - cpu) * 1000)
            times[name][0].append((time.perf_counter() - wall) * 1000)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100, help="requests per page (default 100)")
    parser.add_argument("--profile", choices=("case", "person", "caseload", "floor", "healthz"))
    parser.add_argument("--sort", default="cumulative", help="pstats order (cumulative, tottime)")
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument(
        "--dir",
        default="/dev/shm" if Path("/dev/shm").is_dir() else None,
        help="where the temporary database goes (default: /dev/shm, so that a busy disk's "
        "fsync at each request's commit does not hide the app's own cost)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="casemgr-pages-", dir=args.dir) as folder:
        app = build_app(Path(folder))
        client = sign_in(app)
        pages = {name: requester(client, urls) for name, urls in targets(app).items()}
        if args.profile:
            request = pages[args.profile]
            for _ in range(5):
                request()
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.n):
                request()
            profiler.disable()
            pstats.Stats(profiler, stream=sys.stdout).sort_stats(args.sort).print_stats(args.top)
            return 0
        times = measure(pages, args.n)
        load = os.getloadavg()[0]
        print(f"n={args.n} requests per page, milliseconds per request (load {load:.1f})")
        print(f"{'page':<10} {'median':>8} {'p90':>8} {'min':>8} {'CPU median':>11}")
        for name, (wall, cpu) in times.items():
            wall.sort()
            p90 = wall[int(0.9 * (len(wall) - 1))]
            print(
                f"{name:<10} {statistics.median(wall):>8.2f} {p90:>8.2f} {wall[0]:>8.2f}"
                f" {statistics.median(cpu):>11.2f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
