"""A case with canary markers in every sensitive field, its people, and every notified event."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.cases import services as case_services
from casemgr.cases import transfers
from casemgr.cases.models import Case, ProtectionLevel, RiskLevel
from casemgr.extensions import db
from casemgr.people.registration import add_relative, record_consent
from casemgr.people.relations import ConsentGiver, ConsentScope
from casemgr.people.services import register_person
from casemgr.reference.queries import sub_groups
from casemgr.supervision.models import ReassignReason
from casemgr.supervision.services import Choice, reassign_cases
from casemgr.support import referrals
from casemgr.support import services as support_services
from casemgr.support.models import Referral, ServiceType, VictimStatus
from tests.cases.conftest import (  # noqa: F401
    Casework,
    backdate,
    casework,
    record_detailed_assessment,
)
from tests.support.conftest import DAY, Support, support  # noqa: F401

CANARY = "CANARY7Q"  # in every sensitive field: it must never reach a notification


def canary(field: str) -> str:
    """A synthetic value marked with the canary (and the field, to say which one leaked)."""
    return f"{CANARY}-{field}"


@dataclass
class World:
    """Casework plus a co-worker on a canary-laden trafficking case that can be referred."""

    cw: Casework
    sp: Support
    co_worker: User
    case: Case

    def user(self, who: str) -> User:
        return self.co_worker if who == "co_worker" else getattr(self.cw, who)

    def access(self, who: str):
        return self.cw.access(self.user(who), self.case)

    def move(self, who: str, *names: str, reason: str | None = None) -> None:
        for name in names:
            if name == "submit_plan":  # the plan gate
                record_detailed_assessment(self.user(who), self.case)
            case_services.take_transition(
                self.user(who), self.case, self.access(who), name,
                expected_version=self.case.version, reason=reason,
                closure_reason="goals_met" if name == "request_closure" else None,
            )  # fmt: skip


@pytest.fixture
def world(make, support) -> World:  # noqa: F811
    cw = support.cw
    person = register_person(
        cw.worker, sex="female", birth_year=1998,
        surname=canary("surname"), middle_name=canary("middle"), given_name=canary("given"),
        national_id="001098" + "765432", phone="0912345678", street_address=canary("street"),
        note=canary("note"), date_of_birth="1998-03-04",
    )  # fmt: skip
    case = case_services.open_case(
        cw.worker, person=person, group_code="trafficking",
        sub_groups=[s for s in sub_groups("trafficking") if s.code == "criminality"],
        protection_level=ProtectionLevel.INTERVENTION, risk_level=RiskLevel.MEDIUM,
        unit=cw.commune, summary=canary("summary"),
    )  # fmt: skip
    co_worker = make.user(Role.SOCIAL_WORKER, cw.commune)
    case_services.set_co_worker(
        cw.worker, case, cw.access(cw.worker, case), co_worker, on=True, reason=canary("co")
    )
    mother = add_relative(
        cw.worker, person, relationship_kind="mother", is_guardian=True,
        name=canary("relative"), phone=None,
    )  # fmt: skip
    for scope in (ConsentScope.REFERRAL, ConsentScope.TRANSFER):
        record_consent(
            cw.worker, person, scope=scope, given_by=ConsentGiver.SUBJECT, given_on=DAY,
            relative=None,
        )  # fmt: skip
    assert mother.id
    support_services.record_trafficking_status(
        cw.worker, case, cw.access(cw.worker, case), status=VictimStatus.IDENTIFIED,
        valid_from=dt.date(2025, 7, 1),
    )  # fmt: skip
    db.session.flush()
    return World(cw, support, co_worker, case)


# -- the events, each from a case state that allows it ------------------------------------------


def _to_plan_drafted(w: World) -> None:
    w.move("worker", "verify", "assess", "assess_in_detail", "submit_plan")


def _to_closure_requested(w: World) -> None:
    _to_plan_drafted(w)
    w.move("supervisor", "approve_plan", reason=canary("approve"))
    w.move("worker", "implement", "review")
    w.move("worker", "request_closure", reason=canary("closure"))


def _referral(w: World):
    kind = db.session.scalar(
        select(ServiceType).where(ServiceType.group_code == "trafficking", ServiceType.code == "b")
    )
    backdate(w.case, DAY)  # a referral is never dated before its case
    return referrals.send_referral(
        w.cw.worker, w.case, w.access("worker"), partner=w.sp.shelter, service_type=kind,
        reason=canary("referral"), sent_on=DAY,
    )  # fmt: skip


def _request_transfer(w: World):
    return transfers.request_transfer(
        w.cw.worker, w.case, w.access("worker"), to_unit=w.cw.other_commune,
        reason=canary("transfer"),
    )  # fmt: skip


# Each event: (name, set-up, the act, {who: kind} that must be told, and no one else).
def _prepare_nothing(w: World) -> None:
    return None


EVENTS = {
    "plan returned": (
        _to_plan_drafted,
        lambda w: w.move("supervisor", "return_plan", reason=canary("return")),
        {"worker": "plan_returned"},
    ),
    "plan approved": (
        _to_plan_drafted,
        lambda w: w.move("supervisor", "approve_plan", reason=canary("approve")),
        {"worker": "plan_approved"},
    ),
    "closure declined": (
        _to_closure_requested,
        lambda w: w.move("supervisor", "decline_closure", reason=canary("decline")),
        {"worker": "closure_declined"},
    ),
    "closure approved": (
        _to_closure_requested,
        lambda w: w.move("supervisor", "approve_closure"),
        {"worker": "closure_approved"},
    ),
    "referral accepted": (
        _referral,
        lambda w: referrals.answer_referral(
            w.co_worker,
            w.case,
            w.access("co_worker"),
            _last_referral(w),
            accepted=True,
            answered_on=DAY,
        ),
        {"worker": "referral_answered"},
    ),
    "referral declined": (
        _referral,
        lambda w: referrals.answer_referral(
            w.co_worker,
            w.case,
            w.access("co_worker"),
            _last_referral(w),
            accepted=False,
            answered_on=DAY,
            decline_reason=canary("referral-decline"),
        ),
        {"worker": "referral_answered"},
    ),
    "referral answered by its sender": (  # nobody is told of their own act
        _referral,
        lambda w: referrals.answer_referral(
            w.cw.worker,
            w.case,
            w.access("worker"),
            _last_referral(w),
            accepted=True,
            answered_on=DAY,
        ),
        {},
    ),
    "transfer accepted": (
        _request_transfer,
        lambda w: transfers.accept_transfer(
            w.cw.other_supervisor,
            transfers.open_transfer(w.case),
            new_owner=w.cw.outsider,
            expected_version=w.case.version,
        ),
        {"worker": "transfer_accepted", "outsider": "case_assigned"},
    ),
    "transfer declined": (
        _request_transfer,
        lambda w: transfers.decline_transfer(
            w.cw.other_supervisor, transfers.open_transfer(w.case), reason=canary("t-decline")
        ),
        {"worker": "transfer_declined"},
    ),
    "case reassigned": (
        _prepare_nothing,
        lambda w: reassign_cases(
            w.cw.supervisor,
            [Choice(w.case.id, w.case.version)],
            w.cw.colleague.id,
            reason=ReassignReason.OTHER,
            reason_text=canary("reassign"),
        ),
        {"colleague": "case_reassigned"},
    ),
    "break-glass": (
        _prepare_nothing,
        lambda w: case_services.break_glass(
            w.cw.outsider,
            w.case,
            reason_type="emergency",
            reason=f"{canary('glass')} trẻ đang gặp nguy hiểm cần xem ngay",
            minutes=30,
        ),
        {"worker": "break_glass", "supervisor": "break_glass"},
    ),
}
EVERYONE = (
    "worker",
    "co_worker",
    "colleague",
    "supervisor",
    "lead",
    "outsider",
    "other_supervisor",
    "auditor",
    "admin",
)


def _last_referral(w: World) -> Referral:
    return db.session.scalar(
        select(Referral).where(Referral.case_id == w.case.id).order_by(Referral.id.desc())
    )
