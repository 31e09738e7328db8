"""Reads: the catalogue, a case's support records, service points, the scoped referral list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, and_, case, exists, false, or_, select

from casemgr.audit import record
from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.cases.models import Case
from casemgr.cases.queries import visible_cases
from casemgr.collation import vietnamese
from casemgr.db import in_subtree
from casemgr.extensions import db
from casemgr.org.models import Area, AreaLevel, Unit, UnitArea
from casemgr.people.identity import missing_consents
from casemgr.people.models import Attachment
from casemgr.people.registration import consents_of
from casemgr.people.relations import ConsentGiver, ConsentScope
from casemgr.support import eligibility
from casemgr.support.models import (
    Referral,
    ReferralStatus,
    ServiceDelivery,
    ServicePoint,
    ServicePointGroup,
    ServiceType,
    TraffickingStatus,
    TraffickingStatusDocument,
)

# -- catalogue and eligibility ---------------------------------------------------------------


def catalogue(group_code: str) -> list[ServiceType]:
    """The group's active service types in catalogue order."""
    return list(
        db.session.scalars(
            select(ServiceType)
            .where(ServiceType.group_code == group_code, ServiceType.is_active)
            .order_by(ServiceType.sort_order, ServiceType.id)
        )
    )


def status_history(case_id: int) -> list[TraffickingStatus]:
    """The case's trafficking statuses, newest first (documents loaded with them)."""
    return list(
        db.session.scalars(
            select(TraffickingStatus)
            .where(TraffickingStatus.case_id == case_id)
            .order_by(TraffickingStatus.valid_from.desc(), TraffickingStatus.id.desc())
        )
    )


def offered_services(case: Case, day: dt.date) -> list[ServiceType]:
    """The service types the case's person may receive on `day` (what forms offer)."""
    types = catalogue(case.group_code)
    history = status_history(case.id) if case.group_code == eligibility.TRAFFICKING else []
    allowed = eligibility.eligible_codes(case.group_code, (t.code for t in types), history, day)
    return [t for t in types if t.code in allowed]


# -- a case's records ------------------------------------------------------------------------


def deliveries(case_id: int) -> list[ServiceDelivery]:
    """Services delivered on the case, newest first: the current ones and the voided ones
    (shown struck through), never the superseded versions."""
    return list(
        db.session.scalars(
            select(ServiceDelivery)
            .where(ServiceDelivery.case_id == case_id, ServiceDelivery.not_superseded())
            .order_by(ServiceDelivery.delivered_on.desc(), ServiceDelivery.id.desc())
        )
    )


def case_referrals(case_id: int) -> list[Referral]:
    """The case's referrals, newest first."""
    return list(
        db.session.scalars(
            select(Referral)
            .where(Referral.case_id == case_id)
            .order_by(Referral.sent_on.desc(), Referral.id.desc())
        )
    )


def case_referral(case: Case, referral_id: int | None) -> Referral | None:
    """One referral of this case (None for another case's: the caller answers 404)."""
    if referral_id is None:
        return None
    referral = db.session.get(Referral, referral_id)
    return referral if referral is not None and referral.case_id == case.id else None


def status_document(case: Case, attachment_id: int | None) -> Attachment | None:
    """An attachment linked to one of this case's statuses (None otherwise)."""
    if attachment_id is None:
        return None
    return db.session.scalar(
        select(Attachment)
        .join(TraffickingStatusDocument, TraffickingStatusDocument.attachment_id == Attachment.id)
        .join(TraffickingStatus, TraffickingStatus.id == TraffickingStatusDocument.status_id)
        .where(Attachment.id == attachment_id, TraffickingStatus.case_id == case.id)
    )


def missing_referral_consents(case: Case, day: dt.date) -> set[ConsentGiver]:
    """Who has still to consent to referral on `day` (DOMAIN.md §3; the 7+ child rule)."""
    person = case.person
    return missing_consents(
        consents_of(person), ConsentScope.REFERRAL, person.age_in(day.year), day
    )


@dataclass
class CasePanel:
    """What the case page's support section shows (as of `day`)."""

    day: dt.date
    statuses: list[TraffickingStatus]
    current_status: TraffickingStatus | None
    offered: list[ServiceType]
    deliveries: list[ServiceDelivery]
    referrals: list[Referral]
    missing_consents: set[ConsentGiver] = field(default_factory=set)
    is_trafficking: bool = False


def case_panel(case: Case, day: dt.date) -> CasePanel:
    """The case's statuses, eligible services, deliveries and referrals (a few queries)."""
    is_trafficking = case.group_code == eligibility.TRAFFICKING
    statuses = status_history(case.id) if is_trafficking else []
    types = catalogue(case.group_code)
    allowed = eligibility.eligible_codes(case.group_code, (t.code for t in types), statuses, day)
    current = eligibility.status_on(statuses, day)
    return CasePanel(
        day=day,
        statuses=statuses,
        current_status=current,  # type: ignore[arg-type]
        offered=[t for t in types if t.code in allowed],
        deliveries=deliveries(case.id),
        referrals=case_referrals(case.id),
        missing_consents=missing_referral_consents(case, day),
        is_trafficking=is_trafficking,
    )


# -- service points --------------------------------------------------------------------------


