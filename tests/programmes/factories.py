"""A model row made directly (for tests that need one without going through the service)."""

from __future__ import annotations

import datetime as dt

from casemgr.extensions import db
from casemgr.programmes.models import InterventionModel


def add_model(unit, creator, *, name: str = "Mô hình thử nghiệm", group_code: str = "child",
              starts_on: dt.date = dt.date(2025, 1, 1), areas=()) -> InterventionModel:  # fmt: skip
    model = InterventionModel(name=name, group_code=group_code, unit_id=unit.id,
                              starts_on=starts_on, created_by_id=creator.id)  # fmt: skip
    model.areas = list(areas)
    db.session.add(model)
    db.session.flush()
    return model
