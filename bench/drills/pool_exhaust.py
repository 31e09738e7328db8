"""Drill: more requests at once than database connections.

    python -m bench.drills.pool_exhaust --db postgresql     (or --db sqlite)

gunicorn (deploy/gunicorn.conf.py, 2 workers of 8 threads) runs with a pool of one connection
per worker, no overflow and a 1 s wait (CASEMGR_DB_POOL_SIZE=1, CASEMGR_DB_MAX_OVERFLOW=0,
CASEMGR_DB_POOL_TIMEOUT=1); 16 client threads add notes for 8 s. Requests queue for a
connection; those that wait longer than the timeout are refused with the 503 "try again" page.
Measured: requests sent, saved, refused (503), lost (no answer or 500), the longest wait.
"""

from __future__ import annotations

import argparse
import time

from bench.drills import harness as h


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="postgresql")
    args = parser.parse_args()
    with h.scratch() as folder:
        url = h.database_url(args.db, folder)
        env = h.environment(url, folder, h.free_port())
        h.prepare(env)
        env |= {
            "CASEMGR_DB_POOL_SIZE": "1",
            "CASEMGR_DB_MAX_OVERFLOW": "0",
            "CASEMGR_DB_POOL_TIMEOUT": "1",
            "GUNICORN_THREADS": "8",
        }
        server = h.Server(env, folder)
        server.start()
        client = h.Client(server.base)
        case_id = client.sign_in()
        load = h.Load(client, case_id, threads=16)
        load.start()
        try:
            time.sleep(8)
        finally:
            load.stop()
            server.stop()
        outcomes = load.outcomes
        checks = h.count_notes_and_audit(url, case_id)
        waits = sorted(o.ended - o.started for o in outcomes)
        h.report(
            f"connection pool exhausted ({args.db})",
            {
                **h.summary(outcomes),
                "median answer (s)": round(waits[len(waits) // 2], 2),
                "longest answer (s)": round(waits[-1], 2),
                "notes in the database": checks["notes"],
                "notes without an audit event": checks["unaudited"],
                "audit chain verifies": h.audit_verifies(env),
                "machine": h.machine_load(),
            },
        )


if __name__ == "__main__":
    main()
