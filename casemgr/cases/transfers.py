"""Transfers of a case to another unit: request (consent-gated), cancel, accept or decline by a
supervisor of the receiving unit, who sees only the case number, group and sending unit until
accepting; the loader and queue that give the receiver exactly that."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, select
from werkzeug.exceptions import NotFound

from casemgr import clock
from casemgr.audit import record
from casemgr.auth.models import RoleAssignment, User
from casemgr.auth.policy import case_scope
from casemgr.auth.roles import Action, Role
from casemgr.cases.models import Case, CaseEventKind, CaseTransfer, TransferStatus
from casemgr.cases.policy import CaseAccess
from casemgr.cases.services import CaseError, check_reason, check_version, record_event
from casemgr.cases.workflow import Status
from casemgr.clock import utcnow
from casemgr.collation import vietnamese
from casemgr.extensions import db
from casemgr.notifications.models import NotificationKind
from casemgr.notifications.services import notify
from casemgr.org.models import Unit
from casemgr.people.identity import missing_consents
from casemgr.people.registration import consents_of
from casemgr.people.relations import ConsentScope
from casemgr.reference.models import TargetGroup
from casemgr.web.access import user_may

MIN_REASON_WORDS = 5  # an override reason is at least a sentence, as for break-glass


def _audit(action: str, actor: User, transfer: CaseTransfer, **kwargs) -> None:
    record(
        action,
        actor=actor,
        object_type="case_transfer",
        object_id=transfer.id,
        case_id=transfer.case_id,
        **kwargs,
    )


def open_transfer(case: Case) -> CaseTransfer | None:
    """The case's transfer request still waiting for an answer, if any."""
    return db.session.scalar(
        select(CaseTransfer).where(
            CaseTransfer.case_id == case.id, CaseTransfer.status == TransferStatus.REQUESTED
        )
    )


def history(case: Case) -> list[CaseTransfer]:
    """Every transfer of the case, oldest first: the units and owners it passed through."""
    return list(
        db.session.scalars(
            select(CaseTransfer)
            .where(CaseTransfer.case_id == case.id)
            .order_by(CaseTransfer.requested_at, CaseTransfer.id)
        )
    )


def receiving_units(case: Case, today: dt.date) -> list[Unit]:
    """Units open today that the case could move to (not its own)."""
    units = db.session.scalars(
        select(Unit).where(Unit.id != case.unit_id).order_by(vietnamese(Unit.name), Unit.id)
    )
    return [unit for unit in units if unit.is_open_on(today)]


def missing_transfer_consents(case: Case, today: dt.date) -> set[str]:
    """Who has yet to consent to the transfer ("subject", "guardian"); empty when complete."""
    person = case.person
    return {
        str(giver)
        for giver in missing_consents(
            consents_of(person), ConsentScope.TRANSFER, person.age_in(today.year), today
        )
    }


def request_transfer(
    actor: User,
    case: Case,
    access: CaseAccess,
    *,
    to_unit: Unit,
    reason: str,
    override_reason: str | None = None,
    today: dt.date | None = None,
) -> CaseTransfer:
    """Ask to move the case to `to_unit`. Without everyone's transfer consent the request is
    refused (and the refusal audited), unless the actor may override consent and says why."""
    today = today or clock.today()
    if not access.can_write or access.is_break_glass:
        raise CaseError("read only")
    if case.status == Status.CLOSED:
        raise CaseError("case closed")
    if to_unit.id == case.unit_id or not to_unit.is_open_on(today):
        raise CaseError("unit not open")
    if open_transfer(case) is not None:
        raise CaseError("transfer pending")
    check_reason(reason)
    overridden = False
    if missing_transfer_consents(case, today):
        if not override_reason or not user_may(actor, Action.OVERRIDE_CONSENT):
            record(
                "case.transfer_request",
                actor=actor,
                object_type="case",
                object_id=case.id,
                case_id=case.id,
                outcome="denied",
                reason="consent missing",
            )
            raise CaseError("consent missing")
        if len(override_reason.split()) < MIN_REASON_WORDS:
            raise CaseError("reason too short")
        overridden = True
    transfer = CaseTransfer(
        case_id=case.id,
        person_id=case.person_id,
        from_unit_id=case.unit_id,
        to_unit_id=to_unit.id,
        from_owner_id=case.owner_id,
        requested_by_id=actor.id,
        requested_at=utcnow(),
        consent_overridden=overridden,
    )
    transfer.reason = reason
    transfer.override_reason = override_reason if overridden else None
    db.session.add(transfer)
    record_event(
        actor, case, CaseEventKind.TRANSFER_REQUESTED, access=access,
        code="consent_override" if overridden else None, reason=reason,
        from_user_id=case.owner_id, from_unit_id=case.unit_id, to_unit_id=to_unit.id,
        at=transfer.requested_at,
    )  # fmt: skip
    db.session.flush()
    _audit(
        "case.transfer_request",
        actor,
        transfer,
        fields=["reason", "override_reason"] if overridden else ["reason"],
        reason="consent override" if overridden else None,
    )
    return transfer


