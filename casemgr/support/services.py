"""Verbs: deliver a service, record a trafficking status, keep the service-point directory."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app

from casemgr.audit import record
from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.cases.dates import Since, check_case_date
from casemgr.cases.models import Case
from casemgr.cases.policy import CaseAccess
from casemgr.extensions import db
from casemgr.org.models import Area
from casemgr.people.services import (
    DEFAULT_ATTACHMENT_MAX_BYTES,
    AttachmentRejected,
    add_attachment,
    sniff_content_type,
)
from casemgr.reference.models import TargetGroup
from casemgr.support import eligibility, policy, queries
from casemgr.support.models import (
    DecidingAuthority,
    DocumentKind,
    Location,
    ServiceDelivery,
    ServicePoint,
    ServicePointKind,
    ServiceType,
    TraffickingStatus,
    TraffickingStatusDocument,
    VictimStatus,
)


class SupportError(ValueError):
    """A support change that breaks a rule; the code (str) names which, for the view."""


def audit_case_event(
    action: str,
    actor: User,
    case: Case,
    access: CaseAccess,
    *,
    object_type: str,
    object_id: int | None,
    fields: Iterable[str] = (),
    reason: str | None = None,
    outcome: str = "allowed",
) -> None:
    record(
        action,
        actor=actor,
        object_type=object_type,
        object_id=object_id,
        case_id=case.id,
        fields=fields,
        reason=reason,
        outcome=outcome,
        is_break_glass=access.is_break_glass,
    )


def require_write(access: CaseAccess) -> None:
    if not access.can_write:
        raise SupportError("read only")


# -- services delivered ----------------------------------------------------------------------


def deliver_service(
    actor: User,
    case: Case,
    access: CaseAccess,
    *,
    service_type: ServiceType,
    delivered_on: dt.date,
    partner: ServicePoint | None = None,
    provider: str | None = None,
    quantity: int | None = None,
    amount_vnd: int | None = None,
    note: str | None = None,
) -> ServiceDelivery:
    """Record a service delivered to the case's person, if they were eligible for it that day.

    The form offers only eligible services; this check is the one that holds (a crafted
    request, or a status recorded meanwhile, cannot slip an ineligible support through).
    """
    require_write(access)
    check_case_date(case, delivered_on, "delivered_on")  # eligibility is judged on this day
    if service_type.group_code != case.group_code or not service_type.is_active:
        raise SupportError("service of another group")
    offered = {t.id for t in queries.offered_services(case, delivered_on)}
    if service_type.id not in offered:
        audit_case_event(
            "service.deliver",
            actor,
            case,
            access,
            object_type="service_type",
            object_id=service_type.id,
            reason="not eligible",
            outcome="denied",
        )
        raise SupportError("not eligible")
    if partner is not None:
        check_partner(actor, case, access, partner, "service.deliver")
    if quantity is not None and quantity <= 0:
        raise SupportError("quantity not positive")
    if amount_vnd is not None and amount_vnd < 0:
        raise SupportError("negative amount")
    delivery = ServiceDelivery(
        case_id=case.id,
        person_id=case.person_id,
        service_type_id=service_type.id,
        partner_id=partner.id if partner else None,
        delivered_on=delivered_on,
        quantity=quantity,
        amount_vnd=amount_vnd,
        author_id=actor.id,
        is_break_glass=access.is_break_glass,
    )
    delivery.provider = provider or None
    delivery.note = note or None
    db.session.add(delivery)
    db.session.flush()
    fields = [name for name, value in (("provider", provider), ("note", note)) if value]
    audit_case_event(
        "service.deliver",
        actor,
        case,
        access,
        object_type="service_delivery",
        object_id=delivery.id,
        fields=fields,
        reason=f"{service_type.group_code}:{service_type.code}",
    )
    return delivery


def check_partner(
    actor: User, case: Case, access: CaseAccess, partner: ServicePoint, action: str
) -> None:
    """Refuse a partner no longer in use, or one that does not serve the case's target group
    (the forms do not offer it; a crafted request is refused here and audited)."""
    if not partner.is_active:
        raise SupportError("partner inactive")
    if not partner.serves(case.group_code):
        audit_case_event(
            action,
            actor,
            case,
            access,
            object_type="service_point",
            object_id=partner.id,
            reason="partner of another group",
            outcome="denied",
        )
        raise SupportError("partner of another group")


# -- trafficking status history --------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    """An uploaded document for a status: its kind and the file as received."""

    kind: DocumentKind
    filename: str
    content_type: str
    data: bytes


def record_trafficking_status(
    actor: User,
    case: Case,
    access: CaseAccess,
    *,
    status: VictimStatus,
    valid_from: dt.date,
    location: Location | None = None,
    decided_by: DecidingAuthority | None = None,
    decision_ref: str | None = None,
    note: str | None = None,
    documents: Iterable[Document] = (),
) -> TraffickingStatus:
    """Add a status from `valid_from`; earlier statuses stay as they were (history).

    The status is decided outside the case (it may be in force before the case was opened),
    so its date is bounded by the person's birth and today only."""
    require_write(access)
    if case.group_code != eligibility.TRAFFICKING:
        raise SupportError("not a trafficking case")
    check_case_date(case, valid_from, "valid_from", since=Since.BIRTH)
    documents = list(documents)
    _check_documents(documents)
    status = VictimStatus(status)
    if status == VictimStatus.BEING_IDENTIFIED:
        if location is None:
            raise SupportError("location needed")
        location = Location(location)
    else:
        location = None  # only the supports of a person being identified depend on it
    row = TraffickingStatus(
        case_id=case.id,
        person_id=case.person_id,
        status=status,
        location=location,
        valid_from=valid_from,
        decided_by=DecidingAuthority(decided_by) if decided_by else None,
        recorded_by_id=actor.id,
        is_break_glass=access.is_break_glass,
    )
    row.decision_ref = decision_ref or None
    row.note = note or None
    db.session.add(row)
    db.session.flush()
    for document in documents:
        attachment = add_attachment(
            actor,
            case.person,
            filename=document.filename,
            content_type=document.content_type,
            data=document.data,
            case_id=case.id,
        )
        db.session.add(
            TraffickingStatusDocument(
                status_id=row.id, attachment_id=attachment.id, kind=document.kind
            )
        )
    db.session.flush()
    fields = [n for n, v in (("decision_ref", decision_ref), ("note", note)) if v]
    audit_case_event(
        "trafficking.status_add",
        actor,
        case,
        access,
        object_type="trafficking_status",
        object_id=row.id,
        fields=fields,
        reason=str(status),
    )
    return row


