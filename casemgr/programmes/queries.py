"""Reads over intervention models: the scoped list and loader, enrolment choices, and the
targets-vs-actuals rows (actuals always computed in SQL from stored facts)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import Select, and_, case, func, or_, select
from werkzeug.exceptions import Forbidden, NotFound

from casemgr import clock
from casemgr.audit import record
from casemgr.auth.models import User
from casemgr.cases.models import Case
from casemgr.cases.queries import visible_cases
from casemgr.collation import vietnamese
from casemgr.extensions import db
from casemgr.org.models import Area, AreaLevel, Unit
from casemgr.org.queries import communes_for_units, tree_order
from casemgr.programmes.models import (
    Activity,
    ActivityKind,
    Enrolment,
    Indicator,
    InterventionModel,
    MonitoringVisit,
    YearlyTarget,
)
from casemgr.programmes.policy import applies_to, manage_scope, view_scope
from casemgr.support.models import ServiceDelivery


def visible_models(user: User) -> Select:
    """Every model the user may see (those their units run or oversee, and those of the units
    above them), by name: a select to refine or paginate. The registry, the loader and the
    enrolment choices all start from this scope."""
    return (
        select(InterventionModel)
        .join(Unit, Unit.id == InterventionModel.unit_id)
        .where(view_scope(user).condition(Unit.path))
        .order_by(vietnamese(InterventionModel.name), InterventionModel.id)
    )


def load_model(user: User, model_id: int, *, manage: bool = False) -> InterventionModel:
    """A model for a user: 404 outside their scope, 403 when seen but not theirs to manage.

    Refusals are audited; reading a model is not (it holds no personal data).
    """
    model = db.session.get(InterventionModel, model_id)
    if model is None or not view_scope(user).covers(model.unit.path):
        record("programme.view", actor=user, object_type="intervention_model",
               object_id=model_id, outcome="denied", reason="out of scope")  # fmt: skip
        raise NotFound()
    if manage and not manage_scope(user).covers(model.unit.path):
        record("programme.change", actor=user, object_type="intervention_model",
               object_id=model_id, outcome="denied", reason="not managed")  # fmt: skip
        raise Forbidden()
    return model


def may_view(user: User, model: InterventionModel) -> bool:
    """Whether the user may open the model's pages (the loader's rule, without its audit)."""
    return view_scope(user).covers(model.unit.path)


def may_manage(user: User, model: InterventionModel) -> bool:
    """Whether the user may change the model and record its activities, visits and targets."""
    return manage_scope(user).covers(model.unit.path)


def manageable_units(user: User) -> list[Unit]:
    """Open units a user may make the owner of a model, in tree order."""
    today = clock.today()
    return list(
        db.session.scalars(
            select(Unit)
            .where(
                manage_scope(user).condition(Unit.path),
                Unit.valid_from <= today,
                or_(Unit.valid_to.is_(None), Unit.valid_to > today),
            )
            .order_by(tree_order())
        )
    )


def servable_areas(units: list[Unit]) -> list[Area]:
    """Areas a model owned by one of `units` may serve: every current province, and the
    communes of the provinces those units (or the units above them) serve."""
    provinces = db.session.scalars(
        select(Area)
        .where(Area.level == AreaLevel.PROVINCE, Area.valid_to.is_(None))
        .order_by(vietnamese(Area.name), Area.id)
    ).all()
    return [*provinces, *communes_for_units(units)]


def activity_areas(model: InterventionModel) -> list[Area]:
    """Where a model's activities can take place: its areas and the communes of its provinces."""
    ids = [area.id for area in model.areas]
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Area)
            .where(or_(Area.id.in_(ids), and_(Area.parent_id.in_(ids), Area.valid_to.is_(None))))
            .order_by(vietnamese(Area.name), Area.id)
        )
    )


def enrolment_choices(user: User, case_: Case, day: dt.date) -> list[InterventionModel]:
    """Models a case can join on a day: of its group, running, and applying to its unit (run
    by that unit or one above it: models run by the province serve its communes), among the
    models the user may see."""
    return list(
        db.session.scalars(
            visible_models(user).where(
                applies_to(case_.unit.path).condition(Unit.path),
                InterventionModel.group_code == case_.group_code,
                InterventionModel.starts_on <= day,
                or_(InterventionModel.ends_on.is_(None), InterventionModel.ends_on >= day),
            )
        )
    )


