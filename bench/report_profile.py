"""In-process timings of the supervisor dashboard's queries and the report tables on a built
province, with the query plans: `python -m bench.report_profile [small|full] [sqlite|postgresql]`.

Uses the cached province (bench/.cache, built by `python -m bench` or province.load_or_build),
or DB_FILE, a copy of its SQLite file; nothing is written (every run rolls back). PLANS=1 adds
the plan of every statement; ONLY=<text> times only the items whose name holds it. Medians of
REPEAT runs; the report margins' request cache (flask.g) is emptied before each run, as a new
request or job starts without it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import time
from collections.abc import Callable

REPEAT = int(os.environ.get("REPEAT", "5"))


def _median_ms(work: Callable[[], object], repeat: int = REPEAT) -> tuple[float, object]:
    from flask import g

    times, result = [], None
    for _ in range(repeat):
        g.pop("report_margins", None)
        began = time.perf_counter()
        result = work()
        times.append((time.perf_counter() - began) * 1000)
    return round(statistics.median(times), 1), result


def _plans(work: Callable[[], object]) -> list[list[str]]:
    """The plan of every SELECT that `work` runs: EXPLAIN QUERY PLAN (SQLite), EXPLAIN
    (PostgreSQL)."""
    import sqlalchemy as sa

    from casemgr.extensions import db

    seen: list[tuple[str, object]] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, parameters))

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        work()
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    raw = db.session.connection().connection.driver_connection
    result = []
    for statement, parameters in seen:
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
            result.append([f"{row[1]}>{row[0]} {row[3]}" for row in cursor.fetchall()])
        else:
            cursor.execute(f"EXPLAIN {statement}", parameters)
            result.append([row[0] for row in cursor.fetchall()])
    return result


def main(argv: list[str]) -> int:
    """Print the timings (JSON) and the plans of the dashboard's and reports' main queries."""
    from bench.province import load_or_build

    scale = argv[0] if argv else "full"
    database = argv[1] if len(argv) > 1 else "sqlite"
    province = load_or_build(scale, database)
    if os.environ.get("DB_FILE"):  # a copy of the SQLite province (e.g. without statistics)
        province.url = f"sqlite:///{os.environ['DB_FILE']}"

    from flask import g

    from casemgr import clock, create_app
    from casemgr.auth.models import User
    from casemgr.extensions import db
    from casemgr.reports import queries, services, tables
    from casemgr.reports.queries import Dimension, Measure, Period, Query
    from casemgr.supervision import queries as supervision

    app = create_app(province.app_config())
    lead = next(n for n in province.of_role("supervisor") if n.startswith("bench.lead"))
    timings: dict[str, float] = {}
    plans: dict[str, list[str]] = {}
    with app.test_request_context():
        user = db.session.get(User, province.users[lead]["id"])
        now = clock.utcnow()
        year = clock.today().year
        query = Query(Measure.REGISTERED, Dimension.AGE_BAND, Dimension.SEX, Period(year))
        end = clock.local_date(now)
        start = end - dt.timedelta(days=89)
        work = {
            "dashboard: caseload_by_worker": lambda: supervision.caseload_by_worker(
                user, now=now, days=30
            ),
            "dashboard: approval_counts": lambda: supervision.approval_counts(user),
            "dashboard: deadline_compliance": lambda: supervision.deadline_compliance(
                user, start=start, end=end, now=now
            ),
            "dashboard (all, no audit event)": lambda: (
                supervision.caseload_by_worker(user, now=now, days=30),
                supervision.approval_counts(user),
                supervision.deadline_compliance(user, start=start, end=end, now=now),
            ),
            "report: counts (registered, age x sex)": lambda: queries.counts(user, query),
            "report: margins (registered)": lambda: tables.margins(user, query),
            "report table (registered, age x sex)": lambda: services.report_table(
                user, "registered", query
            ),
        }
        only = os.environ.get("ONLY")
        for name, job in work.items():
            if only and only not in name:
                continue
            timings[name], _ = _median_ms(job)
            print(f"{name}: {timings[name]} ms", file=sys.stderr, flush=True)
        if not only or "all_tables" in only:
            timings["all_tables (full provincial report)"], _ = _median_ms(
                lambda: services.all_tables(user, query), repeat=int(os.environ.get("FULL", 3))
            )
            print(
                f"all_tables: {timings['all_tables (full provincial report)']} ms", file=sys.stderr
            )
        if os.environ.get("PLANS"):
            for name in ("dashboard (all, no audit event)", "report table (registered, age x sex)"):
                g.pop("report_margins", None)
                plans[name] = _plans(work[name])
        db.session.rollback()
        db.engine.dispose()
    print(
        json.dumps(
            {"db": database, "scale": scale, "timings_ms": timings, "plans": plans}, indent=1
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
