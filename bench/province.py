"""The bench province: a seeded, repeatable database built in bulk through the app's own crypto.

One provincial department over 20 commune offices (real commune codes of Quảng Trị), three
social workers and a supervisor per commune, a provincial supervisor and auditors; persons
and their cases in every group and status, each with the history, assessments, plan and
consent that its status implies, notes, services delivered and a chained audit log.
Every encrypted value is sealed with `crypto.valueformat.seal` under the person's own data
key (wrapped by the master key), every row carries its row seal, every person its blind-index
entries, every audit event its MAC: the rows are what the app writes, inserted in batches
(COPY on PostgreSQL) instead of one ORM flush per object. Built once per scale and database
and kept under bench/.cache/ (PostgreSQL: a database casemgr_bench_<scale>_<checkout>).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bench.names import NameMaker
from casemgr import clock

if TYPE_CHECKING:
    from casemgr.crypto.keyring import KeyRing

GENERATOR_VERSION = 4  # bump when the data changes: cached databases are rebuilt (4: reasons)
CACHE = Path(__file__).resolve().parent / ".cache"
PG_SERVER = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PASSWORD = "bench-Password-not-secret-2026"
PROVINCE_AREA = "44"  # Quảng Trị
COMMUNES = 20
WORKERS_PER_COMMUNE = 3
AUDITORS = 6
LEAD_SUPERVISORS = 1
CHUNK = 5_000
CHECKPOINT_EVERY = 100_000  # signed checkpoints split the chain into segments


@dataclass(frozen=True)
class Scale:
    """How big the province is."""

    name: str
    persons: int  # one case each
    notes: int
    services: int
    audit_events: int


SCALES = {
    "small": Scale("small", persons=2_000, notes=20_000, services=20_000, audit_events=50_000),
    "full": Scale(
        "full", persons=100_000, notes=1_000_000, services=1_000_000, audit_events=1_000_000
    ),
}
STATUS_WEIGHTS = {
    "intake": 4, "verification": 4, "initial_assessment": 6, "detailed_assessment": 6,
    "plan_drafted": 3, "plan_approved": 3, "implementation": 22, "review": 8,
    "closure_requested": 2, "closed": 42,
}  # fmt: skip
GROUP_WEIGHTS = {"child": 60, "violence": 20, "drugs": 10, "trafficking": 5, "sex_work": 5}
SUBMITTED = {"plan_drafted", "closure_requested"}
CLOSING = {"closure_requested", "closed"}  # statuses whose case carries a closure reason
CLOSURE_WEIGHTS = {"goals_met": 60, "term_completed": 20, "moved_away": 8, "lost_contact": 6,
                   "declined": 4, "compulsory_rehab": 3, "aged_out": 3}  # others: 1  # fmt: skip
# The workflow's main path: each status and the move that reaches it (casemgr.cases.workflow).
MAIN_PATH = (
    ("intake", None), ("verification", "verify"), ("initial_assessment", "assess"),
    ("detailed_assessment", "assess_in_detail"), ("plan_drafted", "submit_plan"),
    ("plan_approved", "approve_plan"), ("implementation", "implement"), ("review", "review"),
    ("closure_requested", "request_closure"), ("closed", "approve_closure"),
)  # fmt: skip
APPROVALS = {"approve_plan", "approve_closure"}  # moves made by the unit's supervisor
PLAN_ACTIONS = 3  # goals and actions of a plan
DONE_LATE_SHARE = 0.1  # plan actions due before the case was last worked on, still not done
AUDIT_ACTIONS = (  # (action, object type, weight): what a working province's log is made of
    ("case.view", "case", 40),
    ("person.view", "person", 15),
    ("case.list", None, 10),
    ("case.search", None, 8),
    ("note.create", "note", 10),
    ("case.update", "case", 5),
    ("auth.login", "user", 10),
    ("auth.logout", "user", 2),
)


@dataclass
class Province:
    """Where a built province lives and who works in it (ids and usernames, no ORM objects)."""

    scale: str
    db: str
    url: str
    keys_file: str
    checkpoint_dir: str
    users: dict[str, dict] = field(default_factory=dict)  # username -> {id, role, unit, totp}
    units: dict[str, int] = field(default_factory=dict)  # unit code -> id
    counts: dict[str, int] = field(default_factory=dict)
    build_seconds: dict[str, float] = field(default_factory=dict)
    generator: int = GENERATOR_VERSION

    def app_config(self) -> dict:
        """Settings for an in-process app on this province."""
        return {
            "SQLALCHEMY_DATABASE_URI": self.url,
            "CASEMGR_KEY_FILE": self.keys_file,
            "CASEMGR_AUDIT_CHECKPOINT_DIR": self.checkpoint_dir,
            "CASEMGR_AUDIT_AUTO_CHECKPOINT": False,
        }

    def env(self) -> dict[str, str]:
        """Environment for a gunicorn serving this province."""
        return {
            "CASEMGR_DATABASE_URL": self.url,
            "CASEMGR_KEY_FILE": self.keys_file,
            "CASEMGR_AUDIT_CHECKPOINT_DIR": self.checkpoint_dir,
        }

    def of_role(self, role: str) -> list[str]:
        return sorted(name for name, user in self.users.items() if user["role"] == role)


def _folder(scale: str, db: str) -> Path:
    return CACHE / f"{scale}-{db}"


def _database_url(scale: str, db: str) -> str:
    if db == "sqlite":
        return f"sqlite:///{_folder(scale, db) / 'casemgr.sqlite'}"
    # One database per checkout: two clones on one server must not rebuild each other's.
    checkout = hashlib.sha256(str(CACHE).encode()).hexdigest()[:8]
    name = f"casemgr_bench_{scale}_{checkout}"
    return sa.make_url(PG_SERVER).set(database=name).render_as_string(False)


def load_or_build(scale: str, db: str, *, rebuild: bool = False) -> Province:
    """The cached province for (scale, db), built first if missing, stale or asked for."""
    folder = _folder(scale, db)
    manifest = folder / "province.json"
    if manifest.exists() and not rebuild:
        province = Province(**json.loads(manifest.read_text()))
        if province.generator == GENERATOR_VERSION and _database_exists(province.url):
            began = time.perf_counter()
            upgrade(province)
            province.build_seconds["reused"] = 1
            province.build_seconds["upgrade"] = round(time.perf_counter() - began, 1)
            return province
    return _build(scale, db, folder)


def upgrade(province: Province) -> None:
    """Bring a cached province to the code's schema: `casemgr init` as an upgrade does it."""
    from casemgr import create_app

    app = create_app(province.app_config())
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["casemgr", "init", "--skip-areas"])
        if result.exit_code != 0:
            raise RuntimeError(f"casemgr init failed: {result.output}") from result.exception
        from casemgr.extensions import db

        db.engine.dispose()


