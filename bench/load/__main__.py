"""`python -m bench.load` (`make loadtest`): 50 users for 2 minutes against gunicorn + PostgreSQL.

Builds (or reuses) the bench province on PostgreSQL (SCALE=small|full), plans who does what
(bench/load/locustfile.py), serves it with gunicorn as in production, runs locust headless on
loopback (LOAD_USERS, LOAD_SECONDS change 50 and 120), then checks afterwards that the audit
chain verifies, that no edit was lost (each case's version counter moved by exactly the saves
and approvals that succeeded) and that every page read has its audit event (by request id).
Writes bench/results/<time>-load-<scale>-postgresql.json and prints p95 and errors per page.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.province import CACHE, PASSWORD, Province, load_or_build
from bench.server import Server
from bench.suite import RESULTS, machine
from casemgr import clock

HERE = Path(__file__).resolve().parent
OPEN = ("implementation", "review", "initial_assessment", "detailed_assessment")
console = Console(soft_wrap=True)


def plan(province: Province) -> dict:
    """Accounts with the cases each one reads, notes, edits or approves; versions before."""
    from sqlalchemy import func, select

    from bench.inprocess import app_for
    from casemgr.audit.models import AuditEvent
    from casemgr.cases.models import Case
    from casemgr.extensions import db
    from casemgr.people.models import Person

    app = app_for(province)
    users = province.users
    with app.app_context():
        workers = []
        for name in province.of_role("social_worker"):
            rows = db.session.execute(
                select(Case.id, Case.person_id, Case.status, Case.unit_id)
                .where(Case.owner_id == users[name]["id"])
                .order_by(Case.id)
                .limit(60)
            ).all()
            open_ids = [r.id for r in rows if r.status in OPEN]
            workers.append(
                {
                    "username": name,
                    "totp": None,
                    "unit_id": rows[0].unit_id,
                    "read_cases": [r.id for r in rows],
                    "read_persons": [r.person_id for r in rows],
                    "edit_cases": open_ids[:2],
                    "note_cases": open_ids[2:8],
                }
            )
        supervisors = []
        for name in province.of_role("supervisor"):
            if name.startswith("bench.lead"):
                continue
            unit_id = province.units[users[name]["unit"]]
            unit_cases = select(Case.id).where(Case.unit_id == unit_id).order_by(Case.id)
            # Plans still waiting, wherever they are in the unit: each run approves some, and
            # a cached province is reused from run to run.
            drafted = unit_cases.where(Case.status == "plan_drafted").limit(15)
            supervisors.append(
                {
                    "username": name,
                    "totp": users[name]["totp"],
                    "approve_cases": list(db.session.scalars(drafted)),
                    "read_cases": list(db.session.scalars(unit_cases.limit(40))),
                }
            )
        auditors = [{"username": n, "totp": users[n]["totp"]} for n in province.of_role("auditor")]
        persons = db.session.scalars(select(Person).order_by(Person.id).limit(30)).all()
        names = [f"{p.surname} {p.middle_name} {p.given_name}" for p in persons]
        watched = [c for w in workers for c in w["edit_cases"]]
        watched += [c for s in supervisors for c in s["approve_cases"]]
        versions = dict(
            db.session.execute(select(Case.id, Case.version).where(Case.id.in_(watched))).all()
        )
        seq = db.session.scalar(select(func.max(AuditEvent.seq))) or 0
        db.session.rollback()
        db.engine.dispose()
    return {
        "password": PASSWORD,
        "today": clock.today().isoformat(),  # the locust process reads Viet Nam's date from here
        "workers": workers,
        "supervisors": supervisors,
        "auditors": auditors,
        "names": names,
        "usernames": sorted(users),
        "case_ids": [c for w in workers for c in w["read_cases"][:3]],
        "versions_before": {str(k): v for k, v in versions.items()},
        "audit_seq_before": seq,
    }


def post_checks(province: Province, the_plan: dict, record: dict) -> dict:
    """Chain verifies; versions moved by exactly the successful saves; every read audited."""
    from sqlalchemy import select

    from bench.inprocess import app_for
    from casemgr.audit.models import AuditEvent
    from casemgr.audit.services import verify_chain
    from casemgr.cases.models import Case
    from casemgr.extensions import db

    app = app_for(province)
    with app.app_context():
        report = verify_chain()
        before = {int(k): v for k, v in the_plan["versions_before"].items()}
        after = dict(
            db.session.execute(select(Case.id, Case.version).where(Case.id.in_(before))).all()
        )
        lost = {
            case_id: verdict
            for case_id in before
            if (verdict := _lost_update(record["changes"], case_id, before, after))
        }
        events = {}
        for row in db.session.execute(
            select(
                AuditEvent.request_id,
                AuditEvent.action,
                AuditEvent.object_id,
                AuditEvent.actor_name,
            )
            .where(AuditEvent.seq > the_plan["audit_seq_before"])
            .where(AuditEvent.action.in_(["case.view", "person.view"]))
        ):
            events.setdefault(row.request_id, []).append(row)
        unaudited = [
            read
            for read in record["reads"]
            if not any(
                e.action == f"{read['kind']}.view"
                and e.object_id == str(read["object_id"])
                and e.actor_name == read["user"]
                for e in events.get(read["request_id"], [])
            )
        ]
        db.session.rollback()
        db.engine.dispose()
    outcomes = Counter(change["outcome"] for change in record["changes"])
    return {
        "chain_verifies": report.ok,
        "events_checked": report.events_checked,
        "first_problem": None if report.ok else report.first_problem.describe(),
        "saves_and_approvals": dict(outcomes),
        "registrations": len(record["registrations"]),
        "cases_opened": sum(1 for r in record["registrations"] if r["case_opened"]),
        "cases_watched": len(before),
        "lost_updates": lost,
        "reads": len(record["reads"]),
        "reads_without_audit_event": len(unaudited),
        "unaudited_examples": unaudited[:5],
    }


def _lost_update(changes: list[dict], case_id: int, before: dict, after: dict) -> dict | None:
    """Why a case's version does not match the saves made on it (None: it matches).

    A save is applied on top of the version it was read at, so the versions the successful
    saves were based on must be v0, v0+1, ... (two saves based on one version would be a lost
    update) and the counter must have moved by exactly that many. A save still in flight when
    the test stopped may or may not have landed: any subset of those may complete the count.
    """
    mine = [c for c in changes if c["case_id"] == case_id]
    done = [c["version"] for c in mine if c["outcome"] in ("saved", "approved")]
    maybe = [c["version"] for c in mine if c["outcome"] == "in flight"]
    start, moved = before[case_id], after[case_id] - before[case_id]
    for size in range(len(maybe) + 1):
        for landed in itertools.combinations(maybe, size):
            versions = sorted(done + list(landed))
            if len(versions) == moved and versions == list(range(start, start + moved)):
                return None
    return {"based_on": sorted(done), "in_flight": maybe, "before": start, "after": after[case_id]}


def stats(prefix: str) -> list[dict]:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [
        {
            "page": row["Name"],
            "method": row["Type"],
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "median_ms": float(row["Median Response Time"] or 0),
            "p95_ms": float(row["95%"] or 0),
            "rps": round(float(row["Requests/s"] or 0), 2),
        }
        for row in rows
    ]


def steady_state(timings: list[list]) -> dict:
    """Per page, the requests that started after the last sign-in ended (the spawn phase,
    when every user hashes a password with the production argon2id parameters, is left
    out): count, median and p95 (nearest rank) in ms."""
    signed_in = max(
        (start + took / 1000 for _, name, start, took in timings if name.startswith("sign-in")),
        default=0.0,
    )
    pages: dict[str, list[float]] = {}
    for method, name, start, took in timings:
        if start >= signed_in:
            pages.setdefault(f"{method} {name}", []).append(took)
    first = min((t[2] for t in timings), default=signed_in)
    return {
        "after_seconds": round(signed_in - first, 1),
        "pages": {
            page: {
                "requests": len(times),
                "median_ms": round(sorted(times)[len(times) // 2], 1),
                "p95_ms": round(sorted(times)[max(0, -(-95 * len(times) // 100) - 1)], 1),
            }
            for page, times in sorted(pages.items())
        },
    }


def failures(prefix: str) -> list[dict]:
    """What went wrong, by page and message (locust's failures file)."""
    with open(f"{prefix}_failures.csv", encoding="utf-8") as handle:
        return [
            {"page": row["Name"], "error": row["Error"], "count": int(row["Occurrences"])}
            for row in csv.DictReader(handle)
        ]


def main() -> int:
    scale = os.environ.get("SCALE", "small")
    users = int(os.environ.get("LOAD_USERS", "50"))
    seconds = int(os.environ.get("LOAD_SECONDS", "120"))
    province = load_or_build(scale, "postgresql")
    the_plan = plan(province)
    stamp = clock.utcnow().strftime("%Y%m%dT%H%M%SZ")
    with tempfile.TemporaryDirectory(prefix="casemgr-load-") as folder:
        plan_path, record_path = Path(folder) / "plan.json", Path(folder) / "record.json"
        plan_path.write_text(json.dumps(the_plan))
        prefix = str(Path(folder) / "locust")
        log = CACHE / "logs" / f"{stamp}-load-{scale}.gunicorn.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        before = machine()
        with Server(province, log) as server:
            console.print(f"locust: {users} users for {seconds} s against {server.base}")
            subprocess.run(
                [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless",
                 "-u", str(users), "-r", "5", "-t", f"{seconds}s", "--stop-timeout", "60",
                 "--host", server.base, "--csv", prefix, "--only-summary", "--loglevel", "WARNING"],
                env={**os.environ, "BENCH_LOAD_PLAN": str(plan_path),
                     "BENCH_LOAD_RECORD": str(record_path)},
                check=False,
            )  # fmt: skip
        pages, failed = stats(prefix), failures(prefix)
        record = json.loads(record_path.read_text())
    checks = post_checks(province, the_plan, record)
    total = next(p for p in pages if p["page"] == "Aggregated")
    result = {
        "run": stamp,
        "scale": scale,
        "db": "postgresql",
        "users": users,
        "seconds": seconds,
        "machine_before": before,
        "machine_after": machine(),
        "pages": pages,
        "errors": total["failures"],
        "failures": failed,
        "steady_state": steady_state(record.get("timings", [])),
        "post_checks": checks,
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{stamp}-load-{scale}-postgresql.json"
    path.write_text(json.dumps(result, indent=1, default=str) + "\n")
    table = Table(title=f"load test: {users} users, {seconds} s, {scale} province, PostgreSQL")
    for column in ("page", "requests", "failures", "median ms", "p95 ms (goal < 150)", "req/s"):
        table.add_column(column)
    for page in pages:
        table.add_row(
            f"{page['method']} {page['page']}", str(page["requests"]), str(page["failures"]),
            f"{page['median_ms']:.0f}", f"{page['p95_ms']:.0f}", f"{page['rps']}",
        )  # fmt: skip
    console.print(table)
    steady = result["steady_state"]
    table = Table(title=f"after the last sign-in ({steady['after_seconds']} s into the run)")
    for column in ("page", "requests", "median ms", "p95 ms (goal < 150)"):
        table.add_column(column)
    for page, row in steady["pages"].items():
        table.add_row(page, str(row["requests"]), f"{row['median_ms']:.0f}", f"{row['p95_ms']:.0f}")
    console.print(table)
    console.print(json.dumps({"failures": failed, **checks}, indent=1, default=str))
    console.print(f"results: {path}")
    ok = (
        checks["chain_verifies"]
        and not checks["lost_updates"]
        and not checks["reads_without_audit_event"]
    )
    return 0 if ok and result["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