def case_enrolments(case_id: int) -> list[Enrolment]:
    """A case's enrolments, current ones first, then by date."""
    return list(
        db.session.scalars(
            select(Enrolment)
            .where(Enrolment.case_id == case_id)
            .order_by(Enrolment.left_on.is_not(None), Enrolment.enrolled_on.desc())
        )
    )


def open_enrolment(model_id: int, case_id: int) -> Enrolment | None:
    """The case's current enrolment in the model, if any."""
    return db.session.scalar(
        select(Enrolment).where(
            Enrolment.model_id == model_id,
            Enrolment.case_id == case_id,
            Enrolment.left_on.is_(None),
        )
    )


def model_participants(user: User, model: InterventionModel) -> Select:
    """(case, enrolment) rows of a model, restricted to the cases the user may see, current
    first; the read of this case list is audited here."""
    record("programme.participants", actor=user, object_type="intervention_model",
           object_id=model.id)  # fmt: skip
    return (
        visible_cases(user)
        .join(Enrolment, Enrolment.case_id == Case.id)
        .where(Enrolment.model_id == model.id)
        .add_columns(Enrolment)
        .order_by(Enrolment.left_on.is_not(None), Enrolment.enrolled_on.desc(), Enrolment.id)
    )


def model_activities(model_id: int) -> Select:
    """A model's activities, newest first (paginate)."""
    return (
        select(Activity)
        .where(Activity.model_id == model_id)
        .order_by(Activity.held_on.desc(), Activity.id.desc())
    )


def model_visits(model_id: int) -> Select:
    """A model's monitoring visits, newest first (paginate)."""
    return (
        select(MonitoringVisit)
        .where(MonitoringVisit.model_id == model_id)
        .order_by(MonitoringVisit.visited_on.desc(), MonitoringVisit.id.desc())
    )


@dataclass(frozen=True)
class ModelCounts:
    """Headline numbers of a model page."""

    current_participants: int
    activities: int
    visits: int


def model_counts(model_id: int) -> ModelCounts:
    """Current participants (distinct persons), activities and visits of a model (one query)."""
    participants = (
        select(func.count(func.distinct(Case.person_id)))
        .select_from(Enrolment)
        .join(Case, Case.id == Enrolment.case_id)
        .where(Enrolment.model_id == model_id, Enrolment.left_on.is_(None))
        .scalar_subquery()
    )
    activities = select(func.count()).where(Activity.model_id == model_id).scalar_subquery()
    visits = select(func.count()).where(MonitoringVisit.model_id == model_id).scalar_subquery()
    row = db.session.execute(select(participants, activities, visits)).one()
    return ModelCounts(*row)


# -- targets and actuals ---------------------------------------------------------------------


class TargetRow(NamedTuple):
    """One indicator of one model in one year: the target (None if none set) and the actual.

    A tuple, so `for model, indicator, target, actual in rows` works as well as attributes.
    """

    model: InterventionModel
    indicator: Indicator
    target: int | None
    actual: int

    @property
    def percent(self) -> int | None:
        """Actual as a whole percentage of the target (None without a positive target)."""
        if not self.target:
            return None
        return round(100 * self.actual / self.target)

    @property
    def bar(self) -> int:
        """Width of the progress bar: the percentage capped at 100, in steps of 5 (CSS)."""
        return min(100, 5 * round((self.percent or 0) / 5))


