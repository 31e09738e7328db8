"""Scenarios measured inside one process: the crypto attribute path against raw AES-GCM, audit
verification, master-key rotation and the full provincial report; and the read-back check."""

from __future__ import annotations

import json
import os
import random
import statistics
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bench.province import Province

if TYPE_CHECKING:
    from bench.suite import Run


def app_for(province: Province):
    from casemgr import create_app

    return create_app(province.app_config())


def targets(province: Province) -> dict:
    """Who and what the page scenarios use: a worker with their own cases, persons and a name."""
    from sqlalchemy import select

    from casemgr.cases.models import Case
    from casemgr.extensions import db
    from casemgr.people.models import Person

    worker = province.of_role("social_worker")[0]
    app = app_for(province)
    with app.app_context():
        rows = db.session.execute(
            select(Case.id, Case.person_id)
            .where(Case.owner_id == province.users[worker]["id"])
            .order_by(Case.id)
            .limit(50)
        ).all()
        person = db.session.get(Person, rows[0].person_id)
        found = {
            "worker": worker,
            "lead": next(n for n in province.of_role("supervisor") if n.startswith("bench.lead")),
            "auditor": province.of_role("auditor")[0],
            "case_ids": [r.id for r in rows],
            "person_ids": [r.person_id for r in rows],
            "name": f"{person.surname} {person.middle_name} {person.given_name}",
            "national_id": person.national_id,
        }
        db.session.rollback()
        db.engine.dispose()
    return found


def check(province: Province) -> None:
    """The province reads back: values decrypt through the ORM, the audit chain verifies."""
    from sqlalchemy import func, select

    from casemgr.audit.services import verify_chain
    from casemgr.cases.models import Assessment, Case, CaseNote, PlanAction
    from casemgr.extensions import db
    from casemgr.people.models import Person
    from casemgr.support.models import ServiceDelivery

    app = app_for(province)
    with app.app_context():
        for model, field in (
            (Person, "given_name"),
            (Case, "summary"),
            (CaseNote, "body"),
            (ServiceDelivery, "note"),
            (Assessment, "answers_json"),
            (PlanAction, "goal"),
        ):
            last = db.session.scalar(select(func.max(model.id)))
            wanted = random.Random(last).sample(range(1, last + 1), min(20, last))
            sample = db.session.scalars(select(model).where(model.id.in_(wanted))).all()
            assert sample and all(getattr(row, field) for row in sample), model.__tablename__
        report = verify_chain()
        assert report.ok, report.first_problem.describe()
        db.session.rollback()
        db.engine.dispose()


def _rounds(functions: dict[str, Callable[[], None]], rounds: int) -> dict[str, list[float]]:
    """Seconds per round for each function, the functions taking turns in every round."""
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(rounds):
        for name, function in functions.items():
            began = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - began)
    return times


