"""Background jobs at scale: the full provincial report as a job, against the same work inline.

Run: .venv/bin/python -m bench.jobs_bench [--cases 100000] [--services 1000000]
     SQLite by default; PostgreSQL when CASEMGR_TEST_DATABASE_URL names a server.

Data: bench.reports_bench's generator (one province, 20 communes). Measured as the provincial
supervisor, in one process, after one warm-up build: the full report's tables built inline
(services.all_tables, the baseline: what the request used to do), then the same report as a
job run to its end by the job runner (tables, workbook, sealing into job_files, state and
progress commits), and the time to open the sealed file for its download. The job's overhead
is the ratio of the two. The latency from enqueue to start is measured with real workers by
tests/jobs/test_consumer.py (it prints it) and reported in docs/jobs.md.
"""

from __future__ import annotations

import argparse
import json
import time

from sqlalchemy import select

from bench.reports_bench import YEAR, seed
from casemgr import create_app
from casemgr.auth.models import User
from casemgr.crypto.keyfile import new_key_document
from casemgr.extensions import db
from casemgr.jobs import services
from casemgr.jobs.kinds import REPORT_WORKBOOK
from casemgr.jobs.models import Job, JobFile, JobStatus
from casemgr.reports import services as report_services
from casemgr.reports.queries import Dimension, Measure, Period, Query
from tests.dbsetup import fresh_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--services", type=int, default=1_000_000)
    args = parser.parse_args()
    with fresh_database("jobs-bench") as url:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "CASEMGR_KEYS_JSON": json.dumps(new_key_document()),
                "CASEMGR_JOBS_IMMEDIATE": True,
            }
        )
        began = time.perf_counter()
        lead_id, _local_id = seed(app, args.cases, args.services)
        print(f"database: {url.split(':')[0]}; {args.cases} cases, {args.services} services; "
              f"generated in {time.perf_counter() - began:.0f} s")  # fmt: skip
        with app.app_context(), app.test_request_context():
            user = db.session.get(User, lead_id)
            query = Query(Measure.REGISTERED, Dimension.AGE_BAND, Dimension.SEX, Period(YEAR))
            report_services.all_tables(user, query)  # warm-up: the database's cache is cold
            began = time.perf_counter()
            report_services.all_tables(user, query)
            inline = time.perf_counter() - began
            params = {"filters": {"year": str(YEAR)}, "locale": "vi"}
            job = services.start_job(user, REPORT_WORKBOOK, params)  # runs at once
            db.session.commit()
            job = db.session.scalar(select(Job).where(Job.id == job.id))
            assert job.status == JobStatus.DONE, job.reason
            ran = (job.finished_at - job.started_at).total_seconds()
            stored = db.session.scalar(select(JobFile).where(JobFile.job_id == job.id))
            began = time.perf_counter()
            data = services.open_file(stored)
            opened = time.perf_counter() - began
            print(f"full report tables inline (baseline)   {inline * 1000:9.0f} ms")
            size = f"{len(data) // 1024} KiB, {job.total} tables"
            print(f"full report as a job (to done, sealed) {ran * 1000:9.0f} ms  "
                  f"ratio {ran / inline:.2f}; {size}")  # fmt: skip
            print(f"opening the sealed file (download)     {opened * 1000:9.1f} ms")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