def _check_documents(documents: list[Document]) -> None:
    # Checked before anything is written, so that a bad file leaves no status without it
    # (add_attachment checks each file again as it keeps it).
    limit = current_app.config.get("CASEMGR_ATTACHMENT_MAX_BYTES", DEFAULT_ATTACHMENT_MAX_BYTES)
    for document in documents:
        if len(document.data) > limit:
            raise AttachmentRejected("file too large")
        if sniff_content_type(document.data) != document.content_type:
            raise AttachmentRejected("file type not accepted")


def open_document(actor: User, case: Case, access: CaseAccess, attachment_id: int | None):
    """An evidence or decision document of the case, for download (audited); None if not
    one of this case's."""
    attachment = queries.status_document(case, attachment_id)
    if attachment is not None:
        audit_case_event(
            "attachment.view",
            actor,
            case,
            access,
            object_type="attachment",
            object_id=attachment.id,
            fields=["content"],
        )
    return attachment


# -- service points --------------------------------------------------------------------------


def _check_manage(actor: User, area: Area) -> None:
    # Supervisors manage the areas their unit subtree serves; administrators every area.
    covered = queries.covers_area(actor, area.id, (Role.SUPERVISOR,))
    if not policy.may_manage_point(actor, covered):
        raise SupportError("not your area")


