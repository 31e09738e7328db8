"""A save based on a version that another save committed after the page loaded the object is
refused as stale (the "someone else saved" answer), not failed in its flush (a 500)."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from casemgr.cases import services
from casemgr.cases.models import Case, ProtectionLevel
from casemgr.intake import services as intake_services
from casemgr.intake.models import IntakeReport
from casemgr.people import registration
from casemgr.people.models import Person
from tests.intake.conftest import intake  # noqa: F401


def _committed_meanwhile(db, model, obj) -> int:
    """Another request's save: the row's version moves on, this session's copy stays behind."""
    table = model.__table__
    db.session.execute(
        update(table).where(table.c.id == obj.id).values(version=table.c.version + 1)
    )
    return obj.version  # what the page showed, and this session still holds


def test_a_case_saved_meanwhile_is_stale_not_a_flush_error(casework, db):
    case = casework.case
    shown = _committed_meanwhile(db, Case, case)
    with pytest.raises(services.StaleCase) as refused:
        services.update_case(
            casework.worker, case, casework.access(casework.worker),
            expected_version=shown, risk_level=case.risk_level,
            protection_level=ProtectionLevel.PREVENTION, sub_groups=list(case.sub_groups),
            summary=None,
        )  # fmt: skip
    assert refused.value.current.version == shown + 1  # the conflict page shows the latest


def test_a_person_saved_meanwhile_is_stale_not_a_flush_error(casework, db):
    person = db.session.get(Person, casework.case.person_id)
    shown = _committed_meanwhile(db, Person, person)
    with pytest.raises(registration.StalePerson):
        registration.correct(casework.worker, person, expected_version=shown, phone="0912345678")
    assert person.version == shown + 1


def test_an_intake_report_decided_meanwhile_is_stale_not_a_flush_error(intake, db):  # noqa: F811
    report = intake.receive()
    shown = _committed_meanwhile(db, IntakeReport, report)
    with pytest.raises(intake_services.IntakeError, match="stale"):
        intake_services.dismiss_report(
            intake.worker, report, expected_version=shown, reason="Không phải trẻ có nguy cơ."
        )
