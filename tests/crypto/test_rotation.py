"""Rotation: master keys re-wrapped in resumable batches as reads go on; retirement; index keys."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from casemgr.clock import utcnow
from casemgr.crypto import envelope, ids, rotation, rowseal
from casemgr.crypto.keyfile import load_key_file, write_key_document
from casemgr.crypto.models import BlindIndexEntry, DataKey, KeyCheck
from casemgr.extensions import db
from casemgr.people import queries, services
from casemgr.people.models import Person
from tests.crypto.conftest import KeyedDatabase
from tests.dbsetup import fresh_database

PERSONS = 10_000
READABLE = 200  # persons with real sealed values, read while the rotation runs


def _bulk_persons(app, count: int) -> None:
    """`count` persons with data keys under the active master key, inserted in bulk."""
    with app.app_context():
        ring = envelope.keyring()
        persons = Person.__table__
        new_ids = ids.allocate(db.session, persons, count)
        db.session.execute(
            persons.insert(), [{"id": i, "sex": "unknown", "created_at": utcnow()} for i in new_ids]
        )
        key_ids = ids.allocate(db.session, DataKey.__table__, count)
        active = ring.active_master.id
        raws = {pid: os.urandom(32) for pid in new_ids}
        columns = Person.sealed_columns()
        db.session.execute(
            persons.update().where(persons.c.id == sa.bindparam("pid")),
            [
                {
                    "pid": pid,
                    "enc_seal": rowseal.compute(
                        rowseal.row_key(raw), "persons", pid, pid, 0, columns, [None] * len(columns)
                    ),
                }
                for pid, raw in raws.items()
            ],
        )
        db.session.execute(
            DataKey.__table__.insert(),
            [
                {
                    "id": key_id,
                    "person_id": pid,
                    "wrapped_key": envelope.wrap(ring, active, pid, raws[pid]),
                    "master_key_id": active,
                    "created_at": utcnow(),
                }
                for key_id, pid in zip(key_ids, new_ids, strict=True)
            ],
        )
        db.session.commit()


@pytest.fixture(scope="module")
def population(tmp_path_factory) -> Iterator[tuple[KeyedDatabase, list[int]]]:
    with fresh_database("rotation") as url:
        keyed = KeyedDatabase(url, tmp_path_factory.mktemp("rotation"))
        app = keyed.app()
        with app.app_context():
            upgrade()
            readable = [
                services.register_person(
                    None, surname="Trần", given_name=f"Bảo {i}", national_id=f"{i:012d}"
                ).id
                for i in range(1, READABLE + 1)
            ]
            db.session.commit()
        _bulk_persons(app, PERSONS - READABLE)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        yield keyed, readable


def active_id(keyed: KeyedDatabase, kind: str, state: str = "active") -> str:
    """The id of the key of `kind` in `state`, as the key file now says."""
    return next(e["id"] for e in load_key_file(keyed.key_file).raw[kind] if e["state"] == state)


def state_of(keyed: KeyedDatabase, kind: str, key_id: str) -> str:
    return next(e["state"] for e in load_key_file(keyed.key_file).raw[kind] if e["id"] == key_id)


def _count_on(app, key_id: str) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(DataKey)
            .where(DataKey.master_key_id == key_id, DataKey.destroyed_at.is_(None))
        )


def _read_some(app, readable: list[int], rng: random.Random) -> int:
    """Read persons as a running worker would: its own request, its own (stale) key ring."""
    ok = 0
    with app.app_context():
        for pid in rng.sample(readable, 20):
            envelope.forget()
            person = db.session.get(Person, pid)
            assert person.given_name.startswith("Bảo ")
            ok += 1
        db.session.remove()
    return ok


def test_rotation_killed_part_way_then_resumed(population, monkeypatch):
    keyed, readable = population
    app = keyed.app()
    worker = keyed.app()  # started before the rotation: learns the new key from the file
    old = active_id(keyed, "master_keys")
    rng = random.Random(3)
    reads = 0
    batches = 0
    real_batch = rotation.rewrap_batch

    def batch_then_maybe_die(session, ring, batch_size):
        nonlocal batches, reads
        done = real_batch(session, ring, batch_size)
        reads += _read_some(worker, readable, rng)  # reads go on between batches
        batches += 1
        if batches == 4:
            raise KeyboardInterrupt  # the operator's Ctrl+C, or a killed process
        return done

    monkeypatch.setattr(rotation, "rewrap_batch", batch_then_maybe_die)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["casemgr", "keys", "rotate", "--batch-size", "1000"])
    assert result.exit_code != 0
    new_id = active_id(keyed, "master_keys")
    assert new_id != old
    assert state_of(keyed, "master_keys", old) == "decrypt-only"
    left = _count_on(app, old)
    assert left == PERSONS - 3000  # three batches committed, the fourth rolled back

    monkeypatch.setattr(rotation, "rewrap_batch", real_batch)
    result = runner.invoke(args=["casemgr", "keys", "rotate", "--batch-size", "1000"])
    assert result.exit_code == 0, result.output
    assert f"resuming: {left} data keys" in result.output
    assert f"{left} data keys re-wrapped under {new_id}" in result.output
    assert _count_on(app, old) == 0
    assert _count_on(app, new_id) == PERSONS
    assert reads == 4 * 20
    # Every readable person still reads, through a worker that never restarted.
    with worker.app_context():
        envelope.forget()
        names = [db.session.get(Person, pid).given_name for pid in readable]
        assert names == [f"Bảo {i}" for i in range(1, READABLE + 1)]
        db.session.remove()

    # Status shows the counts per key; retiring the old key is now allowed.
    result = runner.invoke(args=["casemgr", "keys", "status"])
    assert result.exit_code == 0
    lines = {line.split()[0]: line.split() for line in result.output.splitlines()[1:3]}
    assert lines[old][1:] == ["decrypt-only", "0", "0"]
    assert lines[new_id][1:] == ["active", str(PERSONS), "0"]
    result = runner.invoke(args=["casemgr", "keys", "retire", old])
    assert result.exit_code == 0, result.output
    assert state_of(keyed, "master_keys", old) == "retired"
    with app.app_context():
        assert db.session.get(KeyCheck, old).state == "retired"
        db.engine.dispose()
    with worker.app_context():
        db.engine.dispose()
    # A retired key may leave the key file: the app still starts and reads.
    document = load_key_file(keyed.key_file).raw
    document["master_keys"] = [e for e in document["master_keys"] if e["id"] != old]
    write_key_document(keyed.key_file, document)
    restarted = keyed.app()
    with restarted.app_context():
        assert db.session.get(Person, readable[0]).given_name == "Bảo 1"
        db.session.remove()
        db.engine.dispose()


def test_retire_refused_while_a_data_key_uses_the_key(population):
    keyed, _ = population
    app = keyed.app()
    runner = app.test_cli_runner()
    active = active_id(keyed, "master_keys")
    result = runner.invoke(args=["casemgr", "keys", "retire", active])
    assert result.exit_code != 0
    assert f"master key {active} is the active key" in result.output
    # Start a rotation but stop it before any batch: the previous key still wraps them all.
    with app.app_context():
        from casemgr.crypto.keyfile import with_new_key

        document, _ = with_new_key(
            app.extensions["casemgr.keys"].raw, "master_keys", state="active"
        )
        write_key_document(keyed.key_file, document)
        app.extensions["casemgr.keyring"].refresh()
    result = runner.invoke(args=["casemgr", "keys", "retire", active])
    assert result.exit_code != 0
    assert f"still wraps {PERSONS} data keys" in result.output
    result = runner.invoke(args=["casemgr", "keys", "rotate", "--batch-size", "5000"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["casemgr", "keys", "retire", active]).exit_code == 0
    with app.app_context():
        db.engine.dispose()


def test_index_key_rotation_keeps_search_working(population, monkeypatch):
    keyed, readable = population
    app = keyed.app()
    runner = app.test_cli_runner()
    old = active_id(keyed, "index_keys")

    def search(target_app) -> list[int]:
        with target_app.app_context():
            envelope.forget()
            found = [p.id for p in queries.find_persons_by(None, name="tran bao 7")]
            by_id = [p.id for p in queries.find_persons_by(None, national_id="000000000007")]
            db.session.rollback()
            return found + by_id

    expected = search(app)
    assert expected == [readable[6], readable[6]]
    real = rotation.reindex_batch
    calls = 0

    def die_after_one(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(rotation, "reindex_batch", die_after_one)
    result = runner.invoke(args=["casemgr", "keys", "rotate-index", "--batch-size", "100"])
    assert result.exit_code != 0
    pending = active_id(keyed, "index_keys", "pending")
    assert search(app) == expected  # searches still use the old key
    # A person registered meanwhile gets entries under both keys.
    with app.app_context():
        app.extensions["casemgr.keyring"].refresh()
        late = services.register_person(None, surname="Trần", given_name="Bảo 7")
        db.session.commit()
        late_id = late.id
    monkeypatch.setattr(rotation, "reindex_batch", real)
    result = runner.invoke(args=["casemgr", "keys", "rotate-index", "--batch-size", "100"])
    assert result.exit_code == 0, result.output
    assert f"searches now use {pending}" in result.output
    assert search(keyed.app()) == [*sorted([readable[6], late_id]), readable[6]]
    with app.app_context():
        counts = dict(
            db.session.execute(
                sa.select(BlindIndexEntry.key_id, sa.func.count()).group_by(BlindIndexEntry.key_id)
            ).all()
        )
        assert counts[old] == counts[pending] > READABLE * 4
    result = runner.invoke(args=["casemgr", "keys", "retire", old])
    assert result.exit_code == 0, result.output
    assert f"{counts[old]} index entries removed" in result.output
    assert search(keyed.app()) == [*sorted([readable[6], late_id]), readable[6]]
    with app.app_context():
        db.engine.dispose()


def test_rotation_never_resurrects_a_key_destroyed_meanwhile(db, monkeypatch):
    first = services.register_person(None, given_name="Một")
    second = services.register_person(None, given_name="Hai")
    db.session.flush()
    ring = envelope.keyring()
    original = ring.material
    from casemgr.crypto.keyfile import parse_key_document, with_new_key

    document, _ = with_new_key(original.raw, "master_keys", state="active")
    ring.replace(parse_key_document(document, "test"))
    real = envelope.unwrap

    def erase_during(ring_, key_id, person_id, wrapped):
        raw = real(ring_, key_id, person_id, wrapped)
        if person_id == first.id:
            envelope.destroy(db.session, first.id)  # an erasure commits between read and write
        return raw

    monkeypatch.setattr(envelope, "unwrap", erase_during)
    try:
        rotation.rewrap_batch(db.session, ring, 1_000_000)
        keys = {
            k.person_id: k
            for k in db.session.scalars(
                sa.select(DataKey)
                .where(DataKey.person_id.in_([first.id, second.id]))
                .execution_options(populate_existing=True)
            )
        }
        assert keys[first.id].wrapped_key is None and keys[first.id].destroyed_at is not None
        assert keys[second.id].master_key_id == ring.active_master.id
    finally:
        ring.replace(original)


def test_rotation_with_keys_from_the_environment_prints_the_new_document(population):
    keyed, _ = population
    document = load_key_file(keyed.key_file).raw
    app = keyed.env_app(document)
    old = next(e["id"] for e in document["master_keys"] if e["state"] == "active")
    before = _count_on(app, old)
    assert before > PERSONS - 10
    result = app.test_cli_runner().invoke(args=["casemgr", "keys", "rotate"])
    assert result.exit_code == 0
    assert "set CASEMGR_KEYS on every instance" in result.stderr
    printed = json.loads(result.stdout)
    states = {e["id"]: e["state"] for e in printed["master_keys"]}
    assert states[old] == "decrypt-only"
    assert list(states.values()).count("active") == 1
    assert _count_on(app, old) == before  # nothing re-wrapped before the keys are rolled out
    with app.app_context():
        db.engine.dispose()
