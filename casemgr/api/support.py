"""API: services delivered and closed-loop referrals of a case, over the support services."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_login import current_user

from casemgr.api.access import token_access
from casemgr.api.blueprint import ID, bp
from casemgr.api.common import (
    ETAG_HEADER,
    check_case_date,
    documented,
    etag,
    invalid,
    refuse,
    require_if_match,
)
from casemgr.api.schemas import (
    PartnerListSchema,
    ReferralAnswerSchema,
    ReferralCompleteSchema,
    ReferralCreateSchema,
    ReferralListSchema,
    ReferralSchema,
    ServiceCreateSchema,
    ServiceListSchema,
    ServiceSchema,
    ServiceTypeListSchema,
)
from casemgr.auth.roles import Action
from casemgr.cases.dates import CaseDateRefused
from casemgr.cases.models import Case
from casemgr.cases.queries import Need, load_case
from casemgr.clock import today
from casemgr.extensions import db
from casemgr.support import queries, referrals, services
from casemgr.support.forms import POINT_KIND_LABELS
from casemgr.support.models import ServicePoint, ServiceType
from casemgr.support.models.catalogue import ServiceDelivery
from casemgr.support.models.referrals import Referral
from casemgr.tokens.models import TokenScope

REFERRAL_EXAMPLE = {
    "id": 5, "status": "sent", "partner_id": 2, "service_type_id": 11, "sent_on": "2026-12-01",
    "answer_due_on": "2026-12-08", "answered_on": None, "completed_on": None,
    "reason": "Cần hỗ trợ tâm lý.", "decline_reason": None, "outcome": None,
}  # fmt: skip


SERVICE_EXAMPLE = {
    "id": 4, "service_type_id": 11, "partner_id": None, "delivered_on": "2026-12-01",
    "quantity": 1, "amount_vnd": 500000, "provider": "Trung tâm CTXH", "note": None,
}  # fmt: skip


def service_body(item: ServiceDelivery) -> dict[str, Any]:
    return {
        "id": item.id, "service_type_id": item.service_type_id, "partner_id": item.partner_id,
        "delivered_on": item.delivered_on, "quantity": item.quantity,
        "amount_vnd": item.amount_vnd, "provider": item.provider, "note": item.note,
    }  # fmt: skip


def referral_body(item: Referral) -> dict[str, Any]:
    return {
        "id": item.id, "status": str(item.status), "partner_id": item.partner_id,
        "service_type_id": item.service_type_id, "sent_on": item.sent_on,
        "answer_due_on": item.answer_due_on, "answered_on": item.answered_on,
        "completed_on": item.completed_on, "reason": item.reason,
        "decline_reason": item.decline_reason, "outcome": item.outcome,
    }  # fmt: skip


@bp.route(f"/cases/<{ID}:case_id>/services", methods=["GET"])
@token_access(TokenScope.READ, Action.VIEW_CASES)
@bp.response(200, ServiceListSchema, example={"items": [SERVICE_EXAMPLE]})
@documented()
def list_services(case_id: int):
    """Services delivered on the case, newest first."""
    case, _access = load_case(current_user, case_id)
    return {"items": [service_body(s) for s in queries.deliveries(case.id)]}


@bp.route(f"/cases/<{ID}:case_id>/services", methods=["POST"])
@token_access(TokenScope.WRITE, Action.EDIT_CASES)
@bp.arguments(ServiceCreateSchema, example={
    "service_type_id": 11, "delivered_on": "2026-12-01", "quantity": 1})  # fmt: skip
@bp.response(201, ServiceSchema, example=SERVICE_EXAMPLE)
@documented(422)
def create_service(data: dict[str, Any], case_id: int):
    """Record a service delivered, if the person was eligible for it that day."""
    case, access = load_case(current_user, case_id, Need.WRITE)
    check_case_date(case, "delivered_on", data["delivered_on"])
    service_type = db.session.get(ServiceType, data["service_type_id"])
    if service_type is None:
        invalid("service_type_id", _l("This service is not offered to this case."))
    partner = None
    if data["partner_id"] is not None:
        partner = db.session.get(ServicePoint, data["partner_id"])
        if partner is None:
            invalid("partner_id", _l("Choose one of the allowed values."))
    try:
        item = services.deliver_service(
            current_user, case, access, service_type=service_type,
            delivered_on=data["delivered_on"], partner=partner, provider=data["provider"],
            quantity=data["quantity"], amount_vnd=data["amount_vnd"], note=data["note"],
        )  # fmt: skip
    except (services.SupportError, CaseDateRefused) as exc:
        refuse(exc, default_field="service_type_id")
    return service_body(item), 201


@bp.route(f"/cases/<{ID}:case_id>/service-types", methods=["GET"])
@token_access(TokenScope.READ, Action.VIEW_CASES)
@bp.response(200, ServiceTypeListSchema, example={
    "items": [{"id": 3, "code": "counselling", "label": "Tư vấn tâm lý"}]})  # fmt: skip
@documented()
def list_service_types(case_id: int):
    """The services the case's person may receive today: the `service_type_id` choices of the
    service and referral forms (the same list, opened and audited as those screens do)."""
    case, _access = load_case(current_user, case_id)
    offered = queries.offered_services(case, today())
    return {"items": [{"id": t.id, "code": t.code, "label": t.label} for t in offered]}


@bp.route(f"/cases/<{ID}:case_id>/partners", methods=["GET"])
@token_access(TokenScope.READ, Action.VIEW_CASES)
@bp.response(200, PartnerListSchema, example={"items": [{
    "id": 2, "name": "Trung tâm CTXH tỉnh", "kind": "social_work_centre",
    "kind_label": "Trung tâm công tác xã hội", "area": "Tỉnh A",
    "groups": ["child"]}]})  # fmt: skip
@documented()
def list_partners(case_id: int):
    """The service points that take the case's referrals now: those in use that serve its
    target group, or have no group recorded yet; the `partner_id` choices of the case's
    referral form (the same list, opened and audited as that screen does)."""
    case, _access = load_case(current_user, case_id)
    return {
        "items": [
            {"id": p.id, "name": p.name, "kind": str(p.kind),
             "kind_label": str(POINT_KIND_LABELS[p.kind]), "area": p.area.name,
             "groups": [g.code for g in p.groups]}
            for p in queries.partners(case.group_code)
        ]
    }  # fmt: skip


@bp.route(f"/cases/<{ID}:case_id>/referrals", methods=["GET"])
@token_access(TokenScope.READ, Action.VIEW_CASES)
@bp.response(200, ReferralListSchema, example={"items": [REFERRAL_EXAMPLE]})
@documented()
def list_referrals(case_id: int):
    """The case's referrals, newest first."""
    case, _access = load_case(current_user, case_id)
    return {"items": [referral_body(r) for r in queries.case_referrals(case.id)]}


