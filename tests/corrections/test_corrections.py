"""Corrections keep the history: each kind is corrected and voided, and read back."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from casemgr.audit.models import AuditEvent
from casemgr.cases import queries as case_queries
from casemgr.cases.models import CaseEvent, CaseEventKind
from casemgr.clock import today
from casemgr.corrections import services
from casemgr.corrections.registry import KINDS
from casemgr.extensions import db
from casemgr.people import identity
from casemgr.people.registration import consents_of, relatives_of
from casemgr.people.relations import ConsentGiver, ConsentScope
from casemgr.rules.models import Deadline
from casemgr.support import queries as support_queries
from tests.corrections.conftest import CANARY

D = dt.date
# One change per kind, in the vocabulary of the original form.
CHANGES = {
    "relative": {"name": "Nguyễn Văn Bình", "relationship_kind": "grandparent"},
    "consent": {"given_on": today() - dt.timedelta(days=12)},
    "drug_test": {"result": "positive"},
    "service": {"quantity": 2, "note": "Hỗ trợ sửa lại"},
    "note": {"body": "Thăm gia đình (sửa).", "kind": "meeting"},
    "plan_action": {"goal": "An toàn tại nhà", "due_on": today() + dt.timedelta(days=9)},
}


def _access(records, kind, user=None):
    work = records.work
    user = user or work.worker
    if not KINDS[kind].on_case:
        return None
    case = records.drugs_case if kind == "drug_test" else work.case
    return work.access(user, case)


def _events(records, kind, event_kind):
    case_id = records.drugs_case.id if kind == "drug_test" else records.work.case.id
    return [
        e
        for e in db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id))
        if e.kind == event_kind and e.record_kind == kind
    ]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_correct_keeps_the_old_version(records, kind):
    old = records.of(kind)
    before = {name: getattr(old, name) for name in KINDS[kind].fields}
    reason = f"Nhập nhầm {CANARY}"
    new = services.correct(records.work.worker, old, CHANGES[kind], reason,
                           access=_access(records, kind))  # fmt: skip
    db.session.expire_all()
    old, new = db.session.get(type(old), old.id), db.session.get(type(new), new.id)
    assert new.id != old.id and new.replaces_id == old.id and old.superseded_by_id == new.id
    assert new.is_current and not old.is_current and not old.is_voided
    for name, value in CHANGES[kind].items():
        assert getattr(new, name) == value
        assert getattr(old, name) == before[name]  # the earlier version is untouched
    assert new.correction_reason == reason  # sealed, and decrypts
    assert new.corrected_by_id == records.work.worker.id
    assert [v.id for v in services.versions(old)] == [new.id, old.id]
    (event,) = _events(records, kind, CaseEventKind.CORRECTED)
    assert event.reason == reason and set(event.fields()) == set(CHANGES[kind])
    (audited,) = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "record.correct", AuditEvent.object_type == kind
        )
    )
    assert audited.fields == ",".join(sorted(CHANGES[kind]))
    # The sealed reason is ciphertext: the canary is in no raw column.
    column = f"SELECT correction_reason_enc FROM {old.__tablename__} WHERE id = :id"
    raw = db.session.execute(text(column), {"id": new.id}).scalar_one()
    assert CANARY.encode() not in bytes(raw)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_void_marks_and_keeps(records, kind):
    record = records.of(kind)
    if kind == "relative":
        record = records.relative  # the guardian gave a consent: see the test below
    reason = f"Ghi trùng {CANARY}"
    services.void(records.work.worker, record, reason, access=_access(records, kind))
    db.session.expire_all()
    record = db.session.get(type(record), record.id)
    assert record.is_voided and not record.is_current
    assert record.voided_by_id == records.work.worker.id and record.void_reason == reason
    (event,) = _events(records, kind, CaseEventKind.VOIDED)
    assert event.reason == reason
    for entry in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "record.void")):
        assert CANARY not in (entry.reason or "") and CANARY not in (entry.fields or "")
    with pytest.raises(services.CorrectionError, match="not current"):
        services.void(records.work.worker, record, "lần nữa", access=_access(records, kind))


def test_voided_and_superseded_rows_leave_lists_counts_and_checks(records):
    work = records.work
    person, case, worker = work.case.person, work.case, work.worker
    access = work.access(worker)
    age = person.age_in(today().year)

    def missing():
        return identity.missing_consents(consents_of(person), ConsentScope.CASE_WORK, age, today())

    assert ConsentGiver.GUARDIAN not in missing()
    services.void(worker, records.consent, "Sai người ký")
    assert ConsentGiver.GUARDIAN in missing()
    assert len(consents_of(person, with_voided=True)) == 1
    services.void(worker, records.relative, "Không phải người thân")
    assert [r.id for r in relatives_of(person)] == [records.guardian.id]
    # Services: the voided delivery is listed (struck) but offered to no count.
    services.void(worker, records.service, "Ghi nhầm", access=access)
    assert [d.id for d in support_queries.deliveries(case.id)] == [records.service.id]
    # Plan actions: the stored deadline follows the correction, and goes with the void.
    action = records.plan_action

    def stored():
        return db.session.scalars(
            select(Deadline.object_id).where(
                Deadline.case_id == case.id, Deadline.kind == "case.plan_action"
            )
        ).all()

    db.session.flush()
    assert stored() == [action.id]
    new = services.correct(worker, action, {"due_on": today() + dt.timedelta(days=3)}, "Đổi hạn",
                           access=access)  # fmt: skip
    db.session.flush()
    assert stored() == [new.id]
    services.void(worker, new, "Không cần nữa", access=work.access(worker))
    db.session.flush()
    assert stored() == []
    entries = case_queries.timeline(case)
    assert case_queries.plan_actions(case, entries) == []
    # The timeline keeps the voided action (shown struck), never the superseded version.
    shown = [e.item.id for e in entries if e.kind == "plan_action"]
    assert shown == [new.id]


def test_voided_drug_test_leaves_the_programme(records):
    test = records.drug_test
    programme = test.programme
    services.void(records.work.worker, test, "Nhập nhầm", access=_access(records, "drug_test"))
    db.session.expire_all()
    assert db.session.get(type(programme), programme.id).tests == []
    assert [t.id for t in db.session.get(type(programme), programme.id).recorded_tests] == [test.id]


def test_a_guardian_who_gave_a_consent_cannot_be_voided(records):
    with pytest.raises(services.CorrectionError, match="relative gave a consent"):
        services.void(records.work.worker, records.guardian, "Sai")


def test_reason_is_required_and_nothing_changed_is_refused(records):
    worker = records.work.worker
    with pytest.raises(services.CorrectionError, match="reason required"):
        services.void(worker, records.relative, "   ")
    with pytest.raises(services.CorrectionError, match="nothing changed"):
        services.correct(worker, records.relative, {"name": records.relative.name}, "Lý do")
    with pytest.raises(services.CorrectionError, match="not a correctable field"):
        services.correct(worker, records.relative, {"person_id": 1}, "Lý do")


@pytest.mark.parametrize("who", ["auditor", "admin", "outsider"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_refused_for_those_who_may_not(records, kind, who):
    user = getattr(records.work, who)
    record = records.of(kind)
    with pytest.raises(services.CorrectionError, match="not allowed"):
        services.void(user, record, "Lý do", access=_access(records, kind, user))
    assert record.is_current


def test_supervisor_and_co_worker_may(records):
    work = records.work
    services.void(work.supervisor, records.note, "Ghi trùng", access=work.access(work.supervisor))
    assert records.note.voided_by_id == work.supervisor.id
