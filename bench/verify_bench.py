"""Audit verification on a synthetic 10^6-event chain, SQLite and PostgreSQL (issue 12).

    .venv/bin/python -m bench.verify_bench [--events N] [--db sqlite|postgresql|both]
        [--workers W] [--runs R]

Builds the chain once (tests/audit/synthetic.py: MACs in Python, bulk insert) into
bench/.cache/verify-<n>.sqlite and the PostgreSQL database `bench_verify_<n>` on
CASEMGR_BENCH_PG (default postgresql://postgres@127.0.0.1:5432), kept for the next run; then
runs what `audit.services.verify_chain()` runs (verify_log with the parallel segments) R times
and prints events/s (median and best). Drop the database with --drop.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from casemgr.audit.parallel import parallel_segments, worker_count
from casemgr.audit.signing import Signer, TrustedKeys
from casemgr.audit.verify import verify_log

MAC_KEY = bytes(range(32))
SIGNER = Signer.from_seed(bytes(range(32, 64)))
CACHE = Path(__file__).parent / ".cache"


def _pg_server() -> sa.URL:
    raw = os.environ.get("CASEMGR_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
    return make_url(raw).set(drivername="postgresql+psycopg")


def database(kind: str, events: int, drop: bool = False) -> str:
    """The URL of a database holding the synthetic chain of `events` events (built if absent)."""
    from tests.audit.synthetic import create_audit_tables, insert_events, synthetic_events

    if kind == "sqlite":
        CACHE.mkdir(exist_ok=True)
        path = CACHE / f"verify-{events}.sqlite"
        if drop:
            path.unlink(missing_ok=True)
            return ""
        url = f"sqlite:///{path}"
        fresh = not path.exists()
    else:
        server = _pg_server()
        name = f"bench_verify_{events}"
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).scalar()
            if drop:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                return ""
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = server.set(database=name).render_as_string(hide_password=False)
        fresh = not exists
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        present = 0
        if not fresh:
            present = conn.execute(sa.text("SELECT count(*) FROM audit_events")).scalar()
    if present != events:
        began = time.perf_counter()
        create_audit_tables(engine)
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM audit_events"))
            insert_events(conn, synthetic_events(MAC_KEY, events))
        if kind == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE audit_events"))
        print(f"built {events} events in {kind}: {time.perf_counter() - began:.0f} s")
    engine.dispose()
    return url


def _cpu() -> float:
    """CPU seconds of this process and of its ended children (the workers)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def verify_once(url: str, workers: int) -> tuple[float, int, float]:
    """One verification (what verify_chain does, without the app); seconds, events and the
    CPU seconds of the Python processes (not the database server's)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            cpu = _cpu()
            began = time.perf_counter()
            segments = parallel_segments(conn, MAC_KEY, workers)
            report = verify_log(
                conn, MAC_KEY, trusted=TrustedKeys([SIGNER.public_key]), segments=segments
            )
            seconds = time.perf_counter() - began
            cpu = _cpu() - cpu
    finally:
        engine.dispose()
    assert report.ok, report.first_problem.describe()
    return seconds, report.events_checked, cpu


def main() -> None:
    """Build (once) and verify the chain on each database; print events/s."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--drop", action="store_true")
    args = parser.parse_args()
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    workers = worker_count(args.workers)
    for kind in kinds:
        url = database(kind, args.events, drop=args.drop)
        if args.drop or not args.runs:
            continue
        rates, cpus = [], []
        for _ in range(args.runs):
            seconds, events, cpu = verify_once(url, workers)
            rates.append(events / seconds)
            cpus.append(cpu / events * 1e6)
        print(
            f"{kind}: {events} events, {workers} workers: median {statistics.median(rates):,.0f}"
            f" events/s, best {max(rates):,.0f} (runs: {', '.join(f'{r:,.0f}' for r in rates)});"
            f" Python CPU {statistics.median(cpus):.1f} us/event"
        )


if __name__ == "__main__":
    main()