def cancel_transfer(actor: User, case: Case, access: CaseAccess) -> CaseTransfer:
    """Withdraw the case's open request (the sending side changed its mind)."""
    if not access.can_write or access.is_break_glass:
        raise CaseError("read only")
    transfer = open_transfer(case)
    if transfer is None:
        raise CaseError("no transfer pending")
    transfer.status = TransferStatus.CANCELLED
    transfer.decided_by_id, transfer.decided_at = actor.id, utcnow()
    record_event(
        actor, case, CaseEventKind.TRANSFER_CANCELLED, access=access,
        from_unit_id=transfer.from_unit_id, to_unit_id=transfer.to_unit_id,
        at=transfer.decided_at,
    )  # fmt: skip
    db.session.flush()
    _audit("case.transfer_cancel", actor, transfer)
    return transfer


# -- the receiving side ----------------------------------------------------------------------


def may_receive(user: User, transfer: CaseTransfer) -> bool:
    """Whether the user supervises the receiving unit (its subtree) and may decide."""
    return user_may(user, Action.APPROVE_CASES) and case_scope(user).covers_unit_path(
        transfer.to_unit.path
    )


@dataclass(frozen=True)
class IncomingTransfer:
    """What a receiving supervisor may know before accepting: nothing of the case's content."""

    transfer_id: int
    case_id: int
    case_number: str
    case_version: int
    group_label: str
    from_unit_name: str
    to_unit_name: str
    requested_at: dt.datetime


def _incoming_columns() -> Select:
    return (
        select(
            CaseTransfer.id,
            Case.id,
            Case.number,
            Case.version,
            TargetGroup,
            CaseTransfer.from_unit_id,
            CaseTransfer.to_unit_id,
            CaseTransfer.requested_at,
        )
        .join(Case, Case.id == CaseTransfer.case_id)
        .join(TargetGroup, TargetGroup.code == Case.group_code)
        .where(CaseTransfer.status == TransferStatus.REQUESTED)
    )


def _incoming(row, units: dict[int, Unit]) -> IncomingTransfer:
    transfer_id, case_id, number, version, group, from_id, to_id, requested_at = row
    return IncomingTransfer(
        transfer_id, case_id, number, version, group.label,
        units[from_id].name, units[to_id].name, requested_at,
    )  # fmt: skip


def incoming_transfers(user: User) -> Select:
    """Requests addressed to units the user supervises, oldest first (select only the columns
    the queue may show: never the person, the reason or anything else of the case)."""
    receiving = select(Unit.id).where(case_scope(user).units_condition(Unit.path))
    return (
        _incoming_columns()
        .where(CaseTransfer.to_unit_id.in_(receiving))
        .order_by(CaseTransfer.requested_at, CaseTransfer.id)
    )


def incoming_rows(user: User, rows) -> list[IncomingTransfer]:
    """Turn a page of `incoming_transfers` rows into what the queue shows (one unit query);
    the read is audited as a list of transfers, naming no case."""
    rows = list(rows)
    unit_ids = {r[5] for r in rows} | {r[6] for r in rows}
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(unit_ids)))}
    record("case.transfer_queue", actor=user, object_type="case_transfer")
    return [_incoming(row, units) for row in rows]