def _database_exists(url: str) -> bool:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return Path(parsed.database).exists()
    engine = sa.create_engine(PG_SERVER)
    try:
        with engine.connect() as conn:
            found = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}
            ).first()
        return found is not None
    finally:
        engine.dispose()


def _fresh_database(url: str) -> None:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        Path(parsed.database).unlink(missing_ok=True)
        Path(parsed.database).touch(mode=0o600)
        return
    engine = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    engine.dispose()


def _build(scale_name: str, db: str, folder: Path) -> Province:
    from casemgr.crypto.keyfile import new_key_document

    scale = SCALES[scale_name]
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, mode=0o700)
    keys_file = folder / "casemgr.keys"
    fd = os.open(keys_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(new_key_document(), handle)
    province = Province(
        scale=scale_name,
        db=db,
        url=_database_url(scale_name, db),
        keys_file=str(keys_file),
        checkpoint_dir=str(folder / "audit-checkpoints"),
    )
    _fresh_database(province.url)
    builder = Builder(province, scale)
    began = time.perf_counter()
    builder.run()
    province.build_seconds["total"] = time.perf_counter() - began
    (folder / "province.json").write_text(json.dumps(asdict(province), indent=1))
    return province


# -- building -------------------------------------------------------------------------------


class Builder:
    """Builds one province in phases, each timed and shown with a progress bar."""

    def __init__(self, province: Province, scale: Scale) -> None:
        from casemgr import create_app

        self.province = province
        self.scale = scale
        self.rng = random.Random(20261205)
        self.names = NameMaker(random.Random(1))
        # Accounts share one hash of the bench password, made with the production parameters
        # (staff()); the builder's own hashes (create_user) may be cheap.
        cheap = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_KIB": 1024, "ARGON2_PARALLELISM": 1}
        self.app = create_app({**province.app_config(), **cheap})
        self.keys: dict[int, SimpleNamespace] = {}  # person id -> (key id, aead, row key)
        # (case id, person id, unit id, group, opened at, owner id) of every case
        self.cases: list[tuple[int, int, int, str, dt.datetime, int]] = []
        self.statuses: dict[int, tuple[str, dt.datetime]] = {}  # case id -> (status, updated)
        # Closure reasons from a generator of their own: the other draws stay as they were.
        self.reasons_rng = random.Random(30)
        self.closure_reasons: dict[int, str] = {}  # case id -> reason (requested or closed)
        self.now = clock.utcnow().replace(microsecond=0)

    def run(self) -> None:
        with self.app.app_context(), Progress(
            TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(),
        ) as progress:  # fmt: skip
            self.progress = progress
            for name, phase in (
                ("schema and reference data", self.schema),
                ("units and users", self.staff),
                ("persons and cases", self.persons_and_cases),
                ("notes", self.notes),
                ("services delivered", self.services),
                ("case files", self.case_files),
                ("audit events", self.audit_events),
                ("stored deadlines", self.deadlines),
                ("analyze", self.analyze),
            ):
                began = time.perf_counter()
                phase()
                self.province.build_seconds[name] = round(time.perf_counter() - began, 1)

    # -- phases ---------------------------------------------------------------------------

    def schema(self) -> None:
        task = self.progress.add_task("schema and reference data", total=1)
        result = self.app.test_cli_runner().invoke(args=["casemgr", "init"])
        if result.exit_code != 0:
            raise RuntimeError(f"casemgr init failed: {result.output}") from result.exception
        self.progress.advance(task)

    def staff(self) -> None:
        import pyotp
        from sqlalchemy import select

        from casemgr.admin.services import create_user
        from casemgr.auth import mfa
        from casemgr.auth.roles import Role
        from casemgr.extensions import db
        from casemgr.org.models import Area, AreaLevel, UnitKind
        from casemgr.org.services import open_unit

        area = db.session.scalar(
            select(Area).where(
                Area.level == AreaLevel.PROVINCE,
                Area.code == PROVINCE_AREA,
                Area.valid_to.is_(None),
            )
        )
        communes = list(
            db.session.scalars(
                select(Area).where(Area.parent_id == area.id).order_by(Area.code).limit(COMMUNES)
            )
        )
        total = len(communes) * (WORKERS_PER_COMMUNE + 1) + AUDITORS + LEAD_SUPERVISORS
        task = self.progress.add_task("units and users", total=total)
        opened = dt.date(2024, 1, 1)
        root = open_unit(
            None, code="BENCH-P", name=f"Sở Y tế {area.name} (bench)",
            kind=UnitKind.PROVINCIAL_DEPARTMENT, parent=None, valid_from=opened, areas=[area],
        )  # fmt: skip
        units = [(root, None)]
        for number, commune in enumerate(communes, start=1):
            unit = open_unit(
                None, code=f"BENCH-C{number:02d}", name=f"Văn phòng {commune.name} (bench)",
                kind=UnitKind.COMMUNE_OFFICE, parent=root, valid_from=opened, areas=[commune],
            )  # fmt: skip
            units.append((unit, commune))
        self.communes = [(unit.id, unit.code, commune.id) for unit, commune in units[1:]]
        self.province.units = {unit.code: unit.id for unit, _ in units}
        password_hash = production_hash(PASSWORD)
        staff = [("lead", Role.SUPERVISOR, root, index) for index in range(LEAD_SUPERVISORS)]
        staff += [("auditor", Role.AUDITOR, root, index) for index in range(AUDITORS)]
        for unit, _ in units[1:]:
            staff += [("worker", Role.SOCIAL_WORKER, unit, i) for i in range(WORKERS_PER_COMMUNE)]
            staff.append(("sup", Role.SUPERVISOR, unit, 0))
        self.workers: dict[int, list[int]] = {}
        self.supervisors: dict[int, int] = {}  # unit id -> its supervisor's id
        for kind, role, unit, index in staff:
            suffix = unit.code.removeprefix("BENCH-").lower()
            username = f"bench.{kind}{index + 1}.{suffix}"
            user, _ = create_user(
                None, username=username, display_name=username, email=None, role=role,
                unit=unit, password=PASSWORD,
            )  # fmt: skip
            user.password_hash, user.must_change_password = password_hash, False
            secret = None
            if role != Role.SOCIAL_WORKER:
                secret = pyotp.random_base32()
                mfa.store_secret(user, secret)
                user.mfa_enrolled_at = self.now
            else:
                self.workers.setdefault(unit.id, []).append(user.id)
            if kind == "sup":
                self.supervisors[unit.id] = user.id
            db.session.flush()
            self.province.users[username] = {
                "id": user.id, "role": str(role), "unit": unit.code, "totp": secret,
                "audit_roles": user.audit_roles(),
            }  # fmt: skip
            self.progress.advance(task)
        db.session.commit()

    def persons_and_cases(self) -> None:
        from sqlalchemy import select

        from casemgr.cases.models import Case, CaseNumberCounter, CaseSubGroup, CaseWorker
        from casemgr.clock import local_date
        from casemgr.crypto import envelope, ids, keycheck
        from casemgr.crypto.models import BlindIndexEntry, DataKey
        from casemgr.extensions import db
        from casemgr.people.models import Person
        from casemgr.reference.models import SubGroup

        ring = envelope.keyring()
        keycheck.ensure_recorded(db.session, ring)
        db.session.commit()
        subs: dict[str, list[int]] = {}
        for sub_id, group in db.session.execute(select(SubGroup.id, SubGroup.group_code)):
            subs.setdefault(group, []).append(sub_id)
        groups, group_w = list(GROUP_WEIGHTS), list(GROUP_WEIGHTS.values())
        statuses, status_w = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
        counters: dict[tuple[int, int], int] = {}
        rng, total = self.rng, self.scale.persons
        task = self.progress.add_task("persons and cases", total=total)
        for start in range(0, total, CHUNK):
            n = min(CHUNK, total - start)
            person_ids = ids.allocate(db.session, Person.__table__, n)
            key_ids = ids.allocate(db.session, DataKey.__table__, n)
            case_ids = ids.allocate(db.session, Case.__table__, n)
            persons, keys, entries, cases, sub_rows, co_rows = [], [], [], [], [], []
            for pid, kid, cid in zip(person_ids, key_ids, case_ids, strict=True):
                raw = os.urandom(32)
                key = self._remember(pid, kid, raw)
                unit_id, unit_code, area_id = rng.choice(self.communes)
                worker = rng.choice(self.workers[unit_id])
                facts = self.names.person(pid)
                group = rng.choices(groups, group_w)[0]
                opened = self.now - dt.timedelta(seconds=rng.randint(86_400, 2 * 365 * 86_400))
                updated = opened + (self.now - opened) * rng.random()
                born = rng.randint(2008, 2025) if group == "child" else rng.randint(1960, 2007)
                texts = {k: facts[k] for k in ("surname", "middle_name", "given_name",
                                                "national_id", "phone")}  # fmt: skip
                person, key_row, index_rows = person_rows(
                    ring, pid, kid, raw, texts, {
                        "sex": facts["sex"], "birth_year": born, "area_id": area_id,
                        "created_at": opened, "registered_unit_id": unit_id,
                        "registered_by_id": worker,
                        "ethnicity_code": "01" if rng.random() < 0.85
                        else f"{rng.randint(2, 30):02d}",
                    },
                )  # fmt: skip
                persons.append(person)
                keys.append(key_row)
                entries += index_rows
                status = rng.choices(statuses, status_w)[0]
                reason = self.closure_reason(cid, group) if status in CLOSING else None
                year = local_date(opened).year
                counters[(unit_id, year)] = number = counters.get((unit_id, year), 0) + 1
                cases.append({
                    "id": cid, "number": f"{unit_code}-{year}-{number:04d}", "person_id": pid,
                    "group_code": group, "protection_level": rng.choice(
                        ["prevention", "support", "intervention"]),
                    "risk_level": rng.choice(["low", "medium", "high", "unknown"]),
                    "status": status, "unit_id": unit_id, "owner_id": worker,
                    "submitted_by_id": worker if status in SUBMITTED else None,
                    "plan_cycle": 1, "opened_at": opened, "updated_at": updated,
                    "closed_at": updated if status == "closed" else None, "version": 1,
                    "closure_reason": reason,
                    **sealed(Case, cid, pid, key, {"summary": self.names.summary()}),
                })  # fmt: skip
                self.cases.append((cid, pid, unit_id, group, opened, worker))
                self.statuses[cid] = (status, updated)
                for sub in rng.sample(
                    subs.get(group, []), k=min(len(subs.get(group, [])), rng.randint(0, 2))
                ):
                    sub_rows.append({"case_id": cid, "sub_group_id": sub})
                if rng.random() < 0.05:  # a co-worker from the same office
                    other = rng.choice(self.workers[unit_id])
                    if other != worker:
                        co_rows.append({"case_id": cid, "user_id": other})
            connection = db.session.connection()
            bulk_insert(connection, Person.__table__, persons)
            bulk_insert(connection, DataKey.__table__, keys)
            bulk_insert(connection, BlindIndexEntry.__table__, entries)
            bulk_insert(connection, Case.__table__, cases)
            bulk_insert(connection, CaseSubGroup.__table__, sub_rows)
            bulk_insert(connection, CaseWorker.__table__, co_rows)
            db.session.commit()
            self.progress.advance(task, n)
        bulk_insert(
            db.session.connection(),
            CaseNumberCounter.__table__,
            [{"unit_id": u, "year": y, "last": last} for (u, y), last in counters.items()],
        )
        db.session.commit()
        self.province.counts["persons"] = self.province.counts["cases"] = total

    def notes(self) -> None:
        from casemgr.cases.models import CaseNote

        kinds = ["visit", "visit", "meeting", "phone", "case_conference", "other"]

        def row(cid: int, pid: int, worker: int, when: dt.datetime, note_id: int) -> dict:
            key = self.keys[pid]
            return {
                "id": note_id, "case_id": cid, "person_id": pid, "kind": self.rng.choice(kinds),
                "occurred_on": when.date(), "author_id": worker, "created_at": when,
                "is_break_glass": False,
                **sealed(CaseNote, note_id, pid, key, {"body": self.names.note()}),
            }  # fmt: skip

        self._children(CaseNote, "notes", self.scale.notes, row)
        # Inserted in bulk, past the flush that keeps the cases' last contact dates: set them.
        from casemgr.cases import contact
        from casemgr.extensions import db

        contact.refresh(db.session)
        db.session.commit()

    def services(self) -> None:
        from sqlalchemy import select

        from casemgr.extensions import db
        from casemgr.support.models import ServiceDelivery, ServiceType

        types: dict[str, list[int]] = {}
        for type_id, group in db.session.execute(select(ServiceType.id, ServiceType.group_code)):
            types.setdefault(group, []).append(type_id)
        fallback = [t for group in types.values() for t in group]
        groups = {cid: group for cid, _pid, _u, group, _o, _w in self.cases}

        def row(cid: int, pid: int, worker: int, when: dt.datetime, service_id: int) -> dict:
            key, note = self.keys[pid], self.names.service_note()
            return {
                "id": service_id, "case_id": cid, "person_id": pid,
                "service_type_id": self.rng.choice(types.get(groups[cid]) or fallback),
                "delivered_on": when.date(), "quantity": self.rng.randint(1, 5),
                "amount_vnd": self.rng.choice([None, 200_000, 500_000, 1_500_000]),
                "author_id": worker, "created_at": when, "is_break_glass": False,
                **sealed(ServiceDelivery, service_id, pid, key, {"note": note}),
            }  # fmt: skip

        self._children(ServiceDelivery, "services delivered", self.scale.services, row)

    def closure_reason(self, cid: int, group: str) -> str:
        """A closure reason fitting the group (mostly goals met), kept for the case's history."""
        from casemgr.groups.policy import closure_reasons

        fitting = [r.value for r in closure_reasons(SimpleNamespace(group_code=group,
                                                                    sub_groups=[]))]  # fmt: skip
        weights = [CLOSURE_WEIGHTS.get(r, 1) for r in fitting]
        self.closure_reasons[cid] = reason = self.reasons_rng.choices(fitting, weights)[0]
        return reason

    def case_files(self) -> None:
        """What the workflow leaves in every case file, as the app writes it: the opening event,
        each move of the main path up to the case's status (history and transition log), the
        initial and detailed assessments and the plan's actions once the case is past them,
        and the person's consent to case work. Without them a case page reads empty tables."""
        from casemgr.cases.models import (
            Assessment,
            CaseEvent,
            CaseTransitionLog,
            PlanAction,
        )
        from casemgr.crypto import ids
        from casemgr.extensions import db
        from casemgr.people.relations import Consent

        order = [status for status, _move in MAIN_PATH]
        rng, names = self.rng, self.names
        task = self.progress.add_task("case files", total=len(self.cases))
        counts: dict[str, int] = {}
        for start in range(0, len(self.cases), CHUNK):
            chunk = self.cases[start : start + CHUNK]
            rows: dict[type, list[dict]] = {
                CaseEvent: [], CaseTransitionLog: [], Assessment: [], PlanAction: [], Consent: []
            }  # fmt: skip
            for cid, pid, unit_id, _group, opened, worker in chunk:
                status, updated = self.statuses[cid]
                reached = order.index(status)
                moments = sorted(opened + (updated - opened) * rng.random() for _ in MAIN_PATH)
                events = [("opened", None, opened, worker)]
                for step in range(1, reached + 1):
                    move = MAIN_PATH[step][1]
                    actor = self.supervisors[unit_id] if move in APPROVALS else worker
                    events.append(("transition", move, moments[step], actor))
                    rows[CaseTransitionLog].append({
                        "case_id": cid, "transition": move, "from_status": order[step - 1],
                        "to_status": order[step], "actor_id": actor,
                        "occurred_at": moments[step], "is_break_glass": False,
                    })  # fmt: skip
                for kind, code, when, actor in events:
                    said = self.closure_reasons.get(cid) if code == "request_closure" else None
                    rows[CaseEvent].append({
                        "case_id": cid, "person_id": pid, "kind": kind, "actor_id": actor,
                        "occurred_at": when, "code": code, "closure_reason": said,
                        "from_user_id": None,
                        "to_user_id": worker if kind == "opened" else None,
                        "from_unit_id": None,
                        "to_unit_id": unit_id if kind == "opened" else None,
                        "is_break_glass": False,
                    })  # fmt: skip
                for kind, past in (("initial", "initial_assessment"),
                                   ("detailed", "detailed_assessment")):  # fmt: skip
                    if reached > order.index(past):
                        answers = {"situation": names.note(), "needs": names.note()}
                        rows[Assessment].append({
                            "case_id": cid, "person_id": pid, "kind": kind,
                            "risk_rating": rng.choice(["low", "medium", "high"]),
                            "author_id": worker, "created_at": moments[order.index(past) + 1],
                            "_texts": {"answers_json": json.dumps(answers, ensure_ascii=False)},
                        })  # fmt: skip
                if reached >= order.index("plan_drafted"):
                    drafted = moments[order.index("plan_drafted")]
                    for _ in range(PLAN_ACTIONS):
                        due = (drafted + dt.timedelta(days=rng.randint(14, 120))).date()
                        rows[PlanAction].append({
                            "case_id": cid, "person_id": pid, "plan_cycle": 1, "due_on": due,
                            "done_on": self._done_on(due, status, updated),
                            "author_id": worker, "created_at": drafted,
                            "_texts": {"goal": names.note(), "action": names.service_note(),
                                       "responsible": names.note()},
                        })  # fmt: skip
                rows[Consent].append({
                    "person_id": pid, "scope": "case_work", "given_by": "subject",
                    "relative_id": None, "given_on": opened.date(), "withdrawn_on": None,
                    "recorded_by_id": worker, "created_at": opened,
                })  # fmt: skip
            connection = db.session.connection()
            for model, table_rows in rows.items():
                new_ids = ids.allocate(db.session, model.__table__, len(table_rows))
                for row_id, row in zip(new_ids, table_rows, strict=True):
                    row["id"] = row_id
                    if hasattr(model, "__encrypted_fields__"):
                        texts = row.pop("_texts", {})
                        row.update(sealed(model, row_id, row["person_id"],
                                          self.keys[row["person_id"]], texts))  # fmt: skip
                bulk_insert(connection, model.__table__, table_rows)
                counts[model.__tablename__] = counts.get(model.__tablename__, 0) + len(table_rows)
            db.session.commit()
            self.progress.advance(task, len(chunk))
        self.province.counts.update(counts)

    def _done_on(self, due: dt.date, status: str, updated: dt.datetime) -> dt.date | None:
        """When a plan action was marked done: every action of a closed case; nine in ten of
        those due before the case was last worked on, most by their due date, never after that
        day (a working province has some overdue actions, not one per case)."""
        rng = self.rng
        if status != "closed" and (due >= updated.date() or rng.random() < DONE_LATE_SHARE):
            return None
        return min(due - dt.timedelta(days=rng.randint(-7, 14)), updated.date())

    def _children(self, model: type, label: str, total: int, make: Callable[..., dict]) -> None:
        """Rows that belong to random cases (notes, services), dated after the case opened."""
        from casemgr.crypto import ids
        from casemgr.extensions import db

        task = self.progress.add_task(label, total=total)
        rng = self.rng
        for start in range(0, total, CHUNK * 4):
            n = min(CHUNK * 4, total - start)
            new_ids = ids.allocate(db.session, model.__table__, n)
            rows = []
            for new_id in new_ids:
                cid, pid, _unit, _group, opened, worker = rng.choice(self.cases)
                when = opened + (self.now - opened) * rng.random()
                rows.append(make(cid, pid, worker, when, new_id))
            bulk_insert(db.session.connection(), model.__table__, rows)
            db.session.commit()
            self.progress.advance(task, n)
        self.province.counts[model.__tablename__] = total

    def audit_events(self) -> None:
        from flask import current_app

        from casemgr.audit.chain import compute_mac
        from casemgr.audit.checkpoints import write_checkpoint
        from casemgr.audit.models import AuditEvent
        from casemgr.audit.recorder import chain_head
        from casemgr.audit.services import signer
        from casemgr.extensions import db

        mac_key = current_app.extensions["casemgr.keys"].audit_mac_key
        sign = signer()
        total, rng = self.scale.audit_events, self.rng
        task = self.progress.add_task("audit events", total=total)
        seq, prev = chain_head(db.session)
        db.session.commit()
        staff = [
            {**user, "name": name}
            for name, user in self.province.users.items()
            if user["role"] == "social_worker"
        ]
        by_worker: dict[int, list[int]] = {}
        for cid, _pid, _u, _g, _o, worker in self.cases:
            by_worker.setdefault(worker, []).append(cid)
        actions = [(a, o) for a, o, _ in AUDIT_ACTIONS]
        weights = [w for _, _, w in AUDIT_ACTIONS]
        # The log runs over the last 60 days, in order, up to just before the build.
        moment = self.now - dt.timedelta(days=60)
        step = dt.timedelta(days=59) / max(total, 1)
        rows: list[dict] = []
        for _ in range(total):
            seq += 1
            moment += step
            user = rng.choice(staff)
            action, object_type = rng.choices(actions, weights)[0]
            case_id = rng.choice(by_worker.get(user["id"]) or [None])
            object_id = {"case": case_id, "user": user["id"]}.get(
                object_type, rng.randint(1, 10**6)
            )
            row = {
                "seq": seq, "occurred_at": moment, "actor_id": user["id"],
                "actor_name": user["name"],
                "actor_roles": user["audit_roles"], "action": action,
                "object_type": object_type,
                "object_id": None if object_type is None else str(object_id),
                "case_id": case_id if object_type in ("case", "note") else None,
                "fields": "risk_level,summary" if action == "case.update" else None,
                "client_addr": f"10.44.{user['id'] % 250}.{rng.randint(2, 254)}",
                "request_id": f"{rng.getrandbits(128):032x}", "channel": "web",
                "outcome": "allowed" if rng.random() > 0.005 else "denied",
                "reason": None, "is_break_glass": False, "prev_mac": prev,
            }  # fmt: skip
            row["mac"] = prev = compute_mac(mac_key, prev, SimpleNamespace(**row))
            rows.append(row)
            if seq % CHECKPOINT_EVERY == 0 or len(rows) == CHUNK * 4:
                bulk_insert(db.session.connection(), AuditEvent.__table__, rows)
                db.session.commit()
                self.progress.advance(task, len(rows))
                rows = []
            if seq % CHECKPOINT_EVERY == 0:
                write_checkpoint(self.province.checkpoint_dir, sign, seq, prev, moment)
        if rows:
            bulk_insert(db.session.connection(), AuditEvent.__table__, rows)
            self.progress.advance(task, len(rows))
        connection = db.session.connection()
        connection.execute(
            sa.text("UPDATE audit_head SET seq = :s, mac = :m WHERE id = 1"), {"s": seq, "m": prev}
        )
        db.session.commit()
        write_checkpoint(self.province.checkpoint_dir, sign, seq, prev, self.now)
        self.province.counts["audit_events"] = seq

    def deadlines(self) -> None:
        from casemgr.extensions import db
        from casemgr.rules import deadlines

        task = self.progress.add_task("stored deadlines", total=1)
        deadlines.refresh_all()
        db.session.commit()
        self.progress.advance(task)

    def analyze(self) -> None:
        from casemgr.extensions import db

        task = self.progress.add_task("analyze", total=1)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(
                sa.text("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE")
            )
        db.engine.dispose()
        self.progress.advance(task)

    # -- helpers --------------------------------------------------------------------------

    def _remember(self, person_id: int, key_id: int, raw: bytes) -> SimpleNamespace:
        from casemgr.crypto import rowseal

        key = SimpleNamespace(key_id=key_id, aead=AESGCM(raw), row_key=rowseal.row_key(raw))
        self.keys[person_id] = key
        return key


def production_hash(password: str) -> str:
    """An argon2id hash with the production parameters (casemgr.config defaults)."""
    from argon2 import PasswordHasher, Type

    from casemgr.config import build_config

    config = build_config(str(CACHE))
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"],
        memory_cost=config["ARGON2_MEMORY_KIB"],
        parallelism=config["ARGON2_PARALLELISM"],
        type=Type.ID,
    ).hash(password)


