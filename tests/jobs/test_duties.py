"""Scheduled duties: once per period (the unique claim), each a system action in the audit
trail; the alert scan finds the volume and denial patterns with nobody pressing a button;
expired break-glass windows and sessions are ended; a failing verification raises an alert."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from casemgr.audit import record
from casemgr.audit.models import AlertKind, AuditAlert, AuditEvent
from casemgr.auth.models import UserSession
from casemgr.auth.roles import Role
from casemgr.cases.models import BreakGlassGrant, BreakGlassReason
from casemgr.clock import utcnow
from casemgr.jobs import duties, wording
from casemgr.jobs.models import DutyRun

ALL = {duty.name for duty in duties.DUTIES}


@pytest.fixture(autouse=True)
def own_checkpoints(app, monkeypatch, tmp_path):
    # A checkpoint signed over this test's events (rolled back after it) stays out of the
    # folder the other tests verify against.
    monkeypatch.setitem(app.config, "CASEMGR_AUDIT_CHECKPOINT_DIR", str(tmp_path))


def duty_events(db) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "duty.run").order_by(AuditEvent.seq)
        )
    )


def test_each_duty_runs_once_per_period_and_is_a_system_action(db):
    start = duties.slot_of(utcnow(), 24 * 60) + dt.timedelta(seconds=5)  # a local midnight
    assert set(duties.run_due(start)) == ALL
    assert duties.run_due(start + dt.timedelta(seconds=30)) == []  # the same periods
    events = duty_events(db)
    assert len(events) == len(ALL) and {e.actor_id for e in events} == {None}
    assert {e.channel for e in events} == {"system"} and {e.outcome for e in events} == {"allowed"}
    assert {e.object_id.split("@")[0] for e in events} == ALL
    # Five minutes on: the short duties run again, the daily ones do not.
    again = set(duties.run_due(start + dt.timedelta(minutes=5)))
    assert {"alert_scan", "checkpoint", "end_expired", "recover_jobs"} <= again
    assert not {"verify", "reminders"} & again
    runs = db.session.scalars(select(DutyRun)).all()
    assert all(r.outcome == "ok" and r.finished_at for r in runs)
    assert len(duty_events(db)) == len(runs)


def test_a_second_claim_of_the_same_period_is_refused(db):
    duty = duties.DUTIES[0]
    slot = duties.slot_of(utcnow(), 5)
    assert duties.claim(duty, slot, utcnow()) is not None
    assert duties.claim(duty, slot, utcnow()) is None


def test_periods_follow_local_midnight():
    # 17:00 UTC is midnight in Ha Noi: a daily period starts there.
    now = dt.datetime(2026, 12, 5, 18, 30, tzinfo=dt.UTC)
    assert duties.slot_of(now, 24 * 60) == dt.datetime(2026, 12, 5, 17, 0, tzinfo=dt.UTC)
    assert duties.slot_of(now, 5) == dt.datetime(2026, 12, 5, 18, 30, tzinfo=dt.UTC)


def test_the_alert_scan_finds_volume_and_denials_with_nobody_pressing_a_button(db, make):
    busy, refused = make.user(), make.user()
    for case_id in range(1, 33):  # 32 distinct cases in a few seconds: over 30 an hour
        record("case.view", actor=busy, object_type="case", object_id=case_id, case_id=case_id)
    for _ in range(6):  # 6 refusals at once: over 5 in 10 minutes
        record("case.view", actor=refused, object_type="case", outcome="denied")
    duties.run_due(duties.slot_of(utcnow(), 24 * 60) + dt.timedelta(seconds=5))
    found = {(a.kind, a.actor_id) for a in db.session.scalars(select(AuditAlert))}
    assert {(AlertKind.VOLUME, busy.id), (AlertKind.DENIALS, refused.id)} <= found


def test_expired_break_glass_windows_and_sessions_are_ended(db, make, casework):
    now = utcnow()
    grant = BreakGlassGrant(
        case_id=casework.case.id, person_id=casework.case.person_id,
        user_id=casework.outsider.id, reason_type=BreakGlassReason.EMERGENCY,
        started_at=now - dt.timedelta(hours=2), expires_at=now - dt.timedelta(hours=1),
    )  # fmt: skip
    live = BreakGlassGrant(
        case_id=casework.case.id, person_id=casework.case.person_id,
        user_id=casework.colleague.id, reason_type=BreakGlassReason.EMERGENCY,
        started_at=now, expires_at=now + dt.timedelta(hours=1),
    )  # fmt: skip
    user = make.user(Role.SOCIAL_WORKER)
    idle = UserSession(token_hash="a" * 64, user_id=user.id, created_at=now,
                       last_seen_at=now - dt.timedelta(hours=1))  # fmt: skip
    fresh = UserSession(token_hash="b" * 64, user_id=user.id, created_at=now, last_seen_at=now)
    db.session.add_all([grant, live, idle, fresh])
    db.session.flush()
    assert duties.end_expired(None) == {"grants": 1, "sessions": 1}
    assert grant.ended_at is not None and live.ended_at is None
    db.session.refresh(idle), db.session.refresh(fresh)
    assert idle.end_reason == "idle" and fresh.ended_at is None
    [ended] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "case.break_glass_end")
    ).all()
    assert (ended.case_id, ended.object_id, ended.is_break_glass) == (
        casework.case.id, str(grant.id), True,
    )  # fmt: skip
    assert duties.end_expired(None) == {"grants": 0, "sessions": 0}  # each ended once


def test_a_failing_verification_raises_an_integrity_alert(db, monkeypatch):
    from casemgr.audit.verify import Problem, ProblemKind, VerifyReport

    bad = VerifyReport()
    bad.add(Problem(7, ProblemKind.BAD_MAC))
    monkeypatch.setattr(duties, "verify_chain", lambda: bad)
    assert set(duties.verify(None)) == {"failed"}
    [alert] = db.session.scalars(select(AuditAlert).where(AuditAlert.kind == "integrity")).all()
    assert alert.code == "bad_mac"


def test_duty_outcomes_are_stored_as_counts_and_shown_in_words(client, db, make):
    start = duties.slot_of(utcnow(), 24 * 60) + dt.timedelta(seconds=5)
    duties.run_due(start)
    runs = {run.duty: run for run in db.session.scalars(select(DutyRun))}
    assert json.loads(runs["end_expired"].detail) == {"grants": 0, "sessions": 0}
    assert set(json.loads(runs["alert_scan"].detail)) == {"events", "alerts"}
    client.login(make.user(Role.ADMINISTRATOR))
    client.post_form("/auth/language", {"locale": "en"})
    page = client.get("/jobs/background").get_data(as_text=True)
    assert "0 emergency accesses ended, 0 sessions ended" in page
    assert "0 jobs sent back to the queue, 0 jobs ended as failed" in page
    assert "alerts raised" in page and ">daily<" in page and ">every 5 minutes<" in page
    assert "{" not in page.split('data-testid="duties"')[1].split("</table>")[0]
    assert " min<" not in page and "0 grants" not in page


def test_periods_read_as_words(app):
    with app.test_request_context(), force_locale("en"):
        assert [wording.period(m) for m in (1440, 60, 5, 1, 120, 2880, 14.5)] == [
            "daily", "hourly", "every 5 minutes", "every minute", "every 2 hours",
            "every 2 days", "every 14.5 minutes",
        ]  # fmt: skip
        assert wording.duty_outcome('{"head":303}') == "signed up to event 303"
        assert wording.duty_outcome("12 alerts") == "12 alerts"  # a run stored before


def test_the_analyze_duty_keeps_sqlite_planner_statistics(db):
    connection = db.session.connection()
    counts = duties.analyze(None)
    if connection.dialect.name != "sqlite":
        assert counts == {}  # PostgreSQL's autovacuum keeps them
        return
    analysed = {row[0] for row in connection.exec_driver_sql("SELECT tbl FROM sqlite_stat1")}
    assert {"ethnicities", "service_types"} <= analysed  # tables with rows (empty ones: none)
    assert counts == {"analysed": len(analysed)}
    with force_locale("en"):
        assert wording.duty_outcome(json.dumps(counts)) == f"{len(analysed)} tables analysed"
