"""Fixtures for supervision tests: a province, two communes, their workers and a spread of cases."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

import pytest

from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.cases.models import Case, CaseNote, CaseTransitionLog, NoteKind, RiskLevel
from casemgr.cases.workflow import Status
from casemgr.clock import utcnow
from casemgr.org.models import Unit, UnitKind
from casemgr.rules.models import EmergencyAction, EmergencyMeasure
from tests.cases.conftest import open_child_case

STATUSES = (
    Status.INTAKE,
    Status.DETAILED_ASSESSMENT,
    Status.PLAN_DRAFTED,
    Status.IMPLEMENTATION,
    Status.CLOSURE_REQUESTED,
    Status.CLOSED,
)
AFTER_PLAN = {Status.PLAN_DRAFTED, Status.IMPLEMENTATION, Status.CLOSURE_REQUESTED, Status.CLOSED}


@dataclass
class Office:
    province: Unit
    commune: Unit
    other_commune: Unit
    workers: list[User]  # social workers of the commune
    other_worker: User  # social worker of the other commune
    supervisor: User  # of the commune
    other_supervisor: User  # of the other commune
    lead: User  # provincial supervisor
    now: dt.datetime
    cases: list[Case] = field(default_factory=list)
    notes: dict[int, list[dt.date]] = field(default_factory=dict)  # case id -> note dates

    def add_cases(self, count: int, unit: Unit, owners: list[User], seed: int) -> None:
        """Cases opened 0-60 days ago, random statuses, risks, notes and deadlines met or not."""
        rng = random.Random(seed)
        for _ in range(count):
            owner = rng.choice(owners)
            case = open_child_case(owner, unit)
            opened = self.now - dt.timedelta(hours=rng.randint(1, 60 * 24))
            case.opened_at = opened
            case.risk_level = rng.choice(list(RiskLevel))
            case.status = rng.choice(STATUSES)
            db = _session()
            if case.status in AFTER_PLAN:
                db.add(
                    CaseTransitionLog(
                        case_id=case.id,
                        transition="submit_plan",
                        from_status=Status.DETAILED_ASSESSMENT,
                        to_status=Status.PLAN_DRAFTED,
                        actor_id=owner.id,
                        occurred_at=min(opened + dt.timedelta(hours=rng.randint(1, 200)), self.now),
                    )
                )
                if case.status in (Status.PLAN_DRAFTED, Status.CLOSURE_REQUESTED):
                    case.submitted_by_id = owner.id
            if rng.random() < 0.5:
                db.add(
                    EmergencyAction(
                        case_id=case.id,
                        measure=EmergencyMeasure.SAFE_PLACEMENT,
                        taken_at=min(opened + dt.timedelta(hours=rng.randint(1, 24)), self.now),
                        recorded_by_id=owner.id,
                    )
                )
            dates = []
            for _ in range(rng.randint(0, 3)):
                day = (self.now - dt.timedelta(days=rng.randint(0, 70))).date()
                note = CaseNote(
                    case_id=case.id,
                    person_id=case.person_id,
                    kind=NoteKind.VISIT,
                    occurred_on=day,
                    author_id=owner.id,
                )
                note.body = "Thăm gia đình."
                db.add(note)
                dates.append(day)
            self.notes[case.id] = dates
            db.flush()
            self.cases.append(case)


def _session():
    from casemgr.extensions import db

    return db.session


@pytest.fixture
def office(make) -> Office:
    province = make.unit(kind=UnitKind.PROVINCIAL_DEPARTMENT)
    commune, other_commune = make.unit(province), make.unit(province)
    office = Office(
        province=province,
        commune=commune,
        other_commune=other_commune,
        workers=[make.user(Role.SOCIAL_WORKER, commune) for _ in range(3)],
        other_worker=make.user(Role.SOCIAL_WORKER, other_commune),
        supervisor=make.user(Role.SUPERVISOR, commune),
        other_supervisor=make.user(Role.SUPERVISOR, other_commune),
        lead=make.user(Role.SUPERVISOR, province),
        now=utcnow(),
    )
    office.add_cases(10, commune, office.workers[:2], seed=7)  # the third worker has none
    office.add_cases(4, other_commune, [office.other_worker], seed=8)
    return office