def person_rows(
    ring: KeyRing, person_id: int, key_id: int, raw: bytes, texts: dict, plain: dict
) -> tuple[dict, dict, list[dict]]:
    """A person's row, its wrapped data key and its blind-index entries, as the app's flush
    hooks make them (crypto.fields._before_flush, envelope.new_data_keys)."""
    from casemgr.crypto import blind, envelope, rowseal
    from casemgr.people.models import Person

    master = ring.active_master.id
    key = SimpleNamespace(key_id=key_id, aead=AESGCM(raw), row_key=rowseal.row_key(raw))
    row = {
        "id": person_id, "birth_year_is_estimated": False, "is_pseudonymous": False,
        "version": 1, **plain, **sealed(Person, person_id, person_id, key, texts),
    }  # fmt: skip
    key_row = {
        "id": key_id, "person_id": person_id, "master_key_id": master,
        "created_at": plain["created_at"], "destroyed_at": None,
        "wrapped_key": envelope.wrap(ring, master, person_id, raw),
    }  # fmt: skip
    entries = []
    for index in Person.__blind_indexes__:
        values = [texts.get(name) for name in index.fields]
        if any(value is not None for value in values):
            entries += blind.rows_for(
                ring, [ring.active_index.id], "persons", person_id, index, index.terms(*values)
            )
    return row, key_row, entries


