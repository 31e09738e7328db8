"""Transfers between units: consent gate and override, what the receiver may see, acceptance
moving access and keeping history, declines, stale versions, one open request per case."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from casemgr.audit.models import AuditEvent
from casemgr.cases import transfers
from casemgr.cases.models import Case, CaseTransfer, TransferStatus
from casemgr.cases.services import CaseError, StaleCase, set_co_worker
from casemgr.people.registration import add_relative, record_consent

REASON = "Gia đình chuyển về xã khác, cần cán bộ ở đó theo dõi."
OVERRIDE = "Trẻ đang gặp nguy hiểm, không thể chờ người giám hộ ký đồng ý chuyển."
DAY = dt.date(2026, 11, 20)


def _consent(casework) -> None:
    """Transfer consent of the child (11) and a guardian: both are needed from age 7."""
    person = casework.case.person
    mother = add_relative(
        casework.worker, person, relationship_kind="mother", is_guardian=True,
        name="Trần Thị Hoa", phone=None,
    )  # fmt: skip
    for given_by, relative in (("subject", None), ("guardian", mother)):
        record_consent(
            casework.worker, person, scope="transfer", given_by=given_by,
            given_on=dt.date(2026, 1, 5), relative=relative,
        )  # fmt: skip


def _sign_in(client, user) -> None:
    """Sign in as `user` in a fresh browser session."""
    client._cookies.clear()
    assert client.login(user).status_code == 302


def _request(client, casework, **data):
    return client.post_form(
        f"/cases/{casework.case.id}/transfer",
        {"to_unit_id": casework.other_commune.id, "reason": REASON, **data},
    )


def _fresh(db, obj):
    """The object as the session holds it now (requests closed the one the test had)."""
    return db.session.get(type(obj), obj.id)


def _events(db, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_accepted_transfer_moves_access_and_keeps_history(client, casework, db):
    _consent(casework)
    access = casework.access(casework.worker)
    set_co_worker(casework.worker, casework.case, access, casework.colleague, on=True)
    db.session.commit()
    case_id = casework.case.id
    _sign_in(client, casework.worker)
    assert client.get(f"/cases/{case_id}/transfer").status_code == 200
    response = _request(client, casework)
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    transfer = db.session.scalar(select(CaseTransfer).where(CaseTransfer.case_id == case_id))
    assert transfer.status == TransferStatus.REQUESTED and not transfer.consent_overridden
    # Until accepted, nothing moves: the receiving unit's worker and supervisor cannot open it.
    _sign_in(client, casework.other_supervisor)
    assert client.get(f"/cases/{case_id}").status_code == 404
    version = db.session.get(Case, case_id).version
    response = client.post_form(
        f"/cases/{case_id}/transfer/accept",
        {"owner_id": casework.outsider.id, "version": version},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    assert client.get(f"/cases/{case_id}").status_code == 200  # now in their unit

    db.session.expire_all()
    case = db.session.get(Case, case_id)
    assert (case.unit_id, case.owner_id) == (casework.other_commune.id, casework.outsider.id)
    assert case.co_workers == []
    transfer = db.session.get(CaseTransfer, transfer.id)
    assert transfer.status == TransferStatus.ACCEPTED
    assert (transfer.from_unit_id, transfer.from_owner_id) == (
        casework.commune.id,
        casework.worker.id,
    )
    assert (transfer.to_unit_id, transfer.to_owner_id) == (
        casework.other_commune.id,
        casework.outsider.id,
    )
    assert transfer.decided_by_id == casework.other_supervisor.id
    # Access moved: the old owner, the old co-worker and the old unit's supervisor get 404.
    for user in (casework.worker, casework.colleague, casework.supervisor):
        _sign_in(client, user)
        assert client.get(f"/cases/{case_id}").status_code == 404, user
    _sign_in(client, casework.outsider)
    page = client.get(f"/cases/{case_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # The case page shows both sides of the move and the reason, now to the new unit.
    assert casework.commune.name in html and casework.other_commune.name in html
    assert casework.worker.display_name in html and REASON in html
    assert [e.outcome for e in _events(db, "case.transfer_accept")] == ["allowed"]


def test_receiving_supervisor_sees_no_content_before_accepting(client, casework, db):
    _consent(casework)
    transfers.request_transfer(
        casework.worker, casework.case, casework.access(casework.worker),
        to_unit=casework.other_commune, reason=REASON, today=DAY,
    )  # fmt: skip
    db.session.commit()
    case = casework.case
    secrets = [case.person.given_name, case.person.surname, case.summary, REASON]
    shown = [case.number, casework.commune.name, "Trẻ em có hoàn cảnh đặc biệt"]  # the group
    _sign_in(client, casework.other_supervisor)
    for url in ("/cases/transfers/incoming", f"/cases/{case.id}/transfer/decision"):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        for fact in shown:
            assert fact in html, (url, fact)
        for secret in secrets:
            assert secret not in html, (url, secret)
    for url in (f"/cases/{case.id}", f"/cases/{case.id}/summary", f"/cases/{case.id}/forms/01"):
        assert client.get(url).status_code == 404, url
    # The queue read and the decision page are audited, the refusals too.
    assert _events(db, "case.transfer_queue")
    assert [e.outcome for e in _events(db, "case.transfer_view")] == ["allowed"]


def test_transfer_refused_without_consent_and_audited(client, casework, db):
    _sign_in(client, casework.worker)
    response = _request(client, casework, override_reason=OVERRIDE)  # a worker may not override
    assert response.status_code == 409
    assert "consent" in response.get_data(as_text=True)
    assert db.session.scalar(select(CaseTransfer)) is None
    (event,) = _events(db, "case.transfer_request")
    assert (event.outcome, event.reason) == ("denied", "consent missing")
    assert event.case_id == casework.case.id


def test_one_missing_consent_is_enough_to_refuse(casework, db):
    person = casework.case.person
    record_consent(casework.worker, person, scope="transfer", given_by="subject", given_on=DAY)
    with pytest.raises(CaseError, match="consent missing"):
        transfers.request_transfer(
            casework.worker, casework.case, casework.access(casework.worker),
            to_unit=casework.other_commune, reason=REASON, today=DAY,
        )  # fmt: skip


def test_supervisor_overrides_missing_consent_with_a_reason(client, casework, db):
    _sign_in(client, casework.supervisor)
    assert "consent-missing" in client.get(f"/cases/{casework.case.id}/transfer").get_data(
        as_text=True
    )
    assert _request(client, casework, override_reason="Khẩn cấp.").status_code == 409  # too short
    response = _request(client, casework, override_reason=OVERRIDE)
    assert response.status_code == 302
    transfer = db.session.scalar(select(CaseTransfer))
    assert transfer.consent_overridden and transfer.override_reason == OVERRIDE
    assert transfer.requested_by_id == casework.supervisor.id
    (event,) = [e for e in _events(db, "case.transfer_request") if e.outcome == "allowed"]
    assert event.reason == "consent override"
    assert event.fields == "override_reason,reason"
    # Sealed at rest: neither text is stored in the clear, nor in the audit trail.
    raw = db.session.execute(
        text("SELECT reason_enc, override_reason_enc FROM case_transfers")
    ).one()
    for blob, plain in zip(raw, (REASON, OVERRIDE), strict=True):
        assert plain.encode() not in bytes(blob)
    trail = " ".join(str(e.reason) + str(e.fields) for e in db.session.scalars(select(AuditEvent)))
    assert OVERRIDE not in trail and REASON not in trail
    # An overridden request is accepted even though consent is still missing.
    case = transfers.accept_transfer(
        _fresh(db, casework.other_supervisor), transfer, new_owner=_fresh(db, casework.outsider),
        expected_version=_fresh(db, casework.case).version, today=DAY,
    )  # fmt: skip
    assert case.unit_id == casework.other_commune.id


def test_decline_keeps_the_case_where_it_was(client, casework, db):
    _consent(casework)
    transfers.request_transfer(
        casework.worker, casework.case, casework.access(casework.worker),
        to_unit=casework.other_commune, reason=REASON, today=DAY,
    )  # fmt: skip
    db.session.commit()
    _sign_in(client, casework.other_supervisor)
    url = f"/cases/{casework.case.id}/transfer/decline"
    assert client.post_form(url, {"reason": ""}).status_code == 400
    assert client.post_form(url, {"reason": "Không đủ cán bộ tiếp nhận."}).status_code == 302
    transfer = db.session.scalar(select(CaseTransfer))
    assert transfer.status == TransferStatus.DECLINED
    assert transfer.decline_reason == "Không đủ cán bộ tiếp nhận."
    assert client.get(f"/cases/{casework.case.id}/transfer/decision").status_code == 404
    _sign_in(client, casework.worker)
    assert client.get(f"/cases/{casework.case.id}").status_code == 200
    assert db.session.get(Case, casework.case.id).unit_id == casework.commune.id
    assert _request(client, casework).status_code == 302  # a new request may follow


def test_withdrawn_request_cannot_be_accepted(client, casework, db):
    _consent(casework)
    transfers.request_transfer(
        casework.worker, casework.case, casework.access(casework.worker),
        to_unit=casework.other_commune, reason=REASON, today=DAY,
    )  # fmt: skip
    db.session.commit()
    _sign_in(client, casework.worker)
    assert client.post_form(f"/cases/{casework.case.id}/transfer/cancel").status_code == 302
    assert db.session.scalar(select(CaseTransfer)).status == TransferStatus.CANCELLED
    _sign_in(client, casework.other_supervisor)
    response = client.post_form(
        f"/cases/{casework.case.id}/transfer/accept",
        {"owner_id": casework.outsider.id, "version": casework.case.version},
    )
    assert response.status_code == 404


def test_only_supervisors_of_the_receiving_unit_decide(client, casework, db, make):
    _consent(casework)
    transfer = transfers.request_transfer(
        casework.worker, casework.case, casework.access(casework.worker),
        to_unit=casework.other_commune, reason=REASON, today=DAY,
    )  # fmt: skip
    third = make.unit(casework.province)
    stranger = make.user(role=casework.supervisor.roles[0].role, unit=third)
    db.session.commit()
    url = f"/cases/{casework.case.id}/transfer/decision"
    for user, status in (
        (casework.supervisor, 404),  # the sending unit's supervisor
        (stranger, 404),  # a supervisor of a third unit
        (casework.outsider, 403),  # a worker of the receiving unit
        (casework.lead, 200),  # the province's lead supervises the receiving unit too
    ):
        _sign_in(client, user)
        assert client.get(url).status_code == status, user
    transfer = _fresh(db, transfer)
    with pytest.raises(CaseError, match="not allowed"):
        transfers.decline_transfer(_fresh(db, casework.supervisor), transfer, reason="Không.")
    # The new owner must be a social worker of the receiving unit.
    with pytest.raises(CaseError, match="not a worker"):
        transfers.accept_transfer(
            _fresh(db, casework.other_supervisor), transfer,
            new_owner=_fresh(db, casework.colleague),
            expected_version=_fresh(db, casework.case).version, today=DAY,
        )  # fmt: skip


def test_accept_on_a_stale_version_is_refused(client, casework, db):
    _consent(casework)
    transfer = transfers.request_transfer(
        casework.worker, casework.case, casework.access(casework.worker),
        to_unit=casework.other_commune, reason=REASON, today=DAY,
    )  # fmt: skip
    db.session.commit()
    seen = casework.case.version
    _sign_in(client, casework.worker)  # the sender edits the case meanwhile
    client.post_form(
        f"/cases/{casework.case.id}/edit",
        {"version": seen, "risk_level": "medium", "protection_level": "support", "summary": "x"},
    )
    assert _fresh(db, casework.case).version > seen
    with pytest.raises(StaleCase):
        transfers.accept_transfer(
            _fresh(db, casework.other_supervisor), _fresh(db, transfer),
            new_owner=_fresh(db, casework.outsider), expected_version=seen, today=DAY,
        )  # fmt: skip
    _sign_in(client, casework.other_supervisor)
    response = client.post_form(
        f"/cases/{casework.case.id}/transfer/accept",
        {"owner_id": casework.outsider.id, "version": seen},
    )
    assert response.status_code == 409
    assert db.session.get(Case, casework.case.id).unit_id == casework.commune.id


def test_one_open_request_per_case(casework, db):
    _consent(casework)
    access = casework.access(casework.worker)
    transfers.request_transfer(
        casework.worker, casework.case, access, to_unit=casework.other_commune,
        reason=REASON, today=DAY,
    )  # fmt: skip
    with pytest.raises(CaseError, match="transfer pending"):
        transfers.request_transfer(
            casework.worker, casework.case, access, to_unit=casework.other_commune,
            reason=REASON, today=DAY,
        )  # fmt: skip
    transfers.cancel_transfer(casework.worker, casework.case, access)
    with pytest.raises(CaseError, match="unit not open"):  # its own unit
        transfers.request_transfer(
            casework.worker, casework.case, access, to_unit=casework.commune,
            reason=REASON, today=DAY,
        )  # fmt: skip
    # The database refuses a second open request even if a service forgot to check.
    extra = dict(case_id=casework.case.id, person_id=casework.case.person_id,
                 from_unit_id=casework.commune.id, to_unit_id=casework.other_commune.id,
                 from_owner_id=casework.worker.id, requested_by_id=casework.worker.id)  # fmt: skip
    db.session.add(CaseTransfer(**extra))
    db.session.flush()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(CaseTransfer(**extra))
        db.session.flush()


def test_other_units_get_404_on_the_transfer_pages(client, casework, db):
    db.session.commit()
    _sign_in(client, casework.outsider)
    case_id = casework.case.id
    assert client.get(f"/cases/{case_id}/transfer").status_code == 404
    assert _request(client, casework).status_code == 404
    assert client.post_form(f"/cases/{case_id}/transfer/cancel").status_code == 404
    assert db.session.scalar(select(CaseTransfer)) is None


def test_after_a_transfer_the_old_unit_no_longer_sees_the_person(client, casework, db):
    """A survivor who moves for safety: once the case is accepted elsewhere, the registering
    unit (its workers, the worker who registered, its supervisor) no longer sees the person,
    their new address included; the receiving unit and the province do."""
    _consent(casework)
    case_id, person_id = casework.case.id, casework.case.person_id
    person = casework.case.person  # registered in the commune, as the registration form does
    person.registered_unit_id, person.registered_by_id = casework.commune.id, casework.worker.id
    db.session.commit()
    _sign_in(client, casework.colleague)
    assert client.get(f"/people/{person_id}").status_code == 200  # registered by the unit
    _sign_in(client, casework.worker)
    assert _request(client, casework).status_code == 302
    # Until the move is accepted, the registering unit still sees the person.
    _sign_in(client, casework.colleague)
    assert client.get(f"/people/{person_id}").status_code == 200
    _sign_in(client, casework.other_supervisor)
    version = db.session.get(Case, case_id).version
    accepted = client.post_form(
        f"/cases/{case_id}/transfer/accept", {"owner_id": casework.outsider.id, "version": version}
    )
    assert accepted.status_code == 302
    for user in (casework.worker, casework.colleague, casework.supervisor):
        _sign_in(client, user)
        assert client.get(f"/people/{person_id}").status_code == 404, user
        listed = client.get("/people/").get_data(as_text=True)
        assert f'/people/{person_id}"' not in listed, user
        found = client.post_form("/people/search", {"q": "Nguyễn Thị Lan"})
        assert f'/people/{person_id}"' not in found.get_data(as_text=True), user
    for user in (casework.outsider, casework.other_supervisor, casework.lead):
        _sign_in(client, user)
        assert client.get(f"/people/{person_id}").status_code == 200, user
