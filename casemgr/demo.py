"""Demo data: one province with ten commune offices and users of every role, all marked DEMO."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from casemgr.admin.services import create_user
from casemgr.auth.roles import Role
from casemgr.extensions import db
from casemgr.org.models import Area, AreaLevel, Unit, UnitKind
from casemgr.org.services import open_unit

DEMO_PASSWORD = "demo-Casemgr-2026"  # noqa: S105 - demo only, printed by make run
DEMO_PROVINCE_CODE = "44"  # Quảng Trị, one of the 34 provinces; any would do
OPENED = dt.date(2025, 7, 1)
COMMUNE_OFFICES = 10

# (username, role, index of the unit: 0 = provincial department, 1.. = commune offices)
DEMO_USERS = (
    ("demo.admin", Role.ADMINISTRATOR, 0),
    ("demo.auditor", Role.AUDITOR, 0),
    ("demo.lead", Role.SUPERVISOR, 0),
    ("demo.sup1", Role.SUPERVISOR, 1),
    ("demo.worker1", Role.SOCIAL_WORKER, 1),
    ("demo.worker2", Role.SOCIAL_WORKER, 1),
    ("demo.sup2", Role.SUPERVISOR, 2),
    ("demo.worker3", Role.SOCIAL_WORKER, 2),
)


def load_demo_data() -> tuple[bool, list[tuple[str, str, str]]]:
    """Create the demo province once; return whether it was created and the demo logins."""
    root = db.session.scalar(select(Unit).where(Unit.code == "DEMO-PROV"))
    created = root is None
    if created:
        province = db.session.scalar(
            select(Area).where(
                Area.level == AreaLevel.PROVINCE,
                Area.code == DEMO_PROVINCE_CODE,
                Area.valid_to.is_(None),
            )
        )
        if province is None:
            raise RuntimeError("areas are not loaded: run 'flask --app wsgi casemgr init' first")
        communes = list(
            db.session.scalars(
                select(Area)
                .where(Area.parent_id == province.id)
                .order_by(Area.code)
                .limit(COMMUNE_OFFICES)
            )
        )
        units = [
            open_unit(
                None,
                code="DEMO-PROV",
                name=f"[DEMO] Sở Y tế {province.name}",
                kind=UnitKind.PROVINCIAL_DEPARTMENT,
                parent=None,
                valid_from=OPENED,
                areas=[province],
            )
        ]
        for number, commune in enumerate(communes, start=1):
            units.append(
                open_unit(
                    None,
                    code=f"DEMO-C{number:02d}",
                    name=f"[DEMO] Văn phòng {commune.name}",
                    kind=UnitKind.COMMUNE_OFFICE,
                    parent=units[0],
                    valid_from=OPENED,
                    areas=[commune],
                )
            )
        for username, role, index in DEMO_USERS:
            create_user(
                None,
                username=username,
                display_name=f"[DEMO] {username}",
                email=None,
                role=role,
                unit=units[index],
                password=DEMO_PASSWORD,
                is_demo=True,
            )
        db.session.commit()
    codes = {0: "DEMO-PROV", 1: "DEMO-C01", 2: "DEMO-C02"}
    return created, [(u, str(r), codes[i]) for u, r, i in DEMO_USERS]
