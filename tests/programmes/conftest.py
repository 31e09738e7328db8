"""Fixtures for intervention models: the case-work world plus a model in each commune."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from casemgr.org.models import Area, AreaLevel
from casemgr.programmes.models import InterventionModel
from tests.cases.conftest import Casework, backdate, casework  # noqa: F401  (re-exported)
from tests.programmes.factories import add_model


@dataclass
class Programmes:
    cw: Casework
    province_area: Area
    commune_area: Area
    commune_model: InterventionModel  # owned by cw.commune (the case's unit)
    other_model: InterventionModel  # owned by cw.other_commune
    province_model: InterventionModel  # owned by cw.province


@pytest.fixture
def programmes(db, casework) -> Programmes:  # noqa: F811
    commune_area = db.session.scalar(
        select(Area).where(Area.level == AreaLevel.COMMUNE, Area.valid_to.is_(None)).limit(1)
    )
    province_area = db.session.get(Area, commune_area.parent_id)
    cw = casework
    # The tests enrol the case from 2025 on, and try a day in 2024 before the models ran: the
    # case began before all of them (an enrolment is never dated before its case).
    backdate(cw.case, dt.date(2024, 1, 1))
    return Programmes(
        cw=cw,
        province_area=province_area,
        commune_area=commune_area,
        commune_model=add_model(
            cw.commune, cw.supervisor, name="Commune model", areas=[commune_area]
        ),
        other_model=add_model(
            cw.other_commune, cw.other_supervisor, name="Other model", areas=[commune_area]
        ),
        province_model=add_model(
            cw.province, cw.lead, name="Province model", areas=[province_area]
        ),
    )
