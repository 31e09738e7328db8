"""Reads of reference data for forms and labels."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from casemgr.extensions import db
from casemgr.reference.models import Ethnicity, SubGroup, TargetGroup


def target_groups() -> list[TargetGroup]:
    """Active target groups in their seed order."""
    return list(db.session.scalars(select(TargetGroup).where(TargetGroup.is_active)))


def sub_groups(group_code: str) -> list[SubGroup]:
    """Active sub-groups of one group, by code."""
    return list(
        db.session.scalars(
            select(SubGroup)
            .where(SubGroup.group_code == group_code, SubGroup.is_active)
            .order_by(SubGroup.id)
        )
    )


def sub_groups_by_group() -> dict[str, list[SubGroup]]:
    """Every active sub-group, grouped by target group code."""
    grouped: dict[str, list[SubGroup]] = defaultdict(list)
    for sub in db.session.scalars(select(SubGroup).where(SubGroup.is_active).order_by(SubGroup.id)):
        grouped[sub.group_code].append(sub)
    return grouped


def sub_groups_by_ids(ids: list[int]) -> list[SubGroup]:
    """The sub-groups with these ids."""
    if not ids:
        return []
    return list(db.session.scalars(select(SubGroup).where(SubGroup.id.in_(ids))))


def ethnicities() -> list[Ethnicity]:
    """Active ethnic groups by official code."""
    return list(
        db.session.scalars(select(Ethnicity).where(Ethnicity.is_active).order_by(Ethnicity.code))
    )