@bp.route(f"/cases/<{ID}:case_id>/referrals", methods=["POST"])
@token_access(TokenScope.WRITE, Action.EDIT_CASES)
@bp.arguments(ReferralCreateSchema, example={
    "partner_id": 2, "service_type_id": 11, "reason": "Cần hỗ trợ tâm lý.",
    "sent_on": "2026-12-01"})  # fmt: skip
@bp.response(201, ReferralSchema, example=REFERRAL_EXAMPLE, headers=ETAG_HEADER)
@documented(422)
def create_referral(data: dict[str, Any], case_id: int):
    """Refer the case's person to a partner (their consent to referral must be on file)."""
    case, access = load_case(current_user, case_id, Need.WRITE)
    check_case_date(case, "sent_on", data["sent_on"])
    partner = db.session.get(ServicePoint, data["partner_id"])
    service_type = db.session.get(ServiceType, data["service_type_id"])
    if partner is None:
        invalid("partner_id", _l("Choose one of the allowed values."))
    if service_type is None:
        invalid("service_type_id", _l("This service is not offered to this case."))
    try:
        item = referrals.send_referral(
            current_user, case, access, partner=partner, service_type=service_type,
            reason=data["reason"], sent_on=data["sent_on"],
            override_reason=data["override_reason"],
        )  # fmt: skip
    except referrals.ConsentMissing:
        invalid("body", _l("The consent to referral is missing."))
    except (services.SupportError, CaseDateRefused) as exc:
        refuse(exc)
    return referral_body(item), 201, {"ETag": etag(item.status)}


