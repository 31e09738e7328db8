"""Demo intake reports: a few waiting in the demo communes' queues, one past its 12 hours."""

from __future__ import annotations

import datetime as dt

from casemgr.auth.models import User
from casemgr.clock import utcnow
from casemgr.intake.models import IntakeSource
from casemgr.intake.services import ReportData, receive_report
from casemgr.rules.services import seed_rules

# (receiving user, channel, hours ago, the reporter says the child is in danger now)
DEMO_REPORTS = (
    ("demo.worker1", IntakeSource.HOTLINE, 14, True),
    ("demo.worker1", IntakeSource.WALK_IN, 2, False),
    ("demo.worker3", IntakeSource.PARTNER, 3, True),
)


def load_demo_reports(users: dict[str, User]) -> None:
    """Record the demo reports (synthetic, marked [DEMO]) for the receivers' communes."""
    seed_rules()  # their deadlines come from the seeded rules (idempotent; `init` seeds them too)
    now = utcnow()
    for username, source, hours, danger in DEMO_REPORTS:
        user = users[username]
        data = ReportData(
            situation="[DEMO] Hàng xóm báo trẻ thường bị bỏ đói và đánh. Không phải người thật.",
            location="[DEMO] Thôn 1",
            child_details="[DEMO] Khoảng 9 tuổi",
            is_emergency=danger,
            received_at=now - dt.timedelta(hours=hours),
        )
        receive_report(data, unit=user.roles[0].unit, source=source, received_by=user)
