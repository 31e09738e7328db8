"""Verbs of the referral loop: send (behind the consent gate), answer, complete."""

from __future__ import annotations

import datetime as dt

from casemgr.auth.models import User
from casemgr.auth.roles import Action
from casemgr.cases.dates import check_case_date
from casemgr.cases.models import Case
from casemgr.cases.policy import CaseAccess
from casemgr.extensions import db
from casemgr.notifications.models import NotificationKind
from casemgr.notifications.services import notify
from casemgr.people.relations import ConsentGiver
from casemgr.support import deadlines, queries
from casemgr.support.models import Referral, ReferralStatus, ServicePoint, ServiceType
from casemgr.support.services import (
    SupportError,
    audit_case_event,
    check_partner,
    require_write,
)
from casemgr.web.access import user_may

# An override must say why in at least a sentence; the text is sealed, the audit keeps a code.
OVERRIDE_MIN_LENGTH = 20


class ConsentMissing(SupportError):
    """Referral refused: these people have not consented (and no override was recorded)."""

    def __init__(self, missing: set[ConsentGiver]):
        super().__init__("consent missing")
        self.missing = missing


def send_referral(
    actor: User,
    case: Case,
    access: CaseAccess,
    *,
    partner: ServicePoint,
    service_type: ServiceType,
    reason: str,
    sent_on: dt.date,
    override_reason: str | None = None,
) -> Referral:
    """Refer the case's person to a partner for a service.

    Refused without a consent to referral in force on `sent_on` from everyone who must give
    it (the person; for a child of 7 or more, the child and a guardian), unless a user
    permitted to override records why. Nobody overrides through emergency access.

    `sent_on` is checked first (cases.dates): consent is judged on that day, so a date outside
    the case is refused as such, never as missing consent.
    """
    require_write(access)
    check_case_date(case, sent_on, "sent_on")
    check_partner(actor, case, access, partner, "referral.send")
    if service_type.id not in {t.id for t in queries.offered_services(case, sent_on)}:
        raise SupportError("not eligible")
    missing = queries.missing_referral_consents(case, sent_on)
    overridden = False
    if missing:
        override_reason = (override_reason or "").strip()
        if not override_reason:
            _refused(actor, case, access, "consent missing")
            raise ConsentMissing(missing)
        if not user_may(actor, Action.OVERRIDE_CONSENT) or access.is_break_glass:
            _refused(actor, case, access, "override not allowed")
            raise SupportError("override not allowed")
        if len(override_reason) < OVERRIDE_MIN_LENGTH:
            raise SupportError("reason too short")
        overridden = True
    referral = Referral(
        case_id=case.id,
        person_id=case.person_id,
        partner_id=partner.id,
        service_type_id=service_type.id,
        status=ReferralStatus.SENT,
        sent_on=sent_on,
        answer_due_on=deadlines.referral_answer_due(sent_on, case.unit.path),
        sent_by_id=actor.id,
        consent_overridden=overridden,
        override_by_id=actor.id if overridden else None,
        is_break_glass=access.is_break_glass,
    )
    referral.reason = reason
    if overridden:
        referral.override_reason = override_reason
    db.session.add(referral)
    db.session.flush()
    audit_case_event(
        "referral.send",
        actor,
        case,
        access,
        object_type="referral",
        object_id=referral.id,
        fields=["reason", "override_reason"] if overridden else ["reason"],
        reason="consent override" if overridden else "consent given",
    )
    return referral


def _refused(actor: User, case: Case, access: CaseAccess, code: str) -> None:
    audit_case_event(
        "referral.send",
        actor,
        case,
        access,
        object_type="case",
        object_id=case.id,
        reason=code,
        outcome="denied",
    )


def answer_referral(
    actor: User,
    case: Case,
    access: CaseAccess,
    referral: Referral,
    *,
    accepted: bool,
    answered_on: dt.date,
    decline_reason: str | None = None,
) -> Referral:
    """Record the partner's answer on its behalf: accepted, or declined with a reason."""
    require_write(access)
    if referral.case_id != case.id:
        raise SupportError("not this case")
    if referral.status != ReferralStatus.SENT:
        raise SupportError("already answered")
    check_case_date(case, answered_on, "answered_on")
    if answered_on < referral.sent_on:
        raise SupportError("before it was sent")
    if not accepted and not (decline_reason or "").strip():
        raise SupportError("decline reason needed")
    referral.status = ReferralStatus.ACCEPTED if accepted else ReferralStatus.DECLINED
    referral.answered_on = answered_on
    referral.answered_by_id = actor.id
    if not accepted:
        referral.decline_reason = decline_reason.strip()
    notify([referral.sent_by_id], NotificationKind.REFERRAL_ANSWERED, case, actor=actor)
    db.session.flush()
    audit_case_event(
        "referral.answer",
        actor,
        case,
        access,
        object_type="referral",
        object_id=referral.id,
        fields=[] if accepted else ["decline_reason"],
        reason=str(referral.status),
    )
    return referral


def complete_referral(
    actor: User,
    case: Case,
    access: CaseAccess,
    referral: Referral,
    *,
    completed_on: dt.date,
    outcome: str,
) -> Referral:
    """Close the loop of an accepted referral with its outcome."""
    require_write(access)
    if referral.case_id != case.id:
        raise SupportError("not this case")
    if referral.status != ReferralStatus.ACCEPTED:
        raise SupportError("not accepted")
    check_case_date(case, completed_on, "completed_on")
    if completed_on < (referral.answered_on or referral.sent_on):
        raise SupportError("before it was accepted")
    if not outcome.strip():
        raise SupportError("outcome needed")
    referral.status = ReferralStatus.COMPLETED
    referral.completed_on = completed_on
    referral.completed_by_id = actor.id
    referral.outcome = outcome.strip()
    db.session.flush()
    audit_case_event(
        "referral.complete",
        actor,
        case,
        access,
        object_type="referral",
        object_id=referral.id,
        fields=["outcome"],
    )
    return referral