def _referral(case: Case, referral_id: int) -> Referral:
    item = queries.case_referral(case, referral_id)
    if item is None:
        services.refuse_unknown(current_user, "referral", case)
        from werkzeug.exceptions import NotFound

        raise NotFound()
    return item


@bp.route(f"/cases/<{ID}:case_id>/referrals/<{ID}:referral_id>", methods=["GET"])
@token_access(TokenScope.READ, Action.VIEW_CASES)
@bp.response(200, ReferralSchema, example=REFERRAL_EXAMPLE, headers=ETAG_HEADER)
@documented()
def get_referral(case_id: int, referral_id: int):
    """One referral of the case; its ETag is its state."""
    case, _access = load_case(current_user, case_id)
    item = _referral(case, referral_id)
    return referral_body(item), {"ETag": etag(item.status)}


@bp.route(f"/cases/<{ID}:case_id>/referrals/<{ID}:referral_id>/answer", methods=["POST"])
@token_access(TokenScope.WRITE, Action.EDIT_CASES)
@bp.arguments(ReferralAnswerSchema, example={"accepted": True, "answered_on": "2026-12-02"})
@bp.response(200, ReferralSchema, example=REFERRAL_EXAMPLE, headers=ETAG_HEADER)
@documented(409, 422, if_match=True)
def answer_referral(data: dict[str, Any], case_id: int, referral_id: int):
    """Record the partner's answer on its behalf (If-Match: the referral's ETag)."""
    case, access = load_case(current_user, case_id, Need.WRITE)
    item = _referral(case, referral_id)
    require_if_match(item.status)
    check_case_date(case, "answered_on", data["answered_on"])
    try:
        referrals.answer_referral(
            current_user, case, access, item, accepted=data["accepted"],
            answered_on=data["answered_on"], decline_reason=data["decline_reason"],
        )  # fmt: skip
    except (services.SupportError, CaseDateRefused) as exc:
        refuse(exc)
    return referral_body(item), {"ETag": etag(item.status)}


@bp.route(f"/cases/<{ID}:case_id>/referrals/<{ID}:referral_id>/complete", methods=["POST"])
@token_access(TokenScope.WRITE, Action.EDIT_CASES)
@bp.arguments(ReferralCompleteSchema, example={
    "completed_on": "2026-12-03", "outcome": "Đã nhận tư vấn 3 buổi."})  # fmt: skip
@bp.response(200, ReferralSchema, example=REFERRAL_EXAMPLE, headers=ETAG_HEADER)
@documented(409, 422, if_match=True)
def complete_referral(data: dict[str, Any], case_id: int, referral_id: int):
    """Close the loop of an accepted referral with its outcome (If-Match: its ETag)."""
    case, access = load_case(current_user, case_id, Need.WRITE)
    item = _referral(case, referral_id)
    require_if_match(item.status)
    check_case_date(case, "completed_on", data["completed_on"])
    try:
        referrals.complete_referral(
            current_user, case, access, item, completed_on=data["completed_on"],
            outcome=data["outcome"],
        )  # fmt: skip
    except (services.SupportError, CaseDateRefused) as exc:
        refuse(exc)
    return referral_body(item), {"ETag": etag(item.status)}
