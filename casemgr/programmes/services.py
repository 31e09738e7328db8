"""Verbs over intervention models: register and change models, enrol cases and end their
enrolment, record activities and monitoring visits, set yearly targets. Each flushes and
audits; none commits."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from casemgr import clock
from casemgr.audit import record
from casemgr.auth.models import User
from casemgr.cases.dates import check_case_date
from casemgr.cases.models import Case
from casemgr.cases.policy import CaseAccess
from casemgr.extensions import db
from casemgr.org.models import Area, Unit
from casemgr.programmes import queries
from casemgr.programmes.models import (
    Activity,
    ActivityKind,
    Enrolment,
    Finding,
    Indicator,
    InterventionModel,
    MonitoringVisit,
    YearlyTarget,
)
from casemgr.programmes.policy import manage_scope

MAX_COUNT = 100_000  # attendance above this is a typing error, not a session
YEARS = range(2000, 2101)


class ProgrammeError(ValueError):
    """A change that breaks a rule; the code (str) names which, for the view."""


def _require_manage(actor: User, unit: Unit, object_id: int | None = None) -> None:
    if not manage_scope(actor).covers(unit.path):
        record("programme.change", actor=actor, object_type="intervention_model",
               object_id=object_id, outcome="denied", reason="not managed")  # fmt: skip
        raise ProgrammeError("not managed")


def _check_dates(starts_on: dt.date, ends_on: dt.date | None) -> None:
    if ends_on is not None and ends_on < starts_on:
        raise ProgrammeError("ends before it starts")


def create_model(
    actor: User,
    *,
    name: str,
    group_code: str,
    unit: Unit,
    starts_on: dt.date,
    ends_on: dt.date | None,
    areas: list[Area],
    description: str = "",
) -> InterventionModel:
    """Register a model owned by a unit the actor manages."""
    _require_manage(actor, unit)
    _check_dates(starts_on, ends_on)
    model = InterventionModel(
        name=name.strip(), group_code=group_code, unit_id=unit.id, starts_on=starts_on,
        ends_on=ends_on, description=description.strip(), created_by_id=actor.id,
    )  # fmt: skip
    model.areas = list(areas)
    db.session.add(model)
    db.session.flush()
    record("programme.create", actor=actor, object_type="intervention_model",
           object_id=model.id, reason=group_code)  # fmt: skip
    return model


def update_model(
    actor: User,
    model: InterventionModel,
    *,
    name: str,
    unit: Unit,
    starts_on: dt.date,
    ends_on: dt.date | None,
    areas: list[Area],
    description: str = "",
) -> InterventionModel:
    """Change a model's details; the target group stays (its enrolments depend on it)."""
    _require_manage(actor, model.unit, model.id)
    _require_manage(actor, unit, model.id)  # and may not hand it to a unit beyond their reach
    _check_dates(starts_on, ends_on)
    before = {
        "name": model.name, "unit_id": model.unit_id, "starts_on": model.starts_on,
        "ends_on": model.ends_on, "description": model.description,
        "areas": {a.id for a in model.areas},
    }  # fmt: skip
    model.name, model.unit_id, model.unit = name.strip(), unit.id, unit
    model.starts_on, model.ends_on = starts_on, ends_on
    model.description = description.strip()
    model.areas = list(areas)
    after = {
        "name": model.name, "unit_id": model.unit_id, "starts_on": model.starts_on,
        "ends_on": model.ends_on, "description": model.description,
        "areas": {a.id for a in model.areas},
    }  # fmt: skip
    db.session.flush()
    changed = sorted(key for key in before if before[key] != after[key])
    record("programme.update", actor=actor, object_type="intervention_model",
           object_id=model.id, fields=changed)  # fmt: skip
    return model


# -- enrolment -------------------------------------------------------------------------------


def _audit_case(action: str, actor: User, case: Case, access: CaseAccess, object_id: int | None,
                *, reason: str | None = None, outcome: str = "allowed") -> None:  # fmt: skip
    record(action, actor=actor, object_type="enrolment", object_id=object_id, case_id=case.id,
           reason=reason, outcome=outcome, is_break_glass=access.is_break_glass)  # fmt: skip


def enrol_case(
    actor: User,
    case: Case,
    access: CaseAccess,
    model: InterventionModel,
    enrolled_on: dt.date,
) -> Enrolment:
    """Enrol a case the actor may write into a model open to it on that day.

    The caller loads the case with Need.WRITE; this re-checks, so no other path slips by.
    """
    if not access.can_write:
        raise ProgrammeError("read only")
    check_case_date(case, enrolled_on, "enrolled_on")  # the case work's dates (cases.dates)
    if model not in queries.enrolment_choices(actor, case, enrolled_on):
        _audit_case("programme.enrol", actor, case, access, None,
                    reason=f"model {model.id} not open to the case", outcome="denied")  # fmt: skip
        raise ProgrammeError("model not open")
    if queries.open_enrolment(model.id, case.id) is not None:
        raise ProgrammeError("already enrolled")
    enrolment = Enrolment(model_id=model.id, case_id=case.id, enrolled_on=enrolled_on,
                          enrolled_by_id=actor.id)  # fmt: skip
    db.session.add(enrolment)
    db.session.flush()
    _audit_case("programme.enrol", actor, case, access, enrolment.id, reason=f"model {model.id}")
    return enrolment


