"""Drill: PostgreSQL goes away under load and comes back.

    python -m bench.drills.pg_restart            (a TCP relay is cut for 3 s: the server stays up)
    python -m bench.drills.pg_restart --real     (pg_ctlcluster restarts the local server once:
                                                  every other client of it is cut too)

gunicorn (deploy/gunicorn.conf.py, 2 workers) serves a signed-in social worker who adds case
notes from 6 threads. Measured: requests sent, answered 503 "try again", lost (no answer or 500),
the time from the database's return to the first note saved, and that every 503 was the app's
own page with no internals in it. Afterwards: every note has its audit event, the chain verifies.
"""

from __future__ import annotations

import argparse
import subprocess
import time

import sqlalchemy as sa

from bench.drills import harness as h
from tests.ops.test_health import Relay

RAW = ("Traceback", "Internal Server Error", "OperationalError", "psycopg")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--real", action="store_true", help="restart the server itself")
    parser.add_argument("--cluster", default="15 main", help="pg_ctlcluster version and name")
    args = parser.parse_args()
    with h.scratch() as folder:
        direct = h.database_url("postgresql", folder)
        target = sa.engine.make_url(direct)
        relay = Relay((target.host or "127.0.0.1", target.port or 5432))
        relay.start()
        served = direct if args.real else h.database_url_via(direct, relay.port)
        env = h.environment(served, folder, h.free_port())
        h.prepare(env)
        server = h.Server(env, folder)
        server.start()
        client = h.Client(server.base)
        case_id = client.sign_in()
        load = h.Load(client, case_id)
        load.start()
        try:
            time.sleep(3)
            down_at = time.monotonic()
            if args.real:
                command = ["pg_ctlcluster", "--skip-systemctl-redirect", *args.cluster.split()]
                subprocess.run([*command, "restart"], check=True)
            else:
                relay.stop()
                time.sleep(3)
                relay.start()
            back_at = time.monotonic()
            time.sleep(5)
        finally:
            load.stop()
            server.stop()
            relay.stop()
        outcomes = sorted(load.outcomes, key=lambda o: o.started)
        failed = [o for o in outcomes if o.status != 302]
        first_saved = next(
            (o.ended for o in outcomes if o.status == 302 and o.started >= back_at), None
        )
        pages = [o.page for o in outcomes if o.status == 503]
        checks = h.count_notes_and_audit(direct, case_id)
        saved = sum(1 for o in outcomes if o.status == 302)
        h.report(
            f"PostgreSQL {'restarted (pg_ctlcluster)' if args.real else 'cut (TCP relay)'}",
            {
                **h.summary(outcomes),
                "database away (s)": round(back_at - down_at, 2),
                "first note saved after the database returned (s)": (
                    round(first_saved - back_at, 2) if first_saved else None
                ),
                "users saw failures for (s)": (
                    round(failed[-1].ended - failed[0].started, 2) if failed else 0
                ),
                "503 pages: the app's own, nothing raw": all(
                    'class="navbar' in p or "(503)" in p for p in pages
                )
                and not any(raw in p for p in pages for raw in RAW),
                "notes in the database": checks["notes"],
                "notes answered 302": saved,
                "notes without an audit event": checks["unaudited"],
                "audit chain verifies": h.audit_verifies({**env, "CASEMGR_DATABASE_URL": direct}),
                "machine": h.machine_load(),
            },
        )


if __name__ == "__main__":
    main()
