"""The supervisor dashboard over one commune office holding 10^4 cases.

Run: .venv/bin/python -m bench.dashboard_bench [--cases 10000] [--runs 30]
     SQLite by default; PostgreSQL when CASEMGR_TEST_DATABASE_URL names a server (a fresh
     database is created and dropped, as for the tests).

Data (fresh migrated database, reference data and rules loaded): a province with one commune
office, ten social workers and one supervisor. Every case is a child-protection case of that
commune with its own person; persons, cases, notes, emergency actions and workflow moves are
made through the app's ORM models in batches, so each data key, blind index and ciphertext is
real (the flush hooks make them), but creation is not audited. Cases are opened over the last
120 days with random statuses and risks; each has 0-3 notes, most after-plan cases a move to
"plan submitted", half the high-risk ones an emergency action.

Measured with the Flask test client, signed in as the supervisor through the real forms: the
dashboard (/supervision/, default 90-day compliance period), the approvals queue and the
reassignment list filtered by one worker; median and p95 over --runs requests after one warm-up,
the CPU time of the process (on SQLite the database works inside it), and the SQL statements
per request (a before_cursor_execute listener on the engine). The signed-in landing page
(/dashboard) is the baseline. Then each part of the dashboard is timed in-process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import time

import pyotp
from sqlalchemy import event

from casemgr import create_app
from casemgr.admin.services import create_user
from casemgr.auth import mfa
from casemgr.auth.roles import Role
from casemgr.cases.models import (
    Case,
    CaseNote,
    CaseTransitionLog,
    NoteKind,
    ProtectionLevel,
    RiskLevel,
)
from casemgr.cases.workflow import Status
from casemgr.clock import utcnow
from casemgr.crypto.keyfile import new_key_document
from casemgr.extensions import db
from casemgr.org.models import UnitKind
from casemgr.org.services import open_unit
from casemgr.people.models import Person, Sex
from casemgr.rules.models import EmergencyAction, EmergencyMeasure
from tests.dbsetup import base_url, fresh_database
from tests.web import BrowserClient

PASSWORD = "bench-password-not-secret-42"
WORKERS = 10
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng")
MIDDLES = ("Thị", "Văn", "Minh", "Ngọc", "Đức", "Thu")
GIVENS = ("Lan", "Hùng", "Mai", "Tuấn", "Hương", "Dũng", "Linh", "Nam", "Thảo", "Khoa")
STATUSES = (
    (Status.INTAKE, 10),
    (Status.VERIFICATION, 5),
    (Status.INITIAL_ASSESSMENT, 8),
    (Status.DETAILED_ASSESSMENT, 10),
    (Status.PLAN_DRAFTED, 8),
    (Status.PLAN_APPROVED, 5),
    (Status.IMPLEMENTATION, 25),
    (Status.REVIEW, 8),
    (Status.CLOSURE_REQUESTED, 4),
    (Status.CLOSED, 17),
)
AFTER_PLAN = {s for s, _ in STATUSES[4:]}


def build_world() -> dict:
    """Schema, reference data, rules; the province, the commune and its staff."""
    from flask_migrate import upgrade

    from casemgr.reference.services import load_reference_data
    from casemgr.rules.services import seed_rules

    upgrade()
    load_reference_data()
    seed_rules()
    start = dt.date(2025, 7, 1)
    province = open_unit(None, code="P01", name="Sở Y tế (bench)", parent=None,
                         kind=UnitKind.PROVINCIAL_DEPARTMENT, valid_from=start)  # fmt: skip
    commune = open_unit(None, code="X01", name="Phòng VH-XH xã 1 (bench)", parent=province,
                        kind=UnitKind.COMMUNE_OFFICE, valid_from=start)  # fmt: skip
    workers = []
    for index in range(WORKERS):
        user, _ = create_user(None, username=f"x01.cb{index}", display_name=f"Cán bộ {index}",
                              email=None, role=Role.SOCIAL_WORKER, unit=commune,
                              password=PASSWORD)  # fmt: skip
        workers.append(user.id)
    supervisor, _ = create_user(None, username="x01.sup", display_name="Trưởng phòng",
                                email=None, role=Role.SUPERVISOR, unit=commune,
                                password=PASSWORD)  # fmt: skip
    secret = pyotp.random_base32()
    mfa.store_secret(supervisor, secret)
    supervisor.mfa_enrolled_at = utcnow()
    db.session.commit()
    return {"unit": commune.id, "workers": workers, "username": "x01.sup", "totp": secret}


def generate(world: dict, count: int, batch: int, seed: int = 7) -> None:
    """Persons, cases and their timelines through the ORM, one flush per table and batch."""
    rng = random.Random(seed)
    now = utcnow()
    statuses, weights = zip(*STATUSES, strict=True)
    made = 0
    while made < count:
        size = min(batch, count - made)
        persons = []
        for _ in range(size):
            person = Person(sex=rng.choice([Sex.FEMALE, Sex.MALE]),
                            birth_year=rng.randint(2010, 2024),
                            birth_year_is_estimated=False, registered_unit_id=world["unit"],
                            registered_by_id=world["workers"][0])  # fmt: skip
            person.surname = rng.choice(SURNAMES)
            person.middle_name = rng.choice(MIDDLES)
            person.given_name = rng.choice(GIVENS)
            persons.append(person)
        db.session.add_all(persons)
        db.session.flush()
        cases = []
        for offset, person in enumerate(persons):
            opened = now - dt.timedelta(minutes=rng.randint(60, 120 * 24 * 60))
            status = rng.choices(statuses, weights)[0]
            owner = rng.choice(world["workers"])
            case = Case(number=f"X01-{opened.year}-{made + offset + 1:05d}", person_id=person.id,
                        group_code="child", protection_level=ProtectionLevel.SUPPORT,
                        risk_level=rng.choice(list(RiskLevel)), unit_id=world["unit"],
                        owner_id=owner, status=status, opened_at=opened, updated_at=opened,
                        submitted_by_id=owner if status in (Status.PLAN_DRAFTED,
                                                            Status.CLOSURE_REQUESTED) else None,
                        closed_at=now if status == Status.CLOSED else None)  # fmt: skip
            case.summary = "Báo cáo ban đầu (bench)."
            cases.append(case)
        db.session.add_all(cases)
        db.session.flush()
        extra = []
        for case in cases:
            opened = case.opened_at
            if case.status in AFTER_PLAN:
                drafted = min(now, opened + dt.timedelta(hours=rng.randint(2, 240)))
                extra.append(CaseTransitionLog(case_id=case.id, transition="submit_plan",
                             from_status=Status.DETAILED_ASSESSMENT,
                             to_status=Status.PLAN_DRAFTED, actor_id=case.owner_id,
                             occurred_at=drafted))  # fmt: skip
            if case.risk_level == RiskLevel.HIGH and rng.random() < 0.5:
                acted = min(now, opened + dt.timedelta(hours=rng.randint(1, 20)))
                extra.append(EmergencyAction(case_id=case.id, taken_at=acted,
                             measure=EmergencyMeasure.SAFE_PLACEMENT,
                             recorded_by_id=case.owner_id))  # fmt: skip
            for _ in range(rng.randint(0, 3)):
                day = (now - dt.timedelta(days=rng.randint(0, 90))).date()
                note = CaseNote(case_id=case.id, person_id=case.person_id,
                                kind=NoteKind.VISIT, occurred_on=max(day, opened.date()),
                                author_id=case.owner_id)  # fmt: skip
                note.body = "Thăm hộ gia đình (bench)."
                extra.append(note)
        db.session.add_all(extra)
        db.session.flush()
        db.session.commit()
        db.session.expunge_all()
        made += size


class Counter:
    """SQL statements and their time, per request."""

    def __init__(self, engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._before)

    def _before(self, *args) -> None:
        self.count += 1


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(client: BrowserClient, counter: Counter, url: str, runs: int) -> tuple:
    response = client.get(url)  # warm-up: rule and calendar caches, template compilation
    if response.status_code != 200:
        raise RuntimeError(f"{url}: {response.status_code}")
    times, cpu, counts = [], [], []
    for _ in range(runs):
        counter.count = 0
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        counts.append(counter.count)
        assert response.status_code == 200, url
    # CPU time of this process (SQLite runs in it; PostgreSQL's work is not counted) shows the
    # cost apart from the waits of a loaded machine.
    return statistics.median(times), p95(times), statistics.median(cpu), max(counts)


def breakdown(app, world: dict, runs: int) -> None:
    """Where the dashboard's time goes: each part called in-process, median wall and CPU time."""
    from sqlalchemy import select

    from casemgr.auth.models import User
    from casemgr.clock import local_date
    from casemgr.rules import deadlines
    from casemgr.rules.tasks import open_tasks
    from casemgr.supervision import queries

    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.username == world["username"]))
        now = utcnow()
        end = local_date(now)
        parts = {
            "caseload per worker (incl. tasks)": lambda: queries.caseload_by_worker(
                user, now=now, days=30
            ),
            "  of which rules.tasks.open_tasks": lambda: open_tasks(
                user, overdue_only=True, now=now
            ),
            "approval counts": lambda: queries.approval_counts(user),
            "compliance, 90 days": lambda: queries.deadline_compliance(
                user, start=end - dt.timedelta(days=89), end=end, now=now
            ),
            # Not per request: after a rule version, or `flask casemgr deadlines recompute`.
            "recompute every case's deadlines": deadlines.refresh_all,
        }
        print(f"{'part (in-process)':34} {'median ms':>10} {'':8} {'CPU ms':>8}")
        for label, part in parts.items():
            part()
            times, cpu = [], []
            for _ in range(max(3, runs // 3)):
                start, start_cpu = time.perf_counter(), time.process_time()
                part()
                times.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - start_cpu) * 1000)
            print(
                f"{label:34} {statistics.median(times):10.1f} {'':8} {statistics.median(cpu):8.1f}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--batch", type=int, default=2_000)
    args = parser.parse_args(argv)
    kind = "postgresql" if base_url() else "sqlite"
    print(f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs")
    print(f"database: {kind}; {args.cases:,} cases in one commune; {args.runs} runs each")
    with fresh_database("dashboard_bench") as url:
        app = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": url,
                "CASEMGR_KEYS_JSON": json.dumps(new_key_document()),
                "ARGON2_TIME_COST": 1,
                "ARGON2_MEMORY_KIB": 1024,
                "ARGON2_PARALLELISM": 1,
                "RATELIMIT_STORAGE_URI": "memory://",
            }
        )
        app.test_client_class = BrowserClient
        with app.app_context():
            world = build_world()
            start = time.perf_counter()
            generate(world, args.cases, args.batch)
            print(f"generated {args.cases:,} cases in {time.perf_counter() - start:.1f} s")
            if kind == "postgresql":
                with db.engine.connect() as conn:
                    conn.exec_driver_sql("ANALYZE")
                    conn.commit()
            counter = Counter(db.engine)
            client = app.test_client()
            response = client.post_form(
                "/auth/login", {"username": world["username"], "password": PASSWORD}
            )
            client.post_form("/auth/mfa", {"code": pyotp.TOTP(world["totp"]).now()})
            pages = (
                ("landing page (baseline)", "/dashboard"),
                ("supervisor dashboard", "/supervision/"),
                ("dashboard, 365-day compliance", "/supervision/?period=365"),
                ("approvals queue, page 1", "/supervision/approvals"),
                ("reassignment list, one worker",
                 f"/supervision/reassign?worker={world['workers'][0]}"),
            )  # fmt: skip
            print(f"{'page':34} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>8} {'queries':>8}")
            for label, url_ in pages:
                median, high, cpu, queries = measure(client, counter, url_, args.runs)
                print(f"{label:34} {median:10.1f} {high:8.1f} {cpu:8.1f} {queries:8d}")
            del response
            breakdown(app, world, args.runs)
        with app.app_context():
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
