"""A cut of the audit log does not go unnoticed: checkpoints, the head counter, the scan state.

Each test runs on a database of its own (committed rows, deleted as an attacker with write
access would: on PostgreSQL these tables carry no trigger here, as after DISABLE TRIGGER).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from casemgr import create_app
from casemgr.audit import autocheckpoint, record
from casemgr.audit.alerts import scan_for_alerts
from casemgr.audit.anchors import ANCHOR_DOMAIN, anchor_body
from casemgr.audit.autocheckpoint import checkpoint_after_tail_check, failure_signature
from casemgr.audit.checkpoints import load_checkpoints
from casemgr.audit.models import (
    AlertKind,
    AlertScanState,
    AuditAlert,
    AuditAnchor,
    AuditEvent,
    AuditHead,
)
from casemgr.audit.services import signer, verify_chain
from casemgr.audit.verify import ProblemKind
from casemgr.crypto.keyfile import new_key_document
from casemgr.extensions import db
from casemgr.jobs import duties, tasks
from tests import conftest
from tests.audit.synthetic import create_audit_tables
from tests.dbsetup import fresh_database

T0 = dt.datetime(2026, 12, 5, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def cut_app(tmp_path) -> Iterator[Flask]:
    with fresh_database("audit_cut") as url:
        config = conftest.app_config(url, new_key_document())
        config["CASEMGR_AUDIT_CHECKPOINT_DIR"] = str(tmp_path / "checkpoints")
        config["CASEMGR_AUDIT_CHECKPOINT_EVERY"] = 20
        config["CASEMGR_AUDIT_CHECKPOINT_MINUTES"] = 5
        app = create_app(config)
        with app.app_context():
            create_audit_tables(db.engine)
            yield app
            db.session.remove()
            db.engine.dispose()


def append(count: int) -> int:
    """Append `count` events, committed; return the head."""
    for number in range(count):
        event = record("case.view", actor=None, object_type="case", object_id=number)
    db.session.commit()
    return event.seq


def cut_after(seq: int) -> None:
    db.session.execute(delete(AuditEvent).where(AuditEvent.seq > seq))
    db.session.commit()


def lower_counter_to(seq: int) -> None:
    """What an attacker who knows about the head counter does too."""
    mac = db.session.scalar(select(AuditEvent.mac).where(AuditEvent.seq == seq))
    db.session.execute(update(AuditHead).values(seq=seq, mac=mac))
    db.session.commit()


def kinds() -> set[ProblemKind]:
    report = verify_chain()
    return {problem.kind for problem in report.problems}


def checkpoint() -> int:
    run = checkpoint_after_tail_check()
    db.session.commit()
    assert run.path is not None
    return run.report.last_seq


def test_all_rows_deleted_while_checkpoints_exist(cut_app):
    append(5)
    checkpoint()
    db.session.execute(delete(AuditEvent))
    db.session.execute(delete(AuditHead))
    db.session.commit()
    assert ProblemKind.EMPTY_LOG in kinds()


def test_an_empty_log_with_only_the_head_counter_left_fails(cut_app):
    append(5)
    db.session.execute(delete(AuditEvent))
    db.session.commit()
    assert kinds() == {ProblemKind.EMPTY_LOG, ProblemKind.BELOW_EVIDENCE}


def test_tail_cut_after_the_last_checkpoint_while_the_scan_state_is_beyond(cut_app):
    append(10)
    checkpoint()
    append(9)
    scan_for_alerts()
    db.session.commit()
    assert db.session.get(AlertScanState, 1).last_seq == 20
    cut_after(15)
    lower_counter_to(15)
    assert kinds() == {ProblemKind.BELOW_EVIDENCE}
    report = verify_chain()
    assert report.first_problem.seq == 16
    assert "alert scan state reached seq 20" in report.first_problem.detail


def test_tail_cut_after_the_last_checkpoint_while_the_head_counter_is_beyond(cut_app):
    append(10)
    checkpoint()
    append(9)
    assert verify_chain().ok
    cut_after(15)
    assert kinds() == {ProblemKind.BELOW_EVIDENCE}
    # The app goes on appending: the counter stays where it was, so the cut still shows.
    append(1)
    assert kinds() == {ProblemKind.BELOW_EVIDENCE}


def test_the_newest_event_replaced_shows_at_the_head_counter(cut_app):
    append(20)
    cut_after(19)
    append(1)  # a new event 20, with another MAC than the one the counter holds
    assert kinds() == {ProblemKind.HEAD_MISMATCH}


def test_tail_cut_behind_a_checkpoint(cut_app):
    append(10)
    checkpoint()
    append(5)
    cut_after(5)
    lower_counter_to(5)
    assert ProblemKind.TAIL_CUT in kinds()


@pytest.fixture
def queued(cut_app) -> Iterator[list]:
    """The checkpoint tasks the commits of the app would send to the queue."""
    sent: list = []
    cut_app.config["CASEMGR_AUDIT_AUTO_CHECKPOINT"] = True
    autocheckpoint.init_app(cut_app, trigger=lambda: sent.append(1))
    yield sent
    autocheckpoint.init_app(cut_app, trigger=tasks.send_checkpoint)


def test_an_append_after_a_cut_queues_a_checkpoint_which_raises_an_alert(cut_app, queued):
    assert checkpoint_after_tail_check(now=T0).path is not None
    db.session.commit()
    append(8)
    cut_after(5)
    assert queued == []
    append(1)  # the counter disagrees with the table's head: a checkpoint is queued at once
    assert queued == [1]
    run = checkpoint_after_tail_check(now=T0 + dt.timedelta(seconds=1))
    db.session.commit()
    assert run.path is None  # nothing signed over a cut log
    assert run.report.first_problem.kind == ProblemKind.BELOW_EVIDENCE
    alerts = db.session.scalars(select(AuditAlert)).all()
    assert [(a.kind, a.code) for a in alerts] == [(AlertKind.INTEGRITY, "below_evidence")]
    # The same failure found again at the next run is not recorded or alerted twice.
    again = checkpoint_after_tail_check(known_failure=failure_signature(run.report))
    db.session.commit()
    assert again.path is None
    assert db.session.scalar(select(func.count()).select_from(AuditAlert)) == 1


def test_a_tampered_tail_is_not_signed_and_raises_an_integrity_alert(cut_app):
    checkpoint()
    append(3)
    db.session.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(action="x.y"))
    db.session.commit()
    run = checkpoint_after_tail_check()
    db.session.commit()
    assert run.path is None and run.report.first_problem.kind == ProblemKind.BAD_MAC
    assert len(load_checkpoints(cut_app.config["CASEMGR_AUDIT_CHECKPOINT_DIR"])) == 1
    alert = db.session.scalar(select(AuditAlert))
    assert alert.kind == AlertKind.INTEGRITY and alert.code == "bad_mac"


def test_automatic_checkpoints_keep_the_undetectable_window_under_the_settings(cut_app, queued):
    """Half an hour of traffic: what a cut could take unnoticed stays under 20 events, and
    every event is under a signed checkpoint within 5 minutes of its append.

    The loop plays the worker: its scheduler ticks every minute and runs the checkpoint duty
    at the first tick of each period; a checkpoint task queued by a commit (the N-events
    trigger) runs at once. Events of a tick arrive during the minute before it (up to 60 s
    before the time they are labelled with here).
    """
    folder = cut_app.config["CASEMGR_AUDIT_CHECKPOINT_DIR"]
    duty = next(d for d in duties.DUTIES if d.name == "checkpoint")
    period = duties.period_minutes(duty)
    widest_events, widest_time = 0, dt.timedelta(0)
    burst = [0, 1, 0, 3, 0, 0, 7, 2, 0, 0, 13, 0, 1, 0, 0, 0, 5, 0, 0, 2]
    checkpoint_after_tail_check(now=T0)  # at the worker's start
    db.session.commit()
    last_slot = duties.slot_of(T0, period)
    appended_at: dict[int, dt.datetime] = {}
    for tick in range(30):
        now = T0 + dt.timedelta(seconds=60 * (tick + 1))
        for _ in range(burst[tick % len(burst)] * 2):
            appended_at[append(1)] = now
            while queued:
                queued.pop()
                checkpoint_after_tail_check(now=now)
                db.session.commit()
        if duties.slot_of(now, period) != last_slot:
            last_slot = duties.slot_of(now, period)
            checkpoint_after_tail_check(now=now)
            db.session.commit()
        head = db.session.scalar(select(func.max(AuditEvent.seq)))
        newest = max(c.seq for c in load_checkpoints(folder))
        uncovered = [appended_at[s] for s in range(newest + 1, head + 1) if s in appended_at]
        if uncovered:  # events beyond the checkpoint (and its own event)
            widest_events = max(widest_events, len(uncovered))
            oldest = min(uncovered) - dt.timedelta(seconds=60)
            widest_time = max(widest_time, now + dt.timedelta(seconds=60) - oldest)
    assert 0 < widest_events < 20
    assert widest_time <= dt.timedelta(minutes=5)
    assert verify_chain().ok
    # And a cut reaching behind the newest checkpoint is caught.
    cut_after(max(c.seq for c in load_checkpoints(folder)) - 1)
    lower_counter_to(db.session.scalar(select(func.max(AuditEvent.seq))))
    db.session.execute(delete(AlertScanState))
    db.session.commit()
    assert ProblemKind.TAIL_CUT in kinds()


@pytest.mark.parametrize("change", ["backwards", "delete", "truncate"])
def test_the_head_counter_only_moves_forward_on_postgresql(app, db, change):
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("the trigger of migration 0017 is PostgreSQL's")
    record("case.view", actor=None, object_type="case", object_id=1)
    statement = {
        "backwards": update(AuditHead).values(seq=AuditHead.seq - 1),
        "delete": delete(AuditHead),
        "truncate": text("TRUNCATE audit_head"),
    }[change]
    refused = pytest.raises(DBAPIError, match="audit head only moves forward")
    with refused, db.session.begin_nested():
        db.session.execute(statement)


def test_all_rows_deleted_after_an_archive_fails_on_the_anchor_alone(cut_app):
    """Archived up to seq 3 (a signed anchor), then everything deleted, the counter too."""
    append(5)
    mac = db.session.scalar(select(AuditEvent.mac).where(AuditEvent.seq == 3))
    anchor = AuditAnchor(
        seq=3,
        mac=mac,
        first_seq=1,
        archive_name="audit-archive-1-3.jsonl.gz",
        archive_sha256="0" * 64,
        archived_at=T0,
        key_id=signer().key_id,
    )
    anchor.signature = signer().sign(ANCHOR_DOMAIN, anchor_body(anchor))
    db.session.add(anchor)
    db.session.execute(delete(AuditEvent).where(AuditEvent.seq <= 3))
    db.session.commit()
    assert verify_chain().ok
    db.session.execute(delete(AuditEvent))
    db.session.execute(delete(AuditHead))
    db.session.commit()
    assert kinds() == {ProblemKind.EMPTY_LOG}


def test_an_idle_log_is_verified_but_not_signed_again(cut_app):
    append(3)
    first = checkpoint_after_tail_check()
    db.session.commit()
    again = checkpoint_after_tail_check()  # only the first checkpoint's own event since
    db.session.commit()
    assert again.report.ok and again.path == first.path
    assert len(load_checkpoints(cut_app.config["CASEMGR_AUDIT_CHECKPOINT_DIR"])) == 1
    append(1)
    assert checkpoint_after_tail_check().path != first.path
