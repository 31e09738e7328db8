"""What the audit head counter and the automatic checkpoints cost (docs/audit.md sections 5, 11).

Run: .venv/bin/python -m bench.audit_head_bench [--appends 2000] [--db sqlite|postgresql|both]
     (PostgreSQL: CASEMGR_TEST_DATABASE_URL names the server; a fresh database is made and
     dropped.)

For each database:
- one committed transaction appending one event through record(), with the head counter
  advanced (as shipped) and without it (the UPDATE skipped), interleaved so that a change in
  the machine's load hits both alike: the difference of the record() calls is the counter's
  cost per append (the commit, an fsync, dwarfs it and varies more than it);
- one automatic checkpoint with its tail check over CASEMGR_AUDIT_CHECKPOINT_EVERY (1000)
  events: how long it holds the append lock.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable

from casemgr import create_app
from casemgr.audit import record, recorder
from casemgr.audit.autocheckpoint import checkpoint_after_tail_check
from casemgr.crypto.keyfile import new_key_document
from casemgr.extensions import db
from tests.audit.synthetic import create_audit_tables
from tests.dbsetup import base_url, fresh_database


def _append(number: int) -> None:
    record("case.view", actor=None, object_type="case", object_id=number, case_id=number)


def run(kind: str, appends: int) -> dict:
    with fresh_database(f"audit_head_{kind}") as url, tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": url,
                "CASEMGR_KEYS_JSON": json.dumps(new_key_document()),
                "CASEMGR_AUDIT_CHECKPOINT_DIR": folder,
            }
        )
        shipped = recorder._advance_head
        with app.app_context():
            create_audit_tables(db.engine)

            def timed(advance: Callable, number: int) -> tuple[float, float]:
                recorder._advance_head = advance
                t0 = time.perf_counter()
                _append(number)
                t1 = time.perf_counter()
                db.session.commit()
                return (t1 - t0) * 1e6, (time.perf_counter() - t0) * 1e6

            def skipped(*_args: object) -> None:
                return None

            for number in range(100):  # warm up
                timed(shipped, number)
                timed(skipped, number)
            with_counter, without = [], []
            for number in range(appends):
                with_counter.append(timed(shipped, number))
                without.append(timed(skipped, number))
            recorder._advance_head = shipped
            checkpoint_after_tail_check()  # the previous checkpoint, then 1000 new events
            db.session.commit()
            for number in range(1000):
                _append(number)
            db.session.commit()
            t0 = time.perf_counter()
            run = checkpoint_after_tail_check()
            db.session.commit()
            checkpoint_ms = (time.perf_counter() - t0) * 1e3
            assert run.path is not None
            db.session.remove()
            db.engine.dispose()
    a, b = statistics.median(t for _, t in with_counter), statistics.median(t for _, t in without)
    ra = statistics.median(r for r, _ in with_counter)
    rb = statistics.median(r for r, _ in without)
    return {
        "db": kind,
        "record_call_with_counter_us": round(ra),
        "record_call_without_counter_us": round(rb),
        "counter_cost_in_record_us": round(ra - rb),
        "append_txn_with_counter_us": round(a),
        "append_txn_without_counter_us": round(b),
        "checkpoint_with_tail_check_of_1000_ms": round(checkpoint_ms, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    import os

    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    server = base_url()
    for kind in kinds:
        if kind == "postgresql" and server is None:
            print("postgresql: skipped (set CASEMGR_TEST_DATABASE_URL)")
            continue
        if kind == "sqlite":
            os.environ.pop("CASEMGR_TEST_DATABASE_URL", None)
        elif server:
            os.environ["CASEMGR_TEST_DATABASE_URL"] = server
        print(json.dumps(run(kind, args.appends)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