def load_incoming(user: User, case_id: int) -> tuple[CaseTransfer, IncomingTransfer]:
    """The case's open request if the user may decide on it; otherwise 404 (no existence leak).
    Audited either way."""
    transfer = db.session.scalar(
        select(CaseTransfer).where(
            CaseTransfer.case_id == case_id, CaseTransfer.status == TransferStatus.REQUESTED
        )
    )
    if transfer is None or not may_receive(user, transfer):
        record(
            "case.transfer_view",
            actor=user,
            object_type="case",
            object_id=case_id,
            outcome="denied",
            reason="out of scope",
        )
        raise NotFound()
    row = db.session.execute(_incoming_columns().where(CaseTransfer.id == transfer.id)).one()
    units = {transfer.from_unit_id: transfer.from_unit, transfer.to_unit_id: transfer.to_unit}
    _audit("case.transfer_view", user, transfer)
    return transfer, _incoming(row, units)


def new_owner_choices(transfer: CaseTransfer) -> list[User]:
    """Enabled social workers of the receiving unit, who may own the case there."""
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.is_enabled,
                User.id.in_(
                    select(RoleAssignment.user_id).where(
                        RoleAssignment.unit_id == transfer.to_unit_id,
                        RoleAssignment.role == Role.SOCIAL_WORKER,
                    )
                ),
            )
            .order_by(vietnamese(User.display_name), User.id)
        )
    )


def _decidable(actor: User, transfer: CaseTransfer) -> None:
    if not may_receive(actor, transfer):
        raise CaseError("not allowed")
    if not transfer.is_open:
        raise CaseError("no transfer pending")


def accept_transfer(
    actor: User,
    transfer: CaseTransfer,
    *,
    new_owner: User,
    expected_version: int,
    today: dt.date | None = None,
) -> Case:
    """Move the case: its unit and owner change, co-workers leave it, the transfer keeps both
    sides. Refused on a stale case version or when consent lapsed without an override."""
    today = today or clock.today()
    _decidable(actor, transfer)
    if new_owner.id not in {u.id for u in new_owner_choices(transfer)}:
        raise CaseError("not a worker of the unit")
    case = db.session.get(Case, transfer.case_id)
    check_version(case, expected_version)
    if not transfer.to_unit.is_open_on(today):
        raise CaseError("unit not open")
    if not transfer.consent_overridden and missing_transfer_consents(case, today):
        raise CaseError("consent missing")
    now = utcnow()
    record_event(
        actor, case, CaseEventKind.TRANSFER_ACCEPTED,
        from_user_id=case.owner_id, to_user_id=new_owner.id,
        from_unit_id=case.unit_id, to_unit_id=transfer.to_unit_id, at=now,
    )  # fmt: skip
    case.unit = transfer.to_unit
    case.owner = new_owner
    case.co_workers = []
    case.updated_at = now
    transfer.status = TransferStatus.ACCEPTED
    transfer.to_owner_id = new_owner.id
    transfer.decided_by_id, transfer.decided_at = actor.id, now
    notify([transfer.requested_by_id], NotificationKind.TRANSFER_ACCEPTED, case, actor=actor)
    notify([new_owner], NotificationKind.CASE_ASSIGNED, case, actor=actor)
    db.session.flush()  # the version check at flush refuses a concurrent change to the case
    _audit("case.transfer_accept", actor, transfer, fields=["unit_id", "owner_id", "co_workers"])
    return case


def decline_transfer(actor: User, transfer: CaseTransfer, *, reason: str) -> CaseTransfer:
    """Refuse the case, saying why (sealed: the reason may name people)."""
    _decidable(actor, transfer)
    check_reason(reason)
    transfer.status = TransferStatus.DECLINED
    transfer.decided_by_id, transfer.decided_at = actor.id, utcnow()
    transfer.decline_reason = reason
    case = db.session.get(Case, transfer.case_id)
    notify([transfer.requested_by_id], NotificationKind.TRANSFER_DECLINED, case, actor=actor)
    record_event(
        actor, case, CaseEventKind.TRANSFER_DECLINED,
        reason=reason, from_user_id=transfer.from_owner_id,
        from_unit_id=transfer.from_unit_id, to_unit_id=transfer.to_unit_id,
        at=transfer.decided_at,
    )  # fmt: skip
    db.session.flush()
    _audit("case.transfer_decline", actor, transfer, fields=["decline_reason"])
    return transfer
