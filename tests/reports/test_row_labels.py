"""Report rows name services and sub-groups by their target group's name in the user's language,
never by the internal group code ("child: …", "child/a: …")."""

from __future__ import annotations

from sqlalchemy import select

from casemgr.reference.models import SubGroup, TargetGroup
from casemgr.reports.queries import Dimension
from casemgr.reports.tables import labels
from casemgr.support.models import ServiceType


def test_service_and_sub_group_rows_carry_the_group_name_not_its_code(app, db):
    service = db.session.scalars(
        select(ServiceType).where(ServiceType.group_code == "child").limit(1)
    ).one()
    sub_group = db.session.scalars(
        select(SubGroup).where(SubGroup.group_code == "trafficking").limit(1)
    ).one()
    orphan = db.session.scalars(
        select(SubGroup).where(SubGroup.group_code == "child", SubGroup.code == "a")
    ).one()
    child = db.session.get(TargetGroup, "child")
    trafficking = db.session.get(TargetGroup, "trafficking")

    with app.test_request_context(headers={"Accept-Language": "vi"}):
        (service_label,) = labels(Dimension.SERVICE_TYPE, [service.id])
        (sub_group_label,) = labels(Dimension.SUB_GROUP, [sub_group.id])
        (child_label,) = labels(Dimension.SUB_GROUP, [orphan.id])

    assert service_label == f"{child.name_vi}: {service.name_vi}"
    assert sub_group_label == f"{trafficking.name_vi}: {sub_group.name_vi}"
    assert not service_label.startswith("child")
    assert "trafficking" not in sub_group_label
    # Children's sub-groups keep the legal letter users know them by (a-o).
    assert child_label == f"{child.name_vi}: a) {orphan.name_vi}"
