"""Alerts from the trail: each kind raised when it should and only then, scans idempotent,
reviews with a comment, supervisors limited to their units' users."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from casemgr.audit import record
from casemgr.audit.alerts import AlertError, review_alert, scan_for_alerts
from casemgr.audit.models import AlertKind, AlertStatus, AuditAlert
from casemgr.audit.services import record_verification
from casemgr.audit.verify import Problem, ProblemKind, VerifyReport
from casemgr.auth.roles import Role

MONDAY = dt.datetime(2030, 3, 4, 9, 0)  # a working Monday morning in Ha Noi


@pytest.fixture(autouse=True)
def thresholds(app, monkeypatch):
    monkeypatch.setitem(app.config, "CASEMGR_AUDIT_ALERT_CASES_PER_HOUR", 5)
    monkeypatch.setitem(app.config, "CASEMGR_AUDIT_ALERT_DENIALS", 3)
    monkeypatch.setitem(app.config, "CASEMGR_AUDIT_ALERT_DENIAL_MINUTES", 10)
    monkeypatch.setitem(app.config, "CASEMGR_AUDIT_WORKING_HOURS", "07:00-18:00")
    monkeypatch.setitem(app.config, "CASEMGR_AUDIT_WORKING_DAYS", "0,1,2,3,4")


def open_cases(user, case_ids, clock, minutes_apart: float = 1) -> None:
    for case_id in case_ids:
        record("case.view", actor=user, object_type="case", object_id=case_id, case_id=case_id)
        clock.advance(minutes=minutes_apart)


def alerts_of(kind: AlertKind, db) -> list[AuditAlert]:
    return list(db.session.scalars(select(AuditAlert).where(AuditAlert.kind == kind)))


def test_volume_alert_when_more_than_n_distinct_cases_in_an_hour(db, make, clock):
    busy, calm, spread = (make.user() for _ in range(3))
    clock.at(MONDAY)
    open_cases(busy, [1, 2, 3, 3, 3, 4, 5, 6], clock)  # 6 distinct cases within 8 minutes
    open_cases(calm, [1, 2, 3, 4, 5, 5, 5], clock)  # 5 distinct: at the threshold, not over
    open_cases(spread, [1, 2, 3, 4, 5, 6], clock, minutes_apart=15)  # never 6 in one hour
    result = scan_for_alerts()
    [alert] = alerts_of(AlertKind.VOLUME, db)
    assert (alert.actor_id, alert.measure) == (busy.id, 6)
    assert result.raised == {AlertKind.VOLUME: 1}


def test_a_second_scan_raises_nothing_new(db, make, clock):
    user = make.user()
    clock.at(MONDAY.replace(hour=22))
    open_cases(user, range(1, 8), clock)
    first = scan_for_alerts()
    count = len(list(db.session.scalars(select(AuditAlert))))
    again = scan_for_alerts()
    rescan = scan_for_alerts(since=MONDAY.replace(tzinfo=dt.UTC) - dt.timedelta(days=1))
    assert first.total == count == 2  # volume and off-hours
    assert again.total == rescan.total == 0
    assert len(list(db.session.scalars(select(AuditAlert)))) == count


def test_a_volume_window_across_two_scans_is_still_seen(db, make, clock):
    user = make.user()
    clock.at(MONDAY)
    open_cases(user, [1, 2, 3], clock)
    assert scan_for_alerts().total == 0
    open_cases(user, [4, 5, 6], clock)
    scan_for_alerts()
    [alert] = alerts_of(AlertKind.VOLUME, db)
    assert alert.measure == 6


def test_off_hours_alert_per_user_and_day(db, make, clock):
    night, weekend, office = make.user(), make.user(), make.user()
    clock.at(MONDAY.replace(hour=22, minute=30))
    open_cases(night, [1, 2], clock)
    clock.at(MONDAY.replace(day=9, hour=10))  # Saturday
    open_cases(weekend, [3], clock)
    clock.at(MONDAY.replace(hour=17, minute=50))
    open_cases(office, [4], clock)
    scan_for_alerts()
    found = {a.actor_id: a for a in alerts_of(AlertKind.OFF_HOURS, db)}
    assert set(found) == {night.id, weekend.id}
    assert found[night.id].event_count == 2


def test_off_hours_count_grows_while_open(db, make, clock):
    user = make.user()
    clock.at(MONDAY.replace(hour=5))
    open_cases(user, [1], clock)
    scan_for_alerts()
    open_cases(user, [2, 3], clock)
    scan_for_alerts()
    [alert] = alerts_of(AlertKind.OFF_HOURS, db)
    assert alert.event_count == 3


def test_repeated_denials_by_user_and_by_address(db, make, clock):
    user, other = make.user(), make.user()
    clock.at(MONDAY)
    for _ in range(4):  # 4 refusals in 4 minutes: over 3
        record("case.view", actor=user, object_type="case", outcome="denied", reason="out of scope")
        clock.advance(minutes=1)
    for _ in range(4):  # 4 refusals, 20 minutes apart: never more than 1 in 10 minutes
        record("case.view", actor=other, object_type="case", outcome="denied")
        clock.advance(minutes=20)
    for _ in range(5):  # anonymous failed sign-ins: counted by address (None in a command)
        record("auth.login", actor=None, outcome="denied", reason="bad credentials")
    scan_for_alerts()
    found = alerts_of(AlertKind.DENIALS, db)
    assert sorted((a.actor_id, a.measure) for a in found if a.actor_id) == [(user.id, 4)]
    assert [a.measure for a in found if a.actor_id is None] == [5]


def test_integrity_alerts_from_decryption_failures_and_failed_verifications(db, make, clock):
    user = make.user()
    record(
        "crypto.integrity_failure",
        actor=user,
        object_type="person",
        object_id=7,
        outcome="error",
        reason="tag_mismatch",
    )
    report = VerifyReport(last_seq=10)
    report.add(Problem(9, ProblemKind.BAD_MAC))
    record_verification(report)
    record_verification(VerifyReport(last_seq=11))  # a verification that passed: no alert
    scan_for_alerts()
    codes = sorted(a.code for a in alerts_of(AlertKind.INTEGRITY, db))
    assert codes == ["bad_mac", "tag_mismatch"]


def test_break_glass_alert_then_follow_up_after_review(db, make, clock):
    user, reviewer = make.user(), make.user(Role.AUDITOR)
    clock.at(MONDAY)
    for _ in range(3):
        record("case.view", actor=user, object_type="case", object_id=9, case_id=9,
               is_break_glass=True)  # fmt: skip
    scan_for_alerts()
    [alert] = alerts_of(AlertKind.BREAK_GLASS, db)
    assert (alert.case_id, alert.event_count, alert.status) == (9, 3, AlertStatus.OPEN)
    review_alert(reviewer, alert, "Emergency placement confirmed with the supervisor.")
    scan_for_alerts()
    assert len(alerts_of(AlertKind.BREAK_GLASS, db)) == 1  # nothing new since the review
    record("case.update", actor=user, object_type="case", object_id=9, case_id=9,
           is_break_glass=True)  # fmt: skip
    scan_for_alerts()
    reviewed, follow_up = sorted(alerts_of(AlertKind.BREAK_GLASS, db), key=lambda a: a.id)
    assert reviewed.status == AlertStatus.REVIEWED and reviewed.event_count == 3
    assert follow_up.status == AlertStatus.OPEN and follow_up.event_count == 1


def test_review_needs_a_comment_and_someone_else(db, make, clock):
    auditor = make.user(Role.AUDITOR)
    clock.at(MONDAY.replace(hour=23))
    record("audit.search", actor=auditor, object_type="audit_event")
    scan_for_alerts()
    [alert] = alerts_of(AlertKind.OFF_HOURS, db)
    with pytest.raises(AlertError, match="comment required"):
        review_alert(make.user(Role.AUDITOR), alert, "   ")
    with pytest.raises(AlertError, match="own alert"):
        review_alert(auditor, alert, "It was me, all fine.")
    colleague = make.user(Role.AUDITOR)
    review_alert(colleague, alert, "Checked: on call that night.")
    assert (alert.status, alert.reviewed_by_id) == (AlertStatus.REVIEWED, colleague.id)
    with pytest.raises(AlertError, match="already reviewed"):
        review_alert(colleague, alert, "Again.")
