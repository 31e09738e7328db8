"""Fixtures for corrections: the casework world, plus one record of each correctable kind."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from casemgr.cases import services as case_services
from casemgr.clock import today
from casemgr.groups import services as group_services
from casemgr.people.registration import add_relative, record_consent
from casemgr.support import queries as support_queries
from casemgr.support import services as support_services
from tests.cases.conftest import Casework, backdate, casework  # noqa: F401  (the fixture)
from tests.groups.conftest import open_group_case

CANARY = "CANARY-correction-7f3a"


@dataclass
class Records:
    work: Casework
    drugs_case: object
    relative: object
    guardian: object
    consent: object
    drug_test: object
    service: object
    note: object
    plan_action: object

    def of(self, kind: str):
        return getattr(self, kind)


@pytest.fixture
def records(casework) -> Records:  # noqa: F811
    work = casework
    case, worker = work.case, work.worker
    access = work.access(worker)
    person = case.person
    day = today() - dt.timedelta(days=10)
    backdate(case, day)  # the case began before the facts recorded on it
    relative = add_relative(worker, person, relationship_kind="sibling", is_guardian=False,
                            name="Nguyễn Văn Anh", phone=None)  # fmt: skip
    guardian = add_relative(worker, person, relationship_kind="mother", is_guardian=True,
                            name="Trần Thị Hoa", phone="0912345678")  # fmt: skip
    consent = record_consent(worker, person, scope="case_work", given_by="guardian",
                             given_on=day, relative=guardian)  # fmt: skip
    drugs = open_group_case(worker, work.commune, "drugs", sub_groups=("voluntary",))
    drugs_access = work.access(worker, drugs)
    programme = group_services.register_programme(
        worker, drugs, drugs_access, kind="voluntary_rehab", registered_on=day
    )
    drug_test = group_services.record_drug_test(
        worker, drugs, drugs_access, programme, tested_on=day, result="negative"
    )
    offered = support_queries.offered_services(case, day)
    service = support_services.deliver_service(
        worker, case, access, service_type=offered[0], delivered_on=day, quantity=1,
        note="Hỗ trợ ban đầu",
    )  # fmt: skip
    note = case_services.add_note(worker, case, access, kind="visit", occurred_on=day,
                                  body="Thăm gia đình.")  # fmt: skip
    for name in ("verify", "assess"):
        case_services.take_transition(worker, case, access, name, expected_version=case.version)
    plan_action = case_services.add_plan_action(
        worker, case, access, goal="An toàn", action="Thăm hằng tuần", responsible="Cán bộ",
        due_on=today() + dt.timedelta(days=5),
    )  # fmt: skip
    return Records(work, drugs, relative, guardian, consent, drug_test, service, note, plan_action)