def _served_areas(user: User, roles: Iterable[Role]) -> Select | None:
    """Ids of the areas served by the user's units in `roles` (a supervisor's subtree too)."""
    wanted = set(roles)
    unit_ids, paths = [], []
    for assignment in user.roles:
        if assignment.role not in wanted:
            continue
        if assignment.role == Role.SUPERVISOR:
            paths.append(assignment.unit.path)
        else:
            unit_ids.append(assignment.unit_id)
    if not unit_ids and not paths:
        return None
    return (
        select(UnitArea.area_id)
        .join(Unit, Unit.id == UnitArea.unit_id)
        .where(or_(Unit.id.in_(unit_ids), *(in_subtree(Unit.path, p) for p in paths)))
    )


def covered_areas_condition(
    user: User,
    area_id: ColumnElement,
    roles: Iterable[Role] = (Role.SOCIAL_WORKER, Role.SUPERVISOR),
) -> ColumnElement:
    """SQL: the area is served by one of the user's units, or lies in a province one serves."""
    served = _served_areas(user, roles)
    if served is None:
        return false()
    communes_of_served = select(Area.id).where(Area.parent_id.in_(served))
    return or_(area_id.in_(served), area_id.in_(communes_of_served))


def covers_area(user: User, area_id: int, roles: Iterable[Role] | None = None) -> bool:
    """Whether the user's units serve this area (the same rule as covered_areas_condition)."""
    roles = roles or (Role.SOCIAL_WORKER, Role.SUPERVISOR)
    condition = covered_areas_condition(user, Area.id, roles)
    return bool(db.session.scalar(select(exists().where(Area.id == area_id, condition))))


def service_points(
    *, kind: str | None = None, area_id: int | None = None, active_only: bool = False
) -> Select:
    """Service points filtered by kind and area, by name."""
    statement = select(ServicePoint)
    if kind:
        statement = statement.where(ServicePoint.kind == kind)
    if area_id:
        statement = statement.where(ServicePoint.area_id == area_id)
    if active_only:
        statement = statement.where(ServicePoint.is_active)
    return statement.order_by(vietnamese(ServicePoint.name), ServicePoint.id)


def manageable_areas(user: User) -> list[Area]:
    """Current areas where the user may add service points: for administrators the provinces
    and the communes of the provinces their units serve; for supervisors the areas their unit
    subtree serves."""
    from casemgr.org.queries import communes_for_units
    from casemgr.support.policy import manages_everywhere

    current = Area.valid_to.is_(None)
    if manages_everywhere(user):
        provinces = db.session.scalars(
            select(Area)
            .where(Area.level == AreaLevel.PROVINCE, current)
            .order_by(vietnamese(Area.name), Area.id)
        )
        return [*provinces, *communes_for_units([a.unit for a in user.roles])]
    return list(
        db.session.scalars(
            select(Area)
            .where(current, covered_areas_condition(user, Area.id, (Role.SUPERVISOR,)))
            .order_by(Area.level.desc(), vietnamese(Area.name), Area.id)
        )
    )


def point_areas() -> list[Area]:
    """The areas that have service points (the list's area filter), by name."""
    return list(
        db.session.scalars(
            select(Area)
            .where(Area.id.in_(select(ServicePoint.area_id)))
            .order_by(vietnamese(Area.name), Area.id)
        )
    )


def partners(group_code: str | None = None) -> list[ServicePoint]:
    """Active service points, for referral and delivery forms (by name, as the directory: the
    choices read "name (kind, area)", so an order by kind looked like none); with a
    group, those serving it: the ones with the group recorded and the ones with none recorded
    yet (ServicePoint.serves)."""
    statement = select(ServicePoint).where(ServicePoint.is_active)
    if group_code is not None:
        recorded = select(ServicePointGroup).where(
            ServicePointGroup.service_point_id == ServicePoint.id
        )
        statement = statement.where(
            or_(
                ~exists(recorded),
                exists(recorded.where(ServicePointGroup.group_code == group_code)),
            )
        )
    return list(
        db.session.scalars(statement.order_by(vietnamese(ServicePoint.name), ServicePoint.id))
    )


def locations_visible(user: User, points: list[ServicePoint]) -> set[int]:
    """Ids of the listed points whose address and contact the user may read (one query)."""
    from casemgr.support.policy import may_see_location

    confidential_areas = {p.area_id for p in points if p.is_confidential}
    covered: set[int] = set()
    if confidential_areas:
        covered = set(
            db.session.scalars(
                select(Area.id).where(
                    Area.id.in_(confidential_areas), covered_areas_condition(user, Area.id)
                )
            )
        )
    return {p.id for p in points if may_see_location(user, p, p.area_id in covered)}


# -- referrals -------------------------------------------------------------------------------


def referral_list(
    user: User, day: dt.date, *, open_only: bool = True, waiting_only: bool = False
) -> Select:
    """Referrals of the cases the user may see: overdue first, then by answer deadline
    (`waiting_only`: those still waiting for the partner's answer).

    Building the list is a read of case data, audited like the caseload's task lists.
    """
    record("case.list", actor=user, object_type="referral", reason="referrals")
    overdue = and_(Referral.status == ReferralStatus.SENT, Referral.answer_due_on < day)
    statement = select(Referral, Case.number).join(Case, Case.id == Referral.case_id)
    statement = statement.where(
        Referral.case_id.in_(visible_cases(user).with_only_columns(Case.id))
    )
    if waiting_only:
        statement = statement.where(Referral.status == ReferralStatus.SENT)
    elif open_only:
        statement = statement.where(
            Referral.status.in_([ReferralStatus.SENT, ReferralStatus.ACCEPTED])
        )
    return statement.order_by(
        case((overdue, 0), else_=1),
        case((Referral.status == ReferralStatus.SENT, 0), else_=1),
        Referral.answer_due_on,
        Referral.id,
    )
