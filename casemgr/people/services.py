"""Verbs on persons: register, correct, attach documents, request and confirm erasure."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import select, update

from casemgr.audit import record
from casemgr.auth.roles import PERMISSIONS, Action
from casemgr.clock import utcnow
from casemgr.crypto import blind, envelope, normalise
from casemgr.crypto.fields import forget_plaintexts
from casemgr.extensions import db
from casemgr.people.models import (
    Attachment,
    ErasureReason,
    ErasureRequest,
    ErasureStatus,
    Person,
    Sex,
)

NAME_FIELDS = ("surname", "middle_name", "given_name")
SENSITIVE_FIELDS = (
    *NAME_FIELDS,
    "national_id",
    "phone",
    "street_address",
    "note",
    "date_of_birth",
    "uic",
)
PLAIN_FIELDS = (
    "sex",
    "birth_year",
    "area_id",
    "birth_year_is_estimated",
    "ethnicity_code",
    "is_pseudonymous",
    "registered_unit_id",
    "registered_by_id",
)
DEFAULT_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
# Accepted attachment types, recognised by their first bytes (never by name or header alone).
SIGNATURES = {
    "application/pdf": b"%PDF-",
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
}


class PersonError(ValueError):
    """A change to a person that breaks a rule; the message is a code, never a value."""


class ErasureError(PersonError):
    """An erasure step that is not allowed (permission, four eyes, state)."""


class AttachmentRejected(PersonError):
    """An attachment refused: too large, a type not accepted, or content not matching its type."""


def _may(actor: Any, action: Action) -> bool:
    return actor is not None and any(action in PERMISSIONS[role] for role in actor.role_set())


def _clean(name: str, value: Any) -> Any:
    if name in NAME_FIELDS:
        return normalise.name_nfc(value)
    if name == "national_id" and value:
        digits = normalise.national_id(value)
        if digits is None:
            raise PersonError("national id must have 12 digits (or 9 for a legacy id)")
        return digits
    if name == "phone" and value:
        if normalise.phone(value) is None:
            raise PersonError("phone is not a Vietnamese phone number")
        return value.strip()
    if name in ("street_address", "note"):
        return value.strip() or None if value else None
    return value


def register_person(actor: Any, *, sex: Sex = Sex.UNKNOWN, **values: Any) -> Person:
    """Register a data subject; names are stored NFC, the national id as digits."""
    unknown = set(values) - set(SENSITIVE_FIELDS) - set(PLAIN_FIELDS)
    if unknown:
        raise TypeError(f"unknown person fields: {sorted(unknown)}")
    person = Person(sex=Sex(sex))
    for name, value in values.items():
        setattr(person, name, _clean(name, value))
    db.session.add(person)
    db.session.flush()
    record(
        "person.create",
        actor=actor,
        object_type="person",
        object_id=person.id,
        fields=[name for name, value in values.items() if value is not None],
    )
    return person


def update_person(actor: Any, person: Person, **changes: Any) -> Person:
    """Correct a person's facts; the audit event names the fields changed, never values."""
    if person.is_erased:
        raise PersonError("person erased")
    unknown = set(changes) - set(SENSITIVE_FIELDS) - set(PLAIN_FIELDS)
    if unknown:
        raise TypeError(f"unknown person fields: {sorted(unknown)}")
    for name, value in changes.items():
        setattr(person, name, Sex(value) if name == "sex" else _clean(name, value))
    db.session.flush()
    record("person.update", actor=actor, object_type="person", object_id=person.id, fields=changes)
    return person


# -- attachments -----------------------------------------------------------------------------


def sniff_content_type(data: bytes) -> str | None:
    """The accepted type whose file signature `data` starts with, if any."""
    return next((kind for kind, magic in SIGNATURES.items() if data.startswith(magic)), None)


