"""Erasure by crypto-shredding: requested by one user, confirmed by another; others unaffected."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from casemgr.audit.models import AuditEvent
from casemgr.auth.roles import Role
from casemgr.crypto import envelope
from casemgr.crypto.errors import PersonErased
from casemgr.crypto.fields import ERASED
from casemgr.crypto.models import BlindIndexEntry, DataKey
from casemgr.people import queries, services
from casemgr.people.models import ErasureReason, ErasureRequest, ErasureStatus, Person

PDF = b"%PDF-1.7\n" + b"synthetic document " * 10


def _person(name: str) -> Person:
    person = services.register_person(
        None,
        surname="Lý",
        middle_name="Thị",
        given_name=name,
        national_id="079185003456" if name == "Mai" else "079185009999",
        phone="0912345678" if name == "Mai" else "0987654321",
        street_address="12 Ngõ Huế",
        note="sensitive narrative",
    )
    services.add_attachment(
        None, person, filename="form.pdf", content_type="application/pdf", data=PDF
    )
    return person


def _reload(db, person: Person) -> Person:
    db.session.commit()
    envelope.forget()
    db.session.expire_all()
    return db.session.get(Person, person.id)


@pytest.fixture
def two_supervisors(make):
    unit = make.unit()
    return make.user(Role.SUPERVISOR, unit), make.user(Role.SUPERVISOR, unit)


def test_confirmed_erasure_shreds_one_person_only(db, two_supervisors):
    first, second = two_supervisors
    mai, lan = _person("Mai"), _person("Lan")
    request = services.request_erasure(first, mai, ErasureReason.SUBJECT_REQUEST)
    assert _reload(db, mai).given_name == "Mai"  # nothing happens before confirmation
    services.confirm_erasure(second, request)
    mai, lan = _reload(db, mai), _reload(db, lan)

    for name in Person.__encrypted_fields__:
        assert getattr(mai, name) is ERASED, name
        assert getattr(mai, f"{name}_enc") is None  # ciphertext removed as well
    attachment = db.session.scalars(
        sa.select(services.Attachment).filter_by(person_id=mai.id)
    ).one()
    assert attachment.content is ERASED and attachment.filename is ERASED
    assert mai.is_erased and mai.full_name().count(str(ERASED)) == 3

    key = db.session.scalar(sa.select(DataKey).where(DataKey.person_id == mai.id))
    assert key.wrapped_key is None and key.destroyed_at is not None
    assert not db.session.scalars(
        sa.select(BlindIndexEntry).where(BlindIndexEntry.row_id == mai.id)
    ).all()
    assert queries.find_persons_by(None, national_id="079185003456") == []
    assert queries.find_persons_by(None, name="Lý Thị") == [lan]

    assert (lan.given_name, lan.phone, lan.note) == ("Lan", "0987654321", "sensitive narrative")
    lan_attachment = db.session.scalars(
        sa.select(services.Attachment).filter_by(person_id=lan.id)
    ).one()
    assert lan_attachment.content == PDF

    events = {
        e.action: e
        for e in db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action.like("person.eras%"))
        )
    }
    assert events["person.erasure_requested"].actor_id == first.id
    assert events["person.erased"].actor_id == second.id
    assert events["person.erased"].object_id == str(mai.id)
    assert events["person.erased"].reason == "subject_request"
    stored = db.session.get(ErasureRequest, request.id)
    assert stored.status == ErasureStatus.CONFIRMED and stored.decided_by_id == second.id


def test_erased_person_cannot_be_written(db, two_supervisors):
    first, second = two_supervisors
    mai = _person("Mai")
    services.confirm_erasure(second, services.request_erasure(first, mai, "legal_order"))
    mai = _reload(db, mai)
    with pytest.raises(PersonErased):
        mai.note = "new"
    with pytest.raises(services.PersonError, match="person erased"):
        services.update_person(first, mai, note="new")
    with pytest.raises(services.PersonError, match="person erased"):
        services.add_attachment(
            first, mai, filename="x.pdf", content_type="application/pdf", data=PDF
        )
    with pytest.raises(services.ErasureError, match="already erased"):
        services.request_erasure(first, mai, "legal_order")


def test_four_eyes(db, two_supervisors):
    first, _ = two_supervisors
    request = services.request_erasure(first, _person("Mai"), "consent_withdrawn")
    with pytest.raises(services.ErasureError, match="requester cannot decide"):
        services.confirm_erasure(first, request)
    with pytest.raises(services.ErasureError, match="requester cannot decide"):
        services.cancel_erasure(first, request)
    assert request.status == ErasureStatus.PENDING
    # The database refuses it too, whatever path the change takes.
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(
            sa.update(ErasureRequest)
            .where(ErasureRequest.id == request.id)
            .values(decided_by_id=first.id)
        )


def test_permissions_and_states(db, make, two_supervisors):
    first, second = two_supervisors
    worker = make.user(Role.SOCIAL_WORKER)
    auditor = make.user(Role.AUDITOR)
    administrator = make.user(Role.ADMINISTRATOR)
    mai = _person("Mai")
    with pytest.raises(services.ErasureError, match="not allowed to request"):
        services.request_erasure(worker, mai, "subject_request")
    with pytest.raises(services.ErasureError, match="not allowed to request"):
        services.request_erasure(auditor, mai, "subject_request")
    request = services.request_erasure(first, mai, "subject_request")
    with pytest.raises(services.ErasureError, match="already requested"):
        services.request_erasure(second, mai, "subject_request")
    with pytest.raises(services.ErasureError, match="not allowed to decide"):
        services.confirm_erasure(worker, request)
    services.cancel_erasure(administrator, request)
    with pytest.raises(services.ErasureError, match="already decided"):
        services.confirm_erasure(second, request)
    assert _reload(db, mai).given_name == "Mai"
    # After a cancellation a new request may be made.
    services.request_erasure(second, mai, "subject_request")


def test_erasure_pages(client, db, two_supervisors):
    first, second = two_supervisors
    mai = _person("Mai")
    mai.registered_unit_id = first.roles[0].unit_id  # in the supervisors' scope
    db.session.commit()
    client.login(first)
    response = client.post_form(
        "/people/erasure-requests", {"person_id": mai.id, "reason": "subject_request"}
    )
    assert response.status_code == 302
    request = db.session.scalars(sa.select(ErasureRequest).filter_by(person_id=mai.id)).one()
    page = client.get("/people/erasure-requests")
    assert page.status_code == 200 and re.search(
        rf"<td[^>]*>{mai.id}</td>", page.get_data(as_text=True)
    )
    assert b"Mai" not in page.data  # no names on this page
    client.post_form("/people/erasure-requests/confirm", {"request_id": request.id})
    assert db.session.get(ErasureRequest, request.id).status == ErasureStatus.PENDING
    client.post_form("/auth/logout")

    client.login(second)
    response = client.post_form("/people/erasure-requests/confirm", {"request_id": request.id})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Person, mai.id).is_erased
    # Decided in the request, carried out by a job (run at once in tests), owned by the second.
    from casemgr.jobs.models import Job, JobStatus

    job = db.session.scalars(sa.select(Job).filter_by(kind="erasure")).one()
    assert (job.user_id, job.status) == (second.id, JobStatus.DONE)
    assert (
        client.post_form("/people/erasure-requests/confirm", {"request_id": 10**9}).status_code
        == 404
    )


def test_erasure_pages_keep_to_the_users_scope(client, db, make, two_supervisors):
    first, _ = two_supervisors
    outsider = make.user(Role.SUPERVISOR, make.unit())
    administrator = make.user(Role.ADMINISTRATOR)
    mai = _person("Mai")
    mai.registered_unit_id = first.roles[0].unit_id
    db.session.commit()

    client.login(outsider)
    response = client.post_form(
        "/people/erasure-requests", {"person_id": mai.id, "reason": "subject_request"}
    )
    assert response.status_code == 404  # no existence leak, nothing requested
    assert db.session.scalars(sa.select(ErasureRequest).filter_by(person_id=mai.id)).all() == []
    client.post_form("/auth/logout")

    client.login(first)
    client.post_form("/people/erasure-requests", {"person_id": mai.id, "reason": "legal_order"})
    request = db.session.scalars(sa.select(ErasureRequest).filter_by(person_id=mai.id)).one()
    client.post_form("/auth/logout")

    client.login(outsider)
    assert not re.search(
        rf"<td[^>]*>{mai.id}</td>", client.get("/people/erasure-requests").get_data(as_text=True)
    )
    response = client.post_form("/people/erasure-requests/confirm", {"request_id": request.id})
    assert response.status_code == 404
    assert db.session.get(ErasureRequest, request.id).status == ErasureStatus.PENDING
    client.post_form("/auth/logout")

    # An administrator acts province-wide on the person number, without seeing content.
    client.login(administrator)
    assert re.search(
        rf"<td[^>]*>{mai.id}</td>", client.get("/people/erasure-requests").get_data(as_text=True)
    )
    response = client.post_form("/people/erasure-requests/cancel", {"request_id": request.id})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ErasureRequest, request.id).status == ErasureStatus.CANCELLED