def create_service_point(
    actor: User,
    *,
    kind: ServicePointKind,
    name: str,
    area: Area,
    address: str | None,
    contact: str | None,
    groups: Iterable[str] = (),
) -> ServicePoint:
    """Add a service point in an area the actor manages, serving the target groups given."""
    _check_manage(actor, area)
    point = ServicePoint(
        kind=ServicePointKind(kind),
        name=name.strip(),
        area_id=area.id,
        created_by_id=actor.id,
        groups=_target_groups(groups),
    )
    db.session.add(point)
    db.session.flush()  # the sealed values are bound to the row id
    point.address = address or None
    point.contact = contact or None
    db.session.flush()
    record(
        "service_point.create",
        actor=actor,
        object_type="service_point",
        object_id=point.id,
        fields=[n for n, v in (("address", address), ("contact", contact)) if v]
        + (["groups"] if point.groups else []),
        reason=str(point.kind),
    )
    return point


def update_service_point(
    actor: User,
    point: ServicePoint,
    *,
    kind: ServicePointKind,
    name: str,
    area: Area,
    address: str | None,
    contact: str | None,
    is_active: bool,
    groups: Iterable[str] | None = None,
) -> list[str]:
    """Change a point the actor manages (in its old and its new area); return changed fields.
    The groups it serves are left as they are when `groups` is None."""
    _check_manage(actor, point.area)
    if area.id != point.area_id:
        _check_manage(actor, area)
    changed = []
    if groups is not None:
        wanted = _target_groups(groups)
        if {g.code for g in wanted} != {g.code for g in point.groups}:
            point.groups = wanted
            changed.append("groups")
    for attribute, value in (
        ("kind", ServicePointKind(kind)),
        ("name", name.strip()),
        ("area_id", area.id),
        ("is_active", is_active),
        ("address", address or None),
        ("contact", contact or None),
    ):
        if getattr(point, attribute) != value:
            setattr(point, attribute, value)
            changed.append(attribute)
    if changed:
        db.session.flush()
        record(
            "service_point.update",
            actor=actor,
            object_type="service_point",
            object_id=point.id,
            fields=changed,
        )
    return changed


def _target_groups(codes: Iterable[str]) -> list[TargetGroup]:
    groups = [db.session.get(TargetGroup, code) for code in dict.fromkeys(codes)]
    if None in groups:
        raise SupportError("unknown group")
    return groups  # type: ignore[return-value]


def may_edit_point(actor: User, point: ServicePoint) -> bool:
    """Whether the actor may change this point; a refusal is audited."""
    allowed = policy.may_manage_point(
        actor, queries.covers_area(actor, point.area_id, (Role.SUPERVISOR,))
    )
    if not allowed:
        record(
            "service_point.update",
            actor=actor,
            object_type="service_point",
            object_id=point.id,
            outcome="denied",
            reason="not your area",
        )
    return allowed


def refuse_unknown(actor: User, object_type: str, case: Case | None = None) -> None:
    """Audit a request for an object id that is missing or belongs elsewhere (the caller
    answers 404, as for a case outside the user's scope)."""
    record(
        f"{object_type}.view",
        actor=actor,
        object_type=object_type,
        case_id=case.id if case else None,
        outcome="denied",
        reason="not found",
    )


def reveal_location(actor: User, point: ServicePoint) -> bool:
    """Whether the actor may read where the point is; reading a reliable address is audited."""
    allowed = policy.may_see_location(actor, point, queries.covers_area(actor, point.area_id))
    if point.is_confidential:
        record(
            "service_point.view",
            actor=actor,
            object_type="service_point",
            object_id=point.id,
            fields=["address", "contact"] if allowed else [],
            outcome="allowed" if allowed else "denied",
            reason=None if allowed else "not your area",
        )
    return allowed
