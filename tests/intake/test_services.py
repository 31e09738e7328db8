"""Intake services: deadlines from the moment of intake, validation, decisions, status reads."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from casemgr.audit.models import AuditEvent
from casemgr.cases.models import ProtectionLevel, RiskLevel
from casemgr.clock import LOCAL_TZ, utcnow
from casemgr.intake import services
from casemgr.intake.models import IntakeReport, IntakeSource, IntakeStatus
from casemgr.intake.services import (
    IntakeDenied,
    IntakeError,
    IntakeInvalid,
    IntakeNotFound,
    dismiss_report,
    link_to_case,
    receive_report,
    report_status,
)
from casemgr.people.services import register_person
from casemgr.rules.models import Deadline
from tests.cases.conftest import open_child_case
from tests.intake.conftest import report_data


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LOCAL_TZ).astimezone(dt.UTC)


def test_deadlines_run_from_the_moment_of_intake(intake):
    # A Friday evening report: the 12 hours run through the night, whatever the day.
    received = local(2026, 3, 6, 20, 15)
    report = intake.receive(received_at=received)
    assert report.received_at == received
    assert report.emergency_due_at == local(2026, 3, 7, 8, 15)
    # 5 working days from Friday: Mon..Fri of the next week, to the end of that day.
    assert report.plan_due_at == local(2026, 3, 13, 23, 59, 59)
    assert report.status == IntakeStatus.RECEIVED
    assert report.number.startswith(f"TN-{intake.commune.code}-2026-")


def test_a_report_without_a_time_is_received_now(intake):
    before = utcnow()
    report = intake.receive()
    assert before <= report.received_at <= utcnow()
    assert report.emergency_due_at == report.received_at + dt.timedelta(hours=12)


def test_numbers_count_per_unit_and_year(intake):
    first, second = intake.receive(), intake.receive()
    assert int(second.number.rsplit("-", 1)[1]) == int(first.number.rsplit("-", 1)[1]) + 1


def test_the_sensitive_fields_read_back(intake, db):
    report = intake.receive()
    db.session.expire_all()
    again = db.session.get(IntakeReport, report.id)
    assert again.situation.endswith("-situation")
    assert again.reporter_contact.endswith("-reporter_contact")


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"situation": "  ", "location": None}, {"situation": "required", "location": "required"}),
        ({"situation": "x" * 5001}, {"situation": "too long"}),
        ({"reporter_consents": False}, {"reporter_name": "identity without consent",
                                        "reporter_contact": "identity without consent"}),
        ({"received_at": utcnow() + dt.timedelta(hours=1)}, {"received_at": "in the future"}),
        ({"received_at": dt.datetime(2026, 1, 1, 8, 0)}, {"received_at": "naive time"}),
        ({"received_at": local(2010, 1, 1, 8, 0)}, {"received_at": "no rule in force"}),
        ({"child_name": "a\x00b"}, {"child_name": "not text"}),
        ({"received_at": "2026-03-02T09:00"}, {"received_at": "not a time"}),
        ({"carers": 12}, {"carers": "not text"}),
    ],
)  # fmt: skip
def test_refused_input_names_its_fields_and_writes_nothing(intake, db, changes, errors):
    count = db.session.query(IntakeReport).count()
    with pytest.raises(IntakeInvalid) as refused:
        intake.receive(**changes)
    assert refused.value.errors == errors
    assert db.session.query(IntakeReport).count() == count
    messages = services.field_messages(refused.value)
    assert set(messages) == set(errors) and all(messages.values())


def test_only_commune_offices_open_today_take_reports(intake):
    with pytest.raises(IntakeInvalid) as refused:
        receive_report(report_data(), unit=intake.province, source=IntakeSource.PARTNER,
                       received_by=intake.lead)  # fmt: skip
    assert refused.value.errors == {"unit": "not a commune office"}


def test_a_worker_records_only_for_their_own_commune(intake):
    with pytest.raises(IntakeDenied):
        receive_report(report_data(), unit=intake.other_commune, source=IntakeSource.WALK_IN,
                       received_by=intake.worker)  # fmt: skip
    with pytest.raises(IntakeDenied):  # auditors never handle reports
        receive_report(report_data(), unit=intake.commune, source=IntakeSource.WALK_IN,
                       received_by=intake.auditor)  # fmt: skip
    # The provincial supervisor may, for any commune below.
    report = receive_report(report_data(), unit=intake.other_commune, source=IntakeSource.PHONE,
                            received_by=intake.lead)  # fmt: skip
    assert report.unit_id == intake.other_commune.id


def test_a_token_files_for_any_open_commune_and_reads_back_only_number_and_status(intake):
    report = receive_report(report_data(), unit=intake.other_commune,
                            source=IntakeSource.HOTLINE, received_by=intake.worker,
                            source_token_id=41, channel="api")  # fmt: skip
    assert report_status(report.number, source_token_id=41) == (
        report.number,
        IntakeStatus.RECEIVED,
    )
    assert report_status(report.number.lower(), source_token_id=41)[0] == report.number
    for number, token in ((report.number, 42), ("TN-NOPE-2026-0001", 41), ("", 41)):
        with pytest.raises(IntakeNotFound):
            report_status(number, source_token_id=token)


def test_status_for_a_user_follows_the_unit_scope(intake):
    report = intake.receive()
    assert report_status(report.number, actor=intake.colleague)[1] == IntakeStatus.RECEIVED
    assert report_status(report.number, actor=intake.lead)[1] == IntakeStatus.RECEIVED
    for user in (intake.outsider, intake.auditor, intake.admin):
        with pytest.raises(IntakeNotFound):
            report_status(report.number, actor=user)


def test_dismiss_needs_a_reason_and_keeps_it_sealed(intake, db):
    report = intake.receive()
    with pytest.raises(IntakeInvalid) as refused:
        dismiss_report(intake.colleague, report, expected_version=report.version, reason=" ngắn ")
    assert refused.value.errors == {"reason": "reason too short"}
    assert report.status == IntakeStatus.RECEIVED
    dismiss_report(intake.colleague, report, expected_version=report.version,
                   reason="Trùng với báo cáo trước, đã xử lý.")  # fmt: skip
    assert report.status == IntakeStatus.DISMISSED
    assert report.decided_by_id == intake.colleague.id
    assert report.dismissal_reason == "Trùng với báo cáo trước, đã xử lý."
    with pytest.raises(IntakeError, match="already decided"):
        dismiss_report(intake.colleague, report, expected_version=report.version,
                       reason="Một lần nữa cho chắc chắn.")  # fmt: skip


def test_a_stale_decision_is_refused(intake):
    report = intake.receive()
    with pytest.raises(IntakeError, match="stale"):
        dismiss_report(intake.worker, report, expected_version=report.version - 1,
                       reason="Không phải trẻ có nguy cơ.")  # fmt: skip
    assert report.status == IntakeStatus.RECEIVED


def test_another_commune_cannot_decide(intake):
    report = intake.receive()
    with pytest.raises(IntakeDenied):
        dismiss_report(intake.outsider, report, expected_version=report.version,
                       reason="Không phải trẻ có nguy cơ.")  # fmt: skip


def test_accept_into_a_new_case_opened_at_intake(intake, db):
    received = local(2026, 3, 2, 9, 0)  # a Monday
    report = intake.receive(received_at=received)
    person = register_person(intake.worker, sex="male", birth_year=2018, surname="Nguyễn",
                             given_name="Bé")  # fmt: skip
    case = services.accept_into_new_case(
        intake.worker, report, expected_version=report.version, person=person,
        group_code="child", sub_groups=[], protection_level=ProtectionLevel.INTERVENTION,
        risk_level=RiskLevel.HIGH, summary=report.situation,
    )  # fmt: skip
    assert report.status == IntakeStatus.ACCEPTED and report.case_id == case.id
    assert case.opened_at == received and case.unit_id == intake.commune.id
    # The case's own 12-hour clock runs from the report, not from the moment it was opened.
    due = db.session.scalar(
        select(Deadline.due_at).where(
            Deadline.case_id == case.id, Deadline.kind == "child.emergency_action"
        )
    )
    assert due == report.emergency_due_at == local(2026, 3, 2, 21, 0)


def test_link_to_an_existing_case(intake):
    case = open_child_case(intake.worker, intake.commune)
    report = intake.receive()
    link_to_case(intake.worker, report, expected_version=report.version, case=case)
    assert report.status == IntakeStatus.ACCEPTED and report.case_id == case.id


def test_audit_names_fields_never_values(intake, db):
    report = intake.receive()
    dismiss_report(intake.worker, report, expected_version=report.version,
                   reason="Không phải trẻ có nguy cơ ZqIntakeCanary.")  # fmt: skip
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "intake_report")
    ).all()
    assert {e.action for e in events} >= {"intake.receive", "intake.dismiss"}
    receive = next(e for e in events if e.action == "intake.receive")
    assert "situation" in receive.fields and "reporter_name" in receive.fields
    for event in events:
        assert "ZqIntakeCanary" not in repr(
            {c.name: getattr(event, c.name) for c in AuditEvent.__table__.columns}
        )


def test_a_day_off_or_a_new_rule_version_moves_the_deadlines_of_waiting_reports(intake, db):
    from casemgr.rules.models import DurationUnit
    from casemgr.rules.services import add_day_off, add_rule_version, remove_day_off

    received = local(2026, 3, 6, 20, 15)  # a Friday: the plan is due Friday 13 March
    waiting = intake.receive(received_at=received)
    decided = intake.receive(received_at=received)
    dismiss_report(intake.worker, decided, expected_version=decided.version,
                   reason="Trùng với tin báo trước.")  # fmt: skip
    entry = add_day_off(None, day=dt.date(2026, 3, 10), reason="Ngày nghỉ địa phương")
    db.session.expire_all()
    assert db.session.get(IntakeReport, waiting.id).plan_due_at == local(2026, 3, 16, 23, 59, 59)
    # A decided report keeps the deadlines it had: they are history.
    assert db.session.get(IntakeReport, decided.id).plan_due_at == local(2026, 3, 13, 23, 59, 59)
    remove_day_off(None, db.session.get(type(entry), entry.id), today=dt.date(2026, 3, 1))
    db.session.expire_all()
    assert db.session.get(IntakeReport, waiting.id).plan_due_at == local(2026, 3, 13, 23, 59, 59)
    add_rule_version(None, key="child.emergency_action", valid_from=dt.date(2026, 1, 1),
                     amount=6, unit=DurationUnit.HOURS, source="Test: a shorter clock")  # fmt: skip
    db.session.expire_all()
    assert db.session.get(IntakeReport, waiting.id).emergency_due_at == local(2026, 3, 7, 2, 15)


def test_a_clock_a_little_fast_counts_as_now(intake):
    before = utcnow()
    report = intake.receive(received_at=utcnow() + dt.timedelta(minutes=3))
    assert before <= report.received_at <= utcnow()


def test_an_unknown_channel_is_refused_under_source(intake):
    for source in ("fax", None, ["hotline"]):
        with pytest.raises(IntakeInvalid) as refused:
            receive_report(report_data(), unit=intake.commune, source=source,
                           received_by=intake.worker)  # fmt: skip
        assert refused.value.errors == {"source": "unknown source"}