def attribute_path(run: Run, province: Province) -> None:
    """`person.given_name` under a request against raw AES-GCM on a value of the same size, in
    the same interleaved rounds: (a) set then read back on one person (the goal's figure: data
    key from the request's cache, row checked as verified, value sealed, read back) against raw
    encrypt + decrypt; (b) the first read of each of 200 loaded persons (value opened, row seal
    checked) against raw decrypt of 200 values; (c) set + flush of one person, per row: the
    row seal is computed once per changed row in the flush (crypto.fields), so its cost shows
    here, next to a plain column's set + flush (the UPDATE without any encryption)."""
    from sqlalchemy import select

    from casemgr.crypto import envelope, rowseal
    from casemgr.extensions import db
    from casemgr.people.models import Person

    app = app_for(province)
    n, loops, flushes, name = 200, 1000, 100, "Nguyễn Thị Ánh"
    raw = AESGCM(os.urandom(32))
    aad = b"persons.given_name_enc:1:1"
    data = name.encode()
    with app.test_request_context():
        ids = db.session.scalars(select(Person.id).order_by(Person.id).limit(n)).all()
        one = db.session.get(Person, ids[0])
        nonces = [os.urandom(12) for _ in range(n)]
        blobs = [(nonce, raw.encrypt(nonce, data, aad)) for nonce in nonces]
        loaded: list[Person] = []

        def floor_set_get() -> None:
            for _ in range(loops):
                nonce = os.urandom(12)
                raw.decrypt(nonce, raw.encrypt(nonce, data, aad), aad)

        def set_get() -> None:
            for _ in range(loops):
                one.given_name = name
                _ = one.given_name

        def floor_read() -> None:
            for nonce, blob in blobs:
                raw.decrypt(nonce, blob, aad)

        def first_reads() -> None:
            for person in loaded:
                _ = person.given_name

        def load() -> None:
            for person in loaded:
                db.session.expunge(person)
            loaded[:] = db.session.scalars(select(Person).where(Person.id.in_(ids[1:]))).all()
            envelope.preload(db.session, ids)  # the keys: one query, as list pages do

        def set_flush() -> None:
            for _ in range(flushes):
                one.note = name  # no blind index: the flush is the UPDATE and the row seal
                db.session.flush()

        def plain_set_flush() -> None:
            for i in range(flushes):
                one.birth_year = 2000 + i % 2
                db.session.flush()

        key = envelope.open_key(db.session, one.id)
        columns = Person.sealed_columns()
        one_blobs = [getattr(one, column) for column in columns]

        def row_seals() -> None:  # the seal alone, as the flush computes it
            for _ in range(flushes):
                rowseal.compute(key.row_mac, "persons", one.id, one.id, 2, columns, one_blobs)

        times: dict[str, list[float]] = {}
        for round_number in range(12):
            load()
            for label, function in (
                ("floor_set_get", floor_set_get),
                ("set_get", set_get),
                ("floor_read", floor_read),
                ("first_reads", first_reads),
                ("set_flush", set_flush),
                ("plain_set_flush", plain_set_flush),
                ("row_seal", row_seals),
            ):
                began = time.perf_counter()
                function()
                if round_number:  # the first round warms up
                    times.setdefault(label, []).append(time.perf_counter() - began)
        db.session.rollback()
        db.engine.dispose()
    us = {
        "floor_set_get": statistics.median(times["floor_set_get"]) / loops * 1e6,
        "set_get": statistics.median(times["set_get"]) / loops * 1e6,
        "floor_read": statistics.median(times["floor_read"]) / n * 1e6,
        "first_reads": statistics.median(times["first_reads"]) / (n - 1) * 1e6,
        **{
            label: statistics.median(times[label]) / flushes * 1e6
            for label in ("set_flush", "plain_set_flush", "row_seal")
        },
    }
    ratio = us["set_get"] / us["floor_set_get"]
    run.add(
        "person.given_name set + read (attribute path)",
        {
            "per_value_us": round(us["set_get"], 2),
            "raw_aes_gcm_us": round(us["floor_set_get"], 2),
            "ratio": round(ratio, 2),
        },
        "<= 2.5x raw AES-GCM",
        ratio <= 2.5,
    )
    run.add(
        "person.given_name first read of a loaded row",
        {
            "per_value_us": round(us["first_reads"], 2),
            "raw_aes_gcm_us": round(us["floor_read"], 2),
            "ratio": round(us["first_reads"] / us["floor_read"], 2),
        },
        "-",
        None,
    )
    run.add(
        "person.note set + flush (row sealed), per row",
        {
            "per_row_us": round(us["set_flush"], 1),
            "plain_column_set_flush_us": round(us["plain_set_flush"], 1),
            "row_seal_us": round(us["row_seal"], 2),
            "raw_aes_gcm_us": round(us["floor_set_get"], 2),
        },
        "-",
        None,
    )


VERIFY_RUNS = 3  # the median run is reported, as the pages report their median round


