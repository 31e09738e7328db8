"""Reads over group records: a case's enrolments and orders with their computed dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from werkzeug.exceptions import NotFound

from casemgr.audit import record
from casemgr.auth.models import User
from casemgr.cases.models import Case
from casemgr.extensions import db
from casemgr.groups import dates
from casemgr.groups.models import DrugProgramme, NoContactOrder, NoContactStatus


@dataclass(frozen=True)
class ProgrammeView:
    """An enrolment with the dates the rules give it."""

    programme: DrugProgramme
    dates: dates.ProgrammeDates
    decision_late: bool


def programmes(case: Case, today: dt.date) -> list[ProgrammeView]:
    """The case's drug-programme enrolments, newest first, with due and end dates (2 queries:
    enrolments, then their tests)."""
    rows = db.session.scalars(
        select(DrugProgramme)
        .where(DrugProgramme.case_id == case.id)
        .order_by(DrugProgramme.registered_on.desc(), DrugProgramme.id.desc())
    )
    views = []
    for programme in rows:
        computed = dates.programme_dates(programme, case.unit.path)
        views.append(ProgrammeView(programme, computed, computed.decision_late(programme, today)))
    return views


def _not_found(user: User, case: Case, object_type: str, object_id: int | None) -> NotFound:
    record(
        f"{object_type}.view",
        actor=user,
        object_type=object_type,
        object_id=object_id,
        case_id=case.id,
        outcome="denied",
        reason="not on this case",
    )
    return NotFound()


def programme_of(user: User, case: Case, programme_id: int | None) -> DrugProgramme:
    """One enrolment of this case; 404 (audited) for an id of another case, or none."""
    programme = db.session.get(DrugProgramme, programme_id) if programme_id else None
    if programme is None or programme.case_id != case.id:
        raise _not_found(user, case, "drug_programme", programme_id)
    return programme


@dataclass(frozen=True)
class OrderView:
    """A no-contact order with its status at a moment and its deadlines."""

    order: NoContactOrder
    status: NoContactStatus
    decision_due: dt.datetime
    decision_late: bool
    latest_end: dt.datetime | None  # for an undecided request: if granted at once


def orders(case: Case, now: dt.datetime) -> list[OrderView]:
    """The case's no-contact orders, newest request first, with their status at `now`."""
    views = []
    for order in db.session.scalars(
        select(NoContactOrder)
        .where(NoContactOrder.case_id == case.id)
        .order_by(NoContactOrder.requested_at.desc(), NoContactOrder.id.desc())
    ):
        due = dates.no_contact_decision_due(order)
        decided = order.decided_at or now
        latest = dates.no_contact_latest_end(order, now) if order.decision is None else None
        views.append(OrderView(order, order.status(now), due, decided > due, latest))
    return views


def order_of(user: User, case: Case, order_id: int | None) -> NoContactOrder:
    """One no-contact order of this case; 404 (audited) for an id of another case, or none."""
    order = db.session.get(NoContactOrder, order_id) if order_id else None
    if order is None or order.case_id != case.id:
        raise _not_found(user, case, "no_contact_order", order_id)
    return order
