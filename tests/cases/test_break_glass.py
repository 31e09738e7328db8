"""Break-glass (L6): a reason is required, the window ends, it opens one case only, and every
action inside it is flagged."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from casemgr.audit.models import AuditEvent
from casemgr.cases.models import BreakGlassGrant, CaseNote
from casemgr.clock import today

REASON = "Trẻ đang gặp nguy hiểm và cán bộ phụ trách vắng mặt hôm nay."


def _break(client, case, reason_type="emergency", reason=REASON):
    return client.post_form(
        "/cases/break-glass",
        {"case_number": case.number, "reason_type": reason_type, "reason": reason},
    )


def test_reason_is_required(client, casework, db):
    client.login(casework.outsider)
    for reason in ("", "vì cần"):
        assert _break(client, casework.case, reason=reason).status_code == 200
    assert db.session.scalar(select(BreakGlassGrant)) is None
    assert client.get(f"/cases/{casework.case.id}").status_code == 404


def test_emergency_window_allows_recording_and_flags_everything(client, casework, db):
    case = casework.case
    client.login(casework.outsider)
    response = _break(client, case)
    assert response.status_code == 302 and response.headers["Location"] == f"/cases/{case.id}"
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-testid="break-glass-banner"' in page
    response = client.post_form(
        f"/cases/{case.id}/notes",
        {"kind": "phone", "occurred_on": today().isoformat(), "body": "Gọi điện khẩn."},
    )
    assert response.status_code == 302
    note = db.session.scalar(select(CaseNote).where(CaseNote.case_id == case.id))
    assert note.is_break_glass
    events = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.actor_id == casework.outsider.id, AuditEvent.case_id == case.id
        )
    ).all()
    assert events and all(e.is_break_glass for e in events)
    grant = db.session.scalar(select(BreakGlassGrant))
    assert grant.started_at < grant.expires_at and grant.reason == REASON
    assert REASON not in repr([vars(e) for e in events])  # the reason is sealed, not logged


def test_covering_is_read_only(client, casework):
    case = casework.case
    client.login(casework.outsider)
    _break(client, case, reason_type="covering")
    assert client.get(f"/cases/{case.id}").status_code == 200
    response = client.post_form(
        f"/cases/{case.id}/notes", {"kind": "phone", "occurred_on": "2026-11-28", "body": "x"}
    )
    assert response.status_code == 403


def test_window_expires(client, casework, db):
    case = casework.case
    client.login(casework.outsider)
    _break(client, case)
    assert client.get(f"/cases/{case.id}").status_code == 200
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    db.session.execute(update(BreakGlassGrant).values(expires_at=past))
    db.session.commit()
    assert client.get(f"/cases/{case.id}").status_code == 404


def test_grant_opens_one_case_only(client, casework, db):
    from tests.cases.conftest import open_child_case

    second = open_child_case(casework.worker, casework.commune, given="Mai")
    db.session.commit()
    client.login(casework.outsider)
    _break(client, casework.case)
    assert client.get(f"/cases/{casework.case.id}").status_code == 200
    assert client.get(f"/cases/{second.id}").status_code == 404


def test_roles_without_case_access_cannot_break_glass(client, casework):
    client.login(casework.auditor)
    assert _break(client, casework.case).status_code == 403
