"""Reassignment: moves ownership all-or-nothing, refuses stale versions, owners from another
unit and cases outside the supervisor's units; audited with a reason code, the words sealed."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from casemgr.audit.models import AuditEvent
from casemgr.auth.roles import Role
from casemgr.cases.models import Case
from casemgr.cases.workflow import Status
from casemgr.supervision.models import CaseReassignment, ReassignReason
from casemgr.supervision.services import Choice, ReassignError, reassign_cases

SECRET = "Chị Hoa nghỉ sinh con từ tháng sau"  # marker: must never appear in clear


def open_cases(office, owner):
    return [c for c in office.cases if c.owner_id == owner.id and c.status != Status.CLOSED]


def events(db, action="case.reassign", after=0):
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action, AuditEvent.seq > after)
        )
    )


def last_seq(db) -> int:
    return db.session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))


def test_moves_ownership_and_is_audited(db, office):
    a, b, new = office.workers
    chosen = [open_cases(office, a)[0], open_cases(office, b)[0]]
    versions = {c.id: c.version for c in chosen}
    before = last_seq(db)
    moved = reassign_cases(
        office.supervisor,
        [Choice(c.id, c.version) for c in chosen],
        new.id,
        reason=ReassignReason.ABSENCE,
        reason_text=SECRET,
    )
    assert {c.id for c in moved} == set(versions)
    for case in chosen:
        fresh = db.session.get(Case, case.id)
        assert fresh.owner_id == new.id
        assert fresh.version == versions[case.id] + 1
    entries = list(
        db.session.scalars(select(CaseReassignment).where(CaseReassignment.case_id.in_(versions)))
    )
    assert {(e.from_owner_id, e.to_owner_id) for e in entries} == {(a.id, new.id), (b.id, new.id)}
    assert all(e.reason_text == SECRET and e.actor_id == office.supervisor.id for e in entries)
    raw = db.session.execute(text("SELECT reason_text_enc FROM case_reassignments")).scalars()
    assert all(SECRET.encode() not in bytes(value) for value in raw)
    audited = events(db, after=before)
    assert {int(e.case_id) for e in audited} == set(versions)
    assert {(e.outcome, e.reason) for e in audited} == {("allowed", "absence")}
    assert not any(SECRET in repr(vars(e)) for e in events(db, action="case.reassign"))


def check_refused(db, office, code, choices, owner_id, **kwargs):
    owners = {c.case_id: db.session.get(Case, c.case_id).owner_id for c in choices}
    before = last_seq(db)
    with pytest.raises(ReassignError) as refused:
        reassign_cases(
            kwargs.pop("actor", office.supervisor),
            choices,
            owner_id,
            reason=kwargs.pop("reason", ReassignReason.WORKLOAD),
            **kwargs,
        )
    assert str(refused.value) == code
    for case_id, owner in owners.items():  # nothing moved, not even the sound choices
        assert db.session.get(Case, case_id).owner_id == owner
    denied = [e for e in events(db, after=before) if e.outcome == "denied"]
    assert denied and all(e.reason == code for e in denied)
    return refused.value


def test_refuses_a_stale_version_and_moves_nothing(db, office):
    a, _, new = office.workers
    good, stale = open_cases(office, a)[:2]
    choices = [Choice(good.id, good.version), Choice(stale.id, stale.version - 1)]
    error = check_refused(db, office, "stale", choices, new.id)
    assert error.numbers == (stale.number,)


def test_refuses_a_worker_of_another_unit(db, office):
    case = open_cases(office, office.workers[0])[0]
    check_refused(
        db, office, "owner not in unit", [Choice(case.id, case.version)], office.other_worker.id
    )


def test_refuses_cases_outside_the_supervisors_units(db, office):
    theirs = open_cases(office, office.other_worker)[0]
    error = check_refused(
        db, office, "out of scope", [Choice(theirs.id, theirs.version)], office.workers[2].id
    )
    assert error.numbers == ()  # says nothing about a case the supervisor may not see


def test_refuses_closed_cases_other_without_words_and_social_workers(db, office, make):
    a, _, new = office.workers
    case = open_cases(office, a)[0]
    closed = next(
        c for c in office.cases if c.status == Status.CLOSED and c.unit_id == a.roles[0].unit_id
    )
    check_refused(db, office, "closed", [Choice(closed.id, closed.version)], new.id)
    check_refused(
        db, office, "explain other", [Choice(case.id, case.version)], new.id,
        reason=ReassignReason.OTHER, reason_text="  ",
    )  # fmt: skip
    check_refused(db, office, "not allowed", [Choice(case.id, case.version)], new.id, actor=a)
    check_refused(db, office, "same owner", [Choice(case.id, case.version)], a.id)
    supervisor_owner = make.user(Role.SUPERVISOR, office.commune)
    check_refused(
        db, office, "owner not in unit", [Choice(case.id, case.version)], supervisor_owner.id
    )


def test_refuses_more_cases_than_one_reassignment_takes(db, office, monkeypatch):
    import casemgr.supervision.services as services

    monkeypatch.setattr(services, "MAX_CHOSEN", 1)
    a, _, new = office.workers
    chosen = [Choice(c.id, c.version) for c in open_cases(office, a)[:2]]
    check_refused(db, office, "too many", chosen, new.id)


def test_through_the_page(client, db, office):
    a, _, new = office.workers
    client.login(office.supervisor)
    listed = client.get(f"/supervision/reassign?worker={a.id}").get_data(as_text=True)
    mine = open_cases(office, a)
    for case in mine:
        assert f'value="{case.id}:{case.version}"' in listed
    others = [c for c in office.cases if c.owner_id != a.id]
    assert not any(f'data-case="{c.id}"' in listed for c in others)

    first, second = mine[:2]
    url = f"/supervision/reassign?worker={a.id}"
    client.post_form("/auth/language", {"locale": "en"})
    none_ticked = client.post_form(url, {"owner_id": new.id, "reason": "workload"})
    assert "Tick at least one case to reassign." in none_ticked.get_data(as_text=True)
    assert "This field is required." not in none_ticked.get_data(as_text=True)
    stale = client.post_form(
        url,
        {"cases": [f"{first.id}:{first.version - 1}"], "owner_id": new.id, "reason": "workload"},
    )
    assert stale.status_code == 200
    assert first.number in stale.get_data(as_text=True)
    assert db.session.get(Case, first.id).owner_id == a.id

    done = client.post_form(
        url,
        {
            "cases": [f"{first.id}:{first.version}", f"{second.id}:{second.version}"],
            "owner_id": new.id,
            "reason": "staff_change",
        },
    )
    assert done.status_code == 302
    assert {db.session.get(Case, c.id).owner_id for c in (first, second)} == {new.id}