def audit_verification(run: Run, province: Province) -> None:
    """The whole chain, as `flask casemgr audit verify` does (casemgr.audit.services), three
    times: one run alone moved by a tenth and more (on SQLite, one machine, one province, three
    runs in one process gave 208,405, 235,381 and 238,122 events/s)."""
    from casemgr.audit.services import verify_chain
    from casemgr.extensions import db

    app = app_for(province)
    runs = []
    for _ in range(VERIFY_RUNS):
        with app.app_context():
            began = time.perf_counter()
            report = verify_chain()
            seconds = time.perf_counter() - began
            db.session.rollback()
            db.engine.dispose()
        assert report.ok, report.first_problem.describe()
        runs.append((report.events_checked / seconds, seconds, report.events_checked))
    rate, seconds, events = sorted(runs)[len(runs) // 2]
    run.add(
        "audit verification (whole chain)",
        {
            "events": events,
            "seconds": round(seconds, 2),
            "per_s": round(rate),
            "per_s_runs": [round(r[0]) for r in runs],
        },
        "> 200,000 events/s",
        rate > 200_000,
    )


def key_rotation(run: Run, province: Province) -> None:
    """Master-key rotation: every data key re-wrapped under a new master key (the new key file
    is kept in the cache, so the province stays readable)."""
    from casemgr.crypto import envelope, rotation
    from casemgr.crypto.keyfile import parse_key_document, with_new_key
    from casemgr.extensions import db

    app = app_for(province)
    with app.app_context():
        ring = envelope.keyring()
        document, _ = with_new_key(ring.material.raw, "master_keys", state="active")
        _write_keys(province.keys_file, document)
        ring.replace(parse_key_document(document, "bench"))
        began = time.perf_counter()
        done = rotation.rewrap_all(db.session, ring, batch_size=1000, commit=db.session.commit)
        seconds = time.perf_counter() - began
        left = rotation.pending_rewrap(db.session, ring)
        db.session.rollback()
        db.engine.dispose()
    rate = done / seconds
    run.add(
        "master-key rotation (re-wrap every data key)",
        {"persons": done, "left": left, "seconds": round(seconds, 2), "per_s": round(rate)},
        "> 2,000 persons/s",
        rate > 2_000 and left == 0,
    )


def _write_keys(path: str, document: dict) -> None:
    tmp = f"{path}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(document, handle)
    os.replace(tmp, path)


def full_report(run: Run, province: Province, lead: str) -> None:
    """reports.services.all_tables for the whole province, as the provincial supervisor."""
    from casemgr import clock
    from casemgr.auth.models import User
    from casemgr.extensions import db
    from casemgr.reports import services
    from casemgr.reports.queries import Dimension, Measure, Period, Query

    app = app_for(province)
    times = []
    for _ in range(3):
        # A context of its own per run, as each job has: nothing cached from the run before
        # (the margins a request keeps in `g`).
        with app.test_request_context():
            user = db.session.get(User, province.users[lead]["id"])
            query = Query(
                Measure.REGISTERED, Dimension.AGE_BAND, Dimension.SEX, Period(clock.today().year)
            )
            began = time.perf_counter()
            tables = services.all_tables(user, query)
            times.append(time.perf_counter() - began)
            db.session.rollback()
    with app.app_context():
        db.engine.dispose()
    median = statistics.median(times)
    goal = "< 2 s on PostgreSQL (or a background job)"
    run.add(
        "full provincial report (all tables, in-process)",
        {
            "tables": len(tables),
            "median_ms": round(median * 1000),
            "max_ms": round(max(times) * 1000),
        },
        goal,
        median < 2 if province.db == "postgresql" else None,
    )


def scenarios(run: Run, province: Province, found: dict) -> None:
    attribute_path(run, province)
    full_report(run, province, found["lead"])
    audit_verification(run, province)
    key_rotation(run, province)
