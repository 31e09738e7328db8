"""The case history: after a reassignment the timeline still names who opened the case, and
shows the reassignment itself with who, when and the sealed reason."""

from __future__ import annotations

import re

from casemgr.supervision.models import ReassignReason
from casemgr.supervision.services import Choice, reassign_cases

REASON = "Chị Mai nghỉ phép dài ngày, anh Tú nhận thay"  # synthetic marker


def _timeline_items(html: str) -> list[str]:
    block = html.split('data-testid="timeline"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r"<li[^>]*>(.*?)</li>", block, flags=re.S)


def test_reassignment_keeps_the_opener_and_shows_in_the_timeline(client, casework, db):
    case, opener, new_owner = casework.case, casework.worker, casework.colleague
    reassign_cases(
        casework.supervisor,
        [Choice(case.id, case.version)],
        new_owner.id,
        reason=ReassignReason.ABSENCE,
        reason_text=REASON,
    )
    db.session.commit()
    client.login(new_owner)
    client.post_form("/auth/language", {"locale": "en"})
    response = client.get(f"/cases/{case.id}")
    assert response.status_code == 200
    items = _timeline_items(response.get_data(as_text=True))
    opened = [item for item in items if "Case opened" in item]
    assert len(opened) == 1
    assert opener.display_name in opened[0]
    assert new_owner.display_name not in opened[0]
    moved = [item for item in items if "Reassigned" in item]
    assert len(moved) == 1
    assert casework.supervisor.display_name in moved[0]
    assert opener.display_name in moved[0] and new_owner.display_name in moved[0]
    assert REASON in moved[0]
