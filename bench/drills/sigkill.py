"""Drill: a gunicorn worker killed with SIGKILL in the middle of requests.

    python -m bench.drills.sigkill --db sqlite        (or --db postgresql)

gunicorn (deploy/gunicorn.conf.py, 2 workers) serves a signed-in social worker who adds case
notes from 6 threads without pause. Three times, a worker is killed with SIGKILL. Measured:
requests sent and lost (no answer), the time until gunicorn has a replacement worker with the app
loaded (its memory maps hold the app's native libraries), and afterwards:
every note has its audit event, the audit chain verifies, SQLite's integrity check passes.
"""

from __future__ import annotations

import argparse
import os
import signal
import time

from bench.drills import harness as h


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--kills", type=int, default=3)
    args = parser.parse_args()
    with h.scratch() as folder:
        url = h.database_url(args.db, folder)
        env = h.environment(url, folder, h.free_port())
        h.prepare(env)
        server = h.Server(env, folder)
        server.start()
        client = h.Client(server.base)
        case_id = client.sign_in()
        load = h.Load(client, case_id)
        load.start()
        recoveries, kill_times = [], []
        try:
            for _ in range(args.kills):
                time.sleep(3)
                before = server.workers()
                victim, survivor = before[0], before[1]
                killed_at = time.monotonic()
                os.kill(victim, signal.SIGKILL)
                kill_times.append(killed_at)
                del survivor
                deadline = killed_at + 60
                while not (new := set(server.workers()) - set(before)):
                    assert time.monotonic() < deadline, "no replacement worker"
                    time.sleep(0.01)
                (replacement,) = new
                while not h.app_loaded(replacement):  # the app imported: it serves
                    assert time.monotonic() < deadline, "the replacement did not boot"
                    time.sleep(0.01)
                recoveries.append(time.monotonic() - killed_at)
            time.sleep(2)
        finally:
            load.stop()
            server.stop()
        figures = h.summary(load.outcomes)
        checks = h.count_notes_and_audit(url, case_id)
        saved = figures["saved (302)"]
        h.report(
            f"SIGKILL of a worker ({args.db})",
            {
                **figures,
                "kills": args.kills,
                "workers replaced and serving after (s)": [round(r, 2) for r in recoveries],
                "notes in the database": checks["notes"],
                "notes answered 302": saved,
                "notes committed but unanswered (killed after commit)": checks["notes"] - saved,
                "notes without an audit event": checks["unaudited"],
                "sqlite integrity_check": checks["integrity"],
                "audit chain verifies": h.audit_verifies(env),
                "machine": h.machine_load(),
            },
        )


if __name__ == "__main__":
    main()
