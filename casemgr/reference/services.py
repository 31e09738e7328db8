"""Loading and updating reference data (idempotent: names are refreshed, nothing is deleted)."""

from __future__ import annotations

from sqlalchemy import select

from casemgr.extensions import db
from casemgr.reference.data import ETHNICITIES, SUB_GROUPS, TARGET_GROUPS
from casemgr.reference.models import Ethnicity, SubGroup, TargetGroup


def load_reference_data() -> dict[str, int]:
    """Insert or refresh the seed lists; return how many rows of each kind there are."""
    for code, name_vi, name_en in ETHNICITIES:
        db.session.merge(Ethnicity(code=code, name_vi=name_vi, name_en=name_en))
    for code, name_vi, name_en in TARGET_GROUPS:
        db.session.merge(TargetGroup(code=code, name_vi=name_vi, name_en=name_en))
    db.session.flush()
    existing = {(s.group_code, s.code): s for s in db.session.scalars(select(SubGroup))}
    for group, code, name_vi, name_en in SUB_GROUPS:
        row = existing.get((group, code))
        if row is None:
            db.session.add(SubGroup(group_code=group, code=code, name_vi=name_vi, name_en=name_en))
        else:
            row.name_vi, row.name_en = name_vi, name_en
    db.session.flush()
    return {
        "ethnicities": len(ETHNICITIES),
        "target_groups": len(TARGET_GROUPS),
        "sub_groups": len(SUB_GROUPS),
    }