def add_attachment(
    actor: Any,
    person: Person,
    *,
    filename: str,
    content_type: str,
    data: bytes,
    case_id: int | None = None,
) -> Attachment:
    """Keep a document sealed under the person's key, after checking its size and signature."""
    if person.is_erased:
        raise PersonError("person erased")
    limit = current_app.config.get("CASEMGR_ATTACHMENT_MAX_BYTES", DEFAULT_ATTACHMENT_MAX_BYTES)
    if len(data) > limit:
        raise AttachmentRejected("file too large")
    if content_type not in SIGNATURES:
        raise AttachmentRejected("file type not accepted")
    if sniff_content_type(data) != content_type:
        raise AttachmentRejected("file content does not match its type")
    attachment = Attachment(
        person_id=person.id,
        case_id=case_id,
        content_type=content_type,
        size=len(data),
        created_by_id=getattr(actor, "id", None),
    )
    attachment.filename = normalise.name_nfc(filename) or "file"
    attachment.content = bytes(data)
    db.session.add(attachment)
    db.session.flush()
    record(
        "attachment.create",
        actor=actor,
        object_type="attachment",
        object_id=attachment.id,
        fields=["filename", "content"],
    )
    return attachment


# -- erasure ---------------------------------------------------------------------------------


def request_erasure(actor: Any, person: Person, reason: ErasureReason | str) -> ErasureRequest:
    """First step: an authorised user asks for the person to be erased."""
    if not _may(actor, Action.REQUEST_ERASURE):
        raise ErasureError("not allowed to request erasure")
    if person.is_erased:
        raise ErasureError("person already erased")
    pending = db.session.scalar(
        select(ErasureRequest.id).where(
            ErasureRequest.person_id == person.id,
            ErasureRequest.status == ErasureStatus.PENDING,
        )
    )
    if pending is not None:
        raise ErasureError("erasure already requested")
    request = ErasureRequest(
        person_id=person.id, reason=ErasureReason(reason), requested_by_id=actor.id
    )
    db.session.add(request)
    db.session.flush()
    record(
        "person.erasure_requested",
        actor=actor,
        object_type="person",
        object_id=person.id,
        reason=str(request.reason),
    )
    return request


def _decide(actor: Any, request: ErasureRequest, status: ErasureStatus) -> None:
    if not _may(actor, Action.CONFIRM_ERASURE):
        raise ErasureError("not allowed to decide erasure")
    if request.status != ErasureStatus.PENDING:
        raise ErasureError("erasure request already decided")
    if actor.id == request.requested_by_id:
        raise ErasureError("the requester cannot decide their own request")
    request.status = status
    request.decided_by_id = actor.id
    request.decided_at = utcnow()


def confirm_erasure(actor: Any, request: ErasureRequest) -> Person:
    """Second step, by another authorised user: decide, then erase at once (CLI and tests;
    the web page decides and lets a background job erase, casemgr.jobs.kinds)."""
    decide_erasure(actor, request)
    return carry_out_erasure(actor, request)


def decide_erasure(actor: Any, request: ErasureRequest) -> None:
    """Record the second user's confirmation (four eyes); the erasure itself follows."""
    _decide(actor, request, ErasureStatus.CONFIRMED)
    db.session.flush()


def carry_out_erasure(actor: Any, request: ErasureRequest) -> Person:
    """Destroy the person's data key (crypto-shred) for a confirmed request.

    Every value sealed under that key, in any table and in every backup, becomes unreadable
    once no copy of the wrapped key can be unwrapped; the row stays as a tombstone. The
    ciphertexts and search entries kept here are removed as well.
    """
    if request.status != ErasureStatus.CONFIRMED:
        raise ErasureError("erasure not confirmed")
    person = db.session.get(Person, request.person_id)
    if person.is_erased:
        return person  # a second delivery of the same job
    envelope.destroy(db.session, person.id)
    forget_plaintexts(person)
    for column in Person.encrypted_columns():
        setattr(person, column, None)
    db.session.execute(
        update(Attachment)
        .where(Attachment.person_id == person.id)
        .values({column: None for column in Attachment.encrypted_columns()})
        .execution_options(synchronize_session="fetch")
    )
    blind.delete_row_entries(db.session, Person.__tablename__, person.id)
    person.erased_at = utcnow()
    db.session.flush()
    record(
        "person.erased",
        actor=actor,
        object_type="person",
        object_id=person.id,
        reason=str(request.reason),
    )
    return person


def cancel_erasure(actor: Any, request: ErasureRequest) -> None:
    """Refuse a pending request (also by another authorised user)."""
    _decide(actor, request, ErasureStatus.CANCELLED)
    db.session.flush()
    record(
        "person.erasure_cancelled",
        actor=actor,
        object_type="person",
        object_id=request.person_id,
        reason=str(request.reason),
    )