def _year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def compute_actuals(model_ids: list[int], year: int) -> dict[tuple[int, Indicator], int]:
    """Every indicator's actual for the models in one year, from stored facts (4 queries).

    - persons enrolled: distinct persons whose enrolment started in the year;
    - persons assisted: distinct persons given a service (casemgr.support) in the year on a
      day they were enrolled in the model;
    - community sessions held, their summed attendance, staff trained (summed attendance of
      training courses), monitoring visits made: dated in the year.
    """
    if not model_ids:
        return {}
    first, last = _year_bounds(year)
    actuals: dict[tuple[int, Indicator], int] = {}
    enrolled = db.session.execute(
        select(Enrolment.model_id, func.count(func.distinct(Case.person_id)))
        .join(Case, Case.id == Enrolment.case_id)
        .where(Enrolment.model_id.in_(model_ids), Enrolment.enrolled_on.between(first, last))
        .group_by(Enrolment.model_id)
    )
    actuals |= {(m, Indicator.PERSONS_ENROLLED): n for m, n in enrolled}
    assisted = db.session.execute(
        select(Enrolment.model_id, func.count(func.distinct(Case.person_id)))
        .join(Case, Case.id == Enrolment.case_id)
        .join(ServiceDelivery, ServiceDelivery.case_id == Enrolment.case_id)
        .where(
            Enrolment.model_id.in_(model_ids),
            ServiceDelivery.current(),
            ServiceDelivery.delivered_on.between(first, last),
            ServiceDelivery.delivered_on >= Enrolment.enrolled_on,
            or_(Enrolment.left_on.is_(None), ServiceDelivery.delivered_on <= Enrolment.left_on),
        )
        .group_by(Enrolment.model_id)
    )
    actuals |= {(m, Indicator.PERSONS_ASSISTED): n for m, n in assisted}
    attendance = Activity.men + Activity.women + Activity.unspecified
    is_session = Activity.kind == ActivityKind.COMMUNITY_SESSION
    is_training = Activity.kind == ActivityKind.STAFF_TRAINING
    activities = db.session.execute(
        select(
            Activity.model_id,
            func.sum(case((is_session, 1), else_=0)),
            func.sum(case((is_session, attendance), else_=0)),
            func.sum(case((is_training, attendance), else_=0)),
        )
        .where(Activity.model_id.in_(model_ids), Activity.held_on.between(first, last))
        .group_by(Activity.model_id)
    )
    for model_id, sessions, session_people, trained in activities:
        actuals[(model_id, Indicator.COMMUNITY_SESSIONS)] = int(sessions or 0)
        actuals[(model_id, Indicator.SESSION_PARTICIPANTS)] = int(session_people or 0)
        actuals[(model_id, Indicator.STAFF_TRAINED)] = int(trained or 0)
    visits = db.session.execute(
        select(MonitoringVisit.model_id, func.count())
        .where(
            MonitoringVisit.model_id.in_(model_ids),
            MonitoringVisit.visited_on.between(first, last),
        )
        .group_by(MonitoringVisit.model_id)
    )
    actuals |= {(m, Indicator.MONITORING_VISITS): n for m, n in visits}
    return actuals


def _targets(model_ids: list[int], year: int) -> dict[tuple[int, Indicator], int]:
    if not model_ids:
        return {}
    rows = db.session.execute(
        select(YearlyTarget.model_id, YearlyTarget.indicator, YearlyTarget.target).where(
            YearlyTarget.model_id.in_(model_ids), YearlyTarget.year == year
        )
    )
    return {(m, indicator): target for m, indicator, target in rows}


def rows_for(models: list[InterventionModel], year: int) -> list[TargetRow]:
    """Targets vs actuals of the given models, every indicator in a fixed order."""
    ids = [m.id for m in models]
    actuals, targets = compute_actuals(ids, year), _targets(ids, year)
    return [
        TargetRow(
            model,
            indicator,
            targets.get((model.id, indicator)),
            actuals.get((model.id, indicator), 0),
        )
        for model in models
        for indicator in Indicator
    ]


def targets_vs_actuals(user: User, year: int) -> list[TargetRow]:
    """Public API for reports: per model in the user's scope that runs in `year` or has a
    target for it, one row per indicator (model, indicator, target or None, actual).

    Scope is the model list's: a commune supervisor gets the models of their subtree and
    those of the units above it (a provincial model with the whole model's actuals, as on its
    results page).
    Actuals are counts over every enrolled case (aggregates, not case lists); suppressing
    small cells is the publishing report's job. 7 queries whatever the number of models.
    """
    first, last = _year_bounds(year)
    has_target = select(YearlyTarget.model_id).where(YearlyTarget.year == year)
    models = list(
        db.session.scalars(
            visible_models(user).where(
                or_(
                    and_(
                        InterventionModel.starts_on <= last,
                        or_(
                            InterventionModel.ends_on.is_(None),
                            InterventionModel.ends_on >= first,
                        ),
                    ),
                    InterventionModel.id.in_(has_target),
                )
            )
        )
    )
    return rows_for(models, year)
