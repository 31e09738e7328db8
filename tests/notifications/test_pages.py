"""The pages: a comment is required to return or decline (message under the field, nothing lost),
optional to approve; the notification centre lists, links, marks read, and is one's own."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from casemgr.audit.models import AuditEvent
from casemgr.cases import services, transfers
from casemgr.cases.models import CaseEvent
from casemgr.cases.workflow import Status
from casemgr.notifications.models import Notification, NotificationKind
from casemgr.notifications.services import notify
from tests.cases.conftest import record_detailed_assessment
from tests.cases.test_transfers import _consent

COMMENT = "Kế hoạch chưa có mục tiêu về học tập của trẻ."


def _sign_in(client, user, locale: str = "en") -> None:
    client._cookies.clear()
    assert client.login(user).status_code == 302
    client.post_form("/auth/language", {"locale": locale})


def _submitted(casework, db) -> None:
    case, worker = casework.case, casework.worker
    record_detailed_assessment(worker, case)
    for name in ("verify", "assess", "assess_in_detail", "submit_plan"):
        services.take_transition(
            worker, case, casework.access(worker), name, expected_version=case.version
        )
    db.session.commit()


def _fresh(db, obj):
    """The row as the database holds it now (a request ends the session objects came from)."""
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def _counts(db, case_id: int) -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).where(CaseEvent.case_id == case_id)),
        db.session.scalar(select(func.count()).select_from(Notification)),
    )


@pytest.mark.parametrize("comment", ["", "   \n  "])
def test_returning_a_plan_without_a_comment_is_refused_under_the_field(
    client, casework, db, comment
):
    _submitted(casework, db)
    case = casework.case
    _sign_in(client, casework.supervisor)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Comment (required)" in page and 'aria-required="true"' in page
    before = _counts(db, case.id)
    response = client.post_form(
        f"/cases/{case.id}/transition",
        {
            "transition": "return_plan",
            "version": case.version,
            "reason": comment,
            "understood": "y",
        },
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    field = html.split('id="reason-return_plan"', 1)[1].split("</form>", 1)[0]
    assert "Say why: a comment is required when you return or decline." in field
    assert 'aria-invalid="true"' in html.split('id="reason-return_plan"', 1)[0][-400:] + field
    # The box ticked stays ticked: only the comment is asked for again.
    box = re.search(r'<input[^>]*data-testid="understood-return_plan"[^>]*>', field).group(0)
    assert " checked" in box
    assert _fresh(db, case).status == Status.PLAN_DRAFTED
    assert _counts(db, case.id) == before  # nothing recorded, nobody told


def test_the_message_is_in_vietnamese_for_a_vietnamese_user(client, casework, db):
    _submitted(casework, db)
    case = casework.case
    _sign_in(client, casework.supervisor, "vi")
    html = client.post_form(
        f"/cases/{case.id}/transition",
        {"transition": "return_plan", "version": case.version, "reason": "", "understood": "y"},
    ).get_data(as_text=True)
    assert 'class="invalid-feedback' in html
    assert 'lang="vi"' in html


def test_a_comment_that_is_too_long_comes_back_in_the_field(client, casework, db):
    _submitted(casework, db)
    case = casework.case
    _sign_in(client, casework.supervisor)
    long_comment = COMMENT + " x" * 1200
    html = client.post_form(
        f"/cases/{case.id}/transition",
        {
            "transition": "return_plan",
            "version": case.version,
            "reason": long_comment,
            "understood": "y",
        },
    ).get_data(as_text=True)
    textarea = re.search(r'id="reason-return_plan"[^>]*>(.*?)</textarea>', html, re.S)
    assert textarea and textarea.group(1) == long_comment  # nothing lost
    assert _fresh(db, case).status == Status.PLAN_DRAFTED


def test_the_service_refuses_a_return_or_decline_without_a_comment(casework, db):
    _submitted(casework, db)
    case, supervisor = casework.case, casework.supervisor
    with pytest.raises(services.CaseError, match="comment required"):
        services.take_transition(
            supervisor, case, casework.access(supervisor), "return_plan",
            expected_version=case.version, reason="  ",
        )  # fmt: skip
    assert {"return_plan", "decline_closure", "request_closure"} == services.COMMENT_REQUIRED


def test_approving_needs_no_comment_and_a_return_comment_reaches_the_timeline(client, casework, db):
    _submitted(casework, db)
    case = casework.case
    _sign_in(client, casework.supervisor)
    response = client.post_form(
        f"/cases/{case.id}/transition",
        {
            "transition": "return_plan",
            "version": case.version,
            "reason": COMMENT,
            "understood": "y",
        },
    )
    assert response.status_code == 302
    _sign_in(client, casework.worker)
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert COMMENT in html.split('data-testid="timeline"', 1)[1]
    case = _fresh(db, case)
    services.take_transition(
        casework.worker, case, casework.access(casework.worker, case), "submit_plan",
        expected_version=case.version,
    )  # fmt: skip
    db.session.commit()
    _sign_in(client, casework.supervisor)
    response = client.post_form(
        f"/cases/{case.id}/transition",
        {"transition": "approve_plan", "version": case.version, "reason": "", "understood": "y"},
    )
    assert response.status_code == 302
    assert _fresh(db, case).status == Status.PLAN_APPROVED


def _items(html: str) -> list[str]:
    block = html.split('data-testid="notifications"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r"<li[^>]*>.*?</li>", block, flags=re.S)


def test_the_centre_lists_links_and_marks_read(client, casework, db):
    _submitted(casework, db)
    case, worker = casework.case, casework.worker
    services.take_transition(
        casework.supervisor, case, casework.access(casework.supervisor), "return_plan",
        expected_version=case.version, reason=COMMENT,
    )  # fmt: skip
    db.session.commit()
    _sign_in(client, worker)
    dashboard = client.get("/dashboard").get_data(as_text=True)
    badge = dashboard.split('data-testid="notifications-badge"', 1)[1].split("</a>", 1)[0]
    assert ">1<" in badge
    html = client.get("/notifications/").get_data(as_text=True)
    (item,) = _items(html)
    assert "Plan returned for changes" in item and 'data-read="no"' in item
    assert f'href="/cases/{case.id}"' in item and case.number in item
    assert COMMENT not in html  # the comment is on the case page, not in the notification
    note = db.session.scalar(select(Notification).where(Notification.user_id == worker.id))
    # Someone else cannot mark it read (the same answer as for an unknown id), and it is audited.
    _sign_in(client, casework.colleague)
    response = client.post_form("/notifications/read", {"notification_id": note.id})
    assert response.status_code == 404
    assert _fresh(db, note).read_at is None
    denied = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.actor_id == casework.colleague.id, AuditEvent.action == "notification.read"
        )
    )
    assert denied.outcome == "denied"
    _sign_in(client, worker)
    response = client.post_form("/notifications/read", {"notification_id": note.id})
    assert response.status_code == 302
    assert _fresh(db, note).read_at is not None
    html = client.get("/notifications/").get_data(as_text=True)
    (item,) = _items(html)
    assert 'data-read="yes"' in item
    badge = html.split('data-testid="notifications-badge"', 1)[1].split("</a>", 1)[0]
    assert "badge" not in badge  # no count when nothing is unread


def test_mark_all_read_and_pages(client, casework, db, app):
    worker = casework.worker
    per_page = app.config["PER_PAGE"]
    for _ in range(per_page + 3):
        notify([worker], NotificationKind.CASE_ASSIGNED, casework.case)
    notify([casework.colleague], NotificationKind.CASE_ASSIGNED, casework.case)
    db.session.commit()
    _sign_in(client, worker)
    assert len(_items(client.get("/notifications/").get_data(as_text=True))) == per_page
    assert len(_items(client.get("/notifications/?page=2").get_data(as_text=True))) == 3
    response = client.post_form("/notifications/read-all")
    assert response.status_code == 302
    unread = select(func.count()).where(Notification.read_at.is_(None))
    assert db.session.scalar(unread.where(Notification.user_id == worker.id)) == 0
    # Only one's own.
    assert db.session.scalar(unread.where(Notification.user_id == casework.colleague.id)) == 1


def test_a_case_handed_on_is_named_but_not_linked(client, casework, db):
    _consent(casework)
    case, worker = casework.case, casework.worker
    transfers.request_transfer(
        worker, case, casework.access(worker), to_unit=casework.other_commune,
        reason="Gia đình chuyển về xã khác, cần cán bộ ở đó theo dõi.",
    )  # fmt: skip
    transfers.accept_transfer(
        casework.other_supervisor, transfers.open_transfer(case), new_owner=casework.outsider,
        expected_version=case.version,
    )  # fmt: skip
    db.session.commit()
    _sign_in(client, worker)
    (item,) = _items(client.get("/notifications/").get_data(as_text=True))
    assert "Transfer accepted" in item and case.number in item
    assert "you can no longer see this case" in item and "href=" not in item
    assert client.get(f"/cases/{case.id}").status_code == 404  # the loader refuses anyway
    _sign_in(client, casework.outsider)
    (item,) = _items(client.get("/notifications/").get_data(as_text=True))
    assert "Case assigned to you" in item and f'href="/cases/{case.id}"' in item