def end_enrolment(
    actor: User, case: Case, access: CaseAccess, enrolment_id: int, left_on: dt.date
) -> Enrolment:
    """Record the day a case left a model."""
    if not access.can_write:
        raise ProgrammeError("read only")
    enrolment = db.session.scalar(
        select(Enrolment).where(Enrolment.id == enrolment_id, Enrolment.case_id == case.id)
    )
    if enrolment is None:
        # An id of another case's enrolment: refused like an unknown one, and audited.
        _audit_case("programme.leave", actor, case, access, enrolment_id,
                    reason="unknown enrolment", outcome="denied")  # fmt: skip
        raise ProgrammeError("unknown enrolment")
    if enrolment.left_on is not None:
        raise ProgrammeError("already left")
    if left_on < enrolment.enrolled_on:
        raise ProgrammeError("leaves before joining")
    check_case_date(case, left_on, "left_on")
    enrolment.left_on, enrolment.left_by_id = left_on, actor.id
    db.session.flush()
    _audit_case(
        "programme.leave", actor, case, access, enrolment.id, reason=f"model {enrolment.model_id}"
    )
    return enrolment


# -- activities, visits, targets -------------------------------------------------------------


def record_activity(
    actor: User,
    model: InterventionModel,
    *,
    kind: ActivityKind,
    held_on: dt.date,
    area: Area,
    title: str,
    men: int,
    women: int,
    unspecified: int,
    duration_minutes: int,
) -> Activity:
    """Record a community session or training course: counts by sex, never names."""
    _require_manage(actor, model.unit, model.id)
    if area not in queries.activity_areas(model):
        raise ProgrammeError("area not served")
    counts = (men, women, unspecified)
    if any(n < 0 or n > MAX_COUNT for n in counts) or sum(counts) == 0:
        raise ProgrammeError("bad counts")
    if duration_minutes <= 0:
        raise ProgrammeError("bad duration")
    if held_on > clock.today():
        raise ProgrammeError("in the future")
    activity = Activity(
        model_id=model.id, kind=kind, held_on=held_on, area_id=area.id, title=title.strip(),
        men=men, women=women, unspecified=unspecified, duration_minutes=duration_minutes,
        recorded_by_id=actor.id,
    )  # fmt: skip
    db.session.add(activity)
    db.session.flush()
    record("programme.activity", actor=actor, object_type="programme_activity",
           object_id=activity.id, reason=f"model {model.id}: {kind}")  # fmt: skip
    return activity


def record_visit(
    actor: User, model: InterventionModel, *, visited_on: dt.date, unit: Unit, finding: Finding
) -> MonitoringVisit:
    """Record a monitoring or inspection visit to a unit and what it found."""
    _require_manage(actor, model.unit, model.id)
    if visited_on > clock.today():
        raise ProgrammeError("in the future")
    visit = MonitoringVisit(model_id=model.id, visited_on=visited_on, unit_id=unit.id,
                            finding=finding, recorded_by_id=actor.id)  # fmt: skip
    db.session.add(visit)
    db.session.flush()
    record("programme.visit", actor=actor, object_type="monitoring_visit",
           object_id=visit.id, reason=f"model {model.id}: {finding}")  # fmt: skip
    return visit


def set_targets(
    actor: User, model: InterventionModel, year: int, targets: dict[Indicator, int | None]
) -> None:
    """Set (or with None, remove) a model's targets for a year; actuals are never typed in."""
    _require_manage(actor, model.unit, model.id)
    if year not in YEARS:
        raise ProgrammeError("bad year")
    if any(value is not None and not 0 <= value <= 10_000_000 for value in targets.values()):
        raise ProgrammeError("bad target")
    existing = {
        t.indicator: t
        for t in db.session.scalars(
            select(YearlyTarget).where(YearlyTarget.model_id == model.id, YearlyTarget.year == year)
        )
    }
    changed = []
    for indicator, value in targets.items():
        current = existing.get(indicator)
        if value is None:
            if current is not None:
                db.session.delete(current)
                changed.append(str(indicator))
        elif current is None:
            db.session.add(YearlyTarget(model_id=model.id, year=year, indicator=indicator,
                                        target=value, set_by_id=actor.id))  # fmt: skip
            changed.append(str(indicator))
        elif current.target != value:
            current.target, current.set_by_id = value, actor.id
            changed.append(str(indicator))
    db.session.flush()
    record("programme.targets", actor=actor, object_type="intervention_model",
           object_id=model.id, fields=changed, reason=str(year))  # fmt: skip