def sealed(model: type, row_id: int, person_id: int, key: SimpleNamespace, texts: dict) -> dict:
    """The encrypted columns of one new row, its version and row seal, as the flush hook makes
    them (crypto.fields._before_flush): every field sealed at generation 1, unset ones NULL."""
    from casemgr.crypto import rowseal
    from casemgr.crypto.valueformat import ValueContext, seal

    fields = model.__encrypted_fields__
    table = model.__tablename__
    out: dict[str, object] = {column: None for column in model.encrypted_columns()}
    for name, value in texts.items():
        column = fields[name].column
        context = ValueContext(table, column, row_id, person_id)
        out[column] = seal(key.aead, key.key_id, value.encode(), context, generation=1)
    columns = model.sealed_columns()
    out["enc_version"] = 1
    out["enc_seal"] = rowseal.compute(
        key.row_key, table, row_id, person_id, 1, columns, [out[c] for c in columns]
    )
    return out


def bulk_insert(connection: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """Insert rows fast: COPY on PostgreSQL, executemany on SQLite."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(table.insert(), rows)
        return
    columns = list(rows[0])
    cursor = connection.connection.driver_connection.cursor()
    quoted = ", ".join(f'"{name}"' for name in columns)
    with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([_plain(row[name]) for name in columns])


def _plain(value: object) -> object:
    return value.value if hasattr(value, "value") and not isinstance(value, bytes) else value
