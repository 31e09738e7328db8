"""Fixtures for group records: the casework world plus a drug case and a violence case."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from casemgr.cases import services
from casemgr.cases.models import Case, ProtectionLevel, RiskLevel
from casemgr.people.services import register_person
from casemgr.reference import queries as reference
from tests.cases.conftest import Casework, casework  # noqa: F401  (the fixture)


def open_group_case(worker, unit, group: str, *, sub_groups: tuple[str, ...] = ()) -> Case:
    """A case of `group` for a new adult person, owned by `worker`."""
    person = register_person(
        worker, sex="male", birth_year=1990, surname="Lê", middle_name="Văn", given_name="Hùng"
    )
    return services.open_case(
        worker,
        person=person,
        group_code=group,
        sub_groups=[s for s in reference.sub_groups(group) if s.code in sub_groups],
        protection_level=ProtectionLevel.SUPPORT,
        risk_level=RiskLevel.MEDIUM,
        unit=unit,
        summary="Báo cáo ban đầu.",
    )


@dataclass
class Groups:
    work: Casework
    drugs: Case
    violence: Case

    def access(self, case: Case, user=None):
        return self.work.access(user or self.work.worker, case)


@pytest.fixture
def groups(casework) -> Groups:  # noqa: F811
    return Groups(
        work=casework,
        drugs=open_group_case(
            casework.worker, casework.commune, "drugs", sub_groups=("voluntary",)
        ),
        violence=open_group_case(casework.worker, casework.commune, "violence"),
    )
