"""Audit trail costs: verification speed at 10^6 events and the cost of one append.

Run: .venv/bin/python -m bench.audit_bench [--events 1000000] [--db sqlite|postgresql|both]
     (PostgreSQL: CASEMGR_TEST_DATABASE_URL or --pg-url names the server; a fresh database is
     created and dropped.)

For each database:
- builds a chained log of N synthetic events (MACs in Python, bulk inserts);
- verifies it with the same code as `flask casemgr audit verify` (keyset batches), reporting
  events/s, the growth of the process's resident memory while verifying (bounded: one batch
  at a time, not the whole log),
  and the ratio to a baseline computing the same MACs over rows already in memory;
- times appends through record() on that full log, each in its own committed transaction (as
  a request does), against a baseline transaction that writes a row without auditing: the
  difference is what auditing adds to a request.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from types import SimpleNamespace

import sqlalchemy as sa

from casemgr.audit.chain import GENESIS_MAC, compute_mac
from casemgr.audit.signing import TrustedKeys
from casemgr.audit.verify import verify_log
from casemgr.crypto.keyfile import new_key_document
from tests.audit.synthetic import insert_events, synthetic_events
from tests.dbsetup import fresh_database


def rss_mib() -> float:
    """Resident memory of this process now (Linux /proc; falls back to the peak so far)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_log(engine: sa.Engine, key: bytes, events: int) -> float:
    start = time.perf_counter()
    with engine.begin() as conn:
        insert_events(conn, synthetic_events(key, events), batch=20_000)
    return time.perf_counter() - start


def baseline_mac_rate(key: bytes, sample: int = 100_000) -> float:
    """MACs per second over rows already in memory: the floor verification cannot beat."""
    rows = [SimpleNamespace(**row) for row in synthetic_events(key, sample, seed=7)]
    start = time.perf_counter()
    prev = GENESIS_MAC
    for row in rows:
        prev = compute_mac(key, prev, row)
    return sample / (time.perf_counter() - start)


def time_verify(engine: sa.Engine, key: bytes, events: int) -> dict:
    """Verify the whole log; memory is sampled after every batch (the high-water mark)."""
    rss_before = rss_mib()
    high = [rss_before]
    start = time.perf_counter()
    with engine.connect() as conn:
        report = verify_log(
            conn, key, trusted=TrustedKeys(), progress=lambda n: high.append(rss_mib())
        )
    seconds = time.perf_counter() - start
    assert report.ok and report.events_checked == events, report.problems[:3]
    return {
        "seconds": seconds,
        "events_per_s": events / seconds,
        "rss_before_mib": rss_before,
        "rss_growth_mib": max(high) - rss_before,
    }


def time_appends(url: str, keys: dict, appends: int) -> dict:
    """Median microseconds: record() alone, record()+commit, and a baseline unaudited commit."""
    from casemgr import create_app
    from casemgr.audit import record
    from casemgr.extensions import db

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "CASEMGR_KEYS_JSON": json.dumps(keys), "TESTING": True}
    )
    scratch = sa.Table("bench_scratch", sa.MetaData(), sa.Column("n", sa.Integer))

    def timed(body: Callable[[int], None], number: int) -> tuple[float, float]:
        t0 = time.perf_counter()
        body(number)
        t1 = time.perf_counter()
        db.session.commit()
        t2 = time.perf_counter()
        return (t1 - t0) * 1e6, (t2 - t0) * 1e6

    with app.app_context():
        scratch.create(db.engine)

        def baseline(number: int) -> None:
            db.session.execute(scratch.insert().values(n=number))

        def audited(number: int) -> None:
            db.session.execute(scratch.insert().values(n=number))
            record("case.view", actor=None, object_type="case", object_id=number, case_id=number)

        for number in range(50):  # warm up connections and caches
            timed(baseline, number)
            timed(audited, number)
        # Interleaved, so that a change in the machine's load hits both alike.
        base, audit = [], []
        for number in range(appends):
            base.append(timed(baseline, number))
            audit.append(timed(audited, number))
        db.session.remove()
        db.engine.dispose()
    base_inside = statistics.median(b[0] for b in base)
    base_total = statistics.median(b[1] for b in base)
    audit_inside = statistics.median(a[0] for a in audit)
    audit_total = statistics.median(a[1] for a in audit)
    return {
        "baseline_txn_us": base_total,
        "audited_txn_us": audit_total,
        "record_call_us": audit_inside - base_inside,
        "append_cost_us": audit_total - base_total,
        "ratio": audit_total / base_total,
    }


def run(kind: str, events: int, appends: int) -> dict:
    keys = new_key_document()
    from casemgr.crypto.keyfile import parse_key_document

    key = parse_key_document(keys, "bench").audit_mac_key
    with fresh_database(f"audit_bench_{kind}") as url:
        engine = sa.create_engine(url)
        from flask_migrate import upgrade

        from casemgr import create_app

        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "CASEMGR_KEYS_JSON": json.dumps(keys)})
        with app.app_context():
            upgrade()
            from casemgr.extensions import db

            db.engine.dispose()
        result = {"db": kind, "events": events}
        result["build_s"] = build_log(engine, key, events)
        result["verify"] = time_verify(engine, key, events)
        result["appends"] = time_appends(url, keys, appends)
        engine.dispose()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--appends", type=int, default=2_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--pg-url", default=None)
    args = parser.parse_args(argv)
    if args.pg_url:
        os.environ["CASEMGR_TEST_DATABASE_URL"] = args.pg_url
    pg_url = os.environ.get("CASEMGR_TEST_DATABASE_URL")
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    print(f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs")
    key = os.urandom(32)
    floor = baseline_mac_rate(key)
    print(f"baseline: canonical form + HMAC over rows in memory: {floor:,.0f} events/s")
    for kind in kinds:
        if kind == "postgresql":
            if not pg_url:
                print("postgresql: skipped (set CASEMGR_TEST_DATABASE_URL or --pg-url)")
                continue
            os.environ["CASEMGR_TEST_DATABASE_URL"] = pg_url
        else:
            os.environ.pop("CASEMGR_TEST_DATABASE_URL", None)
        result = run(kind, args.events, args.appends)
        v, a = result["verify"], result["appends"]
        print(f"\n[{kind}] {args.events:,} events built in {result['build_s']:.1f} s")
        print(
            f"  verify: {v['seconds']:.1f} s = {v['events_per_s']:,.0f} events/s "
            f"({v['events_per_s'] / floor:.2f}x the in-memory baseline); "
            f"memory {v['rss_before_mib']:.0f} MiB before, at most +{v['rss_growth_mib']:.1f} MiB "
            "during"
        )
        print(
            f"  append (median of {args.appends}, log of {args.events:,}): record() "
            f"{a['record_call_us']:.0f} us; committed transaction {a['audited_txn_us']:.0f} us "
            f"vs {a['baseline_txn_us']:.0f} us unaudited: +{a['append_cost_us']:.0f} us "
            f"({a['ratio']:.2f}x)"
        )
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
