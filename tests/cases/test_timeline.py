"""The case history: after a reassignment the timeline still names who opened the case, and
shows the reassignment itself with who, when and the sealed reason; a case taken through every
kind of change has each one in its history, in order, with actor and reason, and the history is
only ever appended to (by the app and by the database)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from casemgr.audit.models import AuditEvent
from casemgr.cases import queries
from casemgr.cases.models import Case, CaseEvent, CaseEventKind, RiskLevel
from casemgr.clock import local_date
from casemgr.corrections import services as corrections
from casemgr.supervision.models import ReassignReason
from casemgr.supervision.services import Choice, reassign_cases
from tests.cases.conftest import record_detailed_assessment

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


# -- a case through every kind of change ------------------------------------------------------

WHY = {  # synthetic reasons, one per change that takes one
    "co_worker_added": "Cần thêm người đi thăm gia đình vào cuối tuần",
    "co_worker_removed": "Anh Tú chuyển sang phụ trách xã khác",
    "return_plan": "Kế hoạch chưa có mục tiêu về học tập của trẻ",
    "reassigned": "Chị Lan nghỉ ốm dài ngày từ tuần sau",
    "transfer_requested": "Gia đình chuyển về xã khác, cần cán bộ ở đó theo dõi.",
    "transfer_declined": "Địa chỉ mới chưa được xác minh, đề nghị kiểm tra lại",
    "reopen": "Hàng xóm báo trẻ lại bị đánh sau khi đóng hồ sơ",
    "corrected": "Đánh giá lại sau lần tái mở: nguy cơ cao hơn",
}


def _raw_history(db, case_id: int) -> list[tuple]:
    """The case's history rows as the database holds them, every column, oldest first."""
    return [
        tuple(row)
        for row in db.session.execute(
            text("SELECT * FROM case_events WHERE case_id = :case ORDER BY id"), {"case": case_id}
        )
    ]


def _replay(casework, db) -> list[tuple[str, str | None, int, str | None]]:
    """Take the case through every kind of change; after each one the earlier history rows are
    byte for byte what they were, and one or more rows were appended. Returns what was done, as
    (kind, code, actor id, reason) in order."""
    from casemgr.cases import services, transfers
    from tests.cases.test_transfers import _consent

    case, worker, colleague = casework.case, casework.worker, casework.colleague
    supervisor, receiver, outsider = (
        casework.supervisor, casework.other_supervisor, casework.outsider,
    )  # fmt: skip
    _consent(casework)
    done = [("opened", None, worker.id, None)]
    before = _raw_history(db, case.id)
    assert len(before) == 1

    def step(kind, code, actor, reason, change) -> None:
        nonlocal before
        change()
        db.session.flush()
        after = _raw_history(db, case.id)
        assert after[: len(before)] == before, f"{kind} rewrote the history"
        assert len(after) > len(before), f"{kind} left no trace"
        before = after
        done.append((kind, code, actor.id, reason))

    def move(name, actor, reason=None):
        if name == "submit_plan":  # the plan gate: its detailed assessment comes first
            record_detailed_assessment(worker, case)
        step(
            "transition", name, actor, reason,
            lambda: services.take_transition(
                actor, case, casework.access(actor), name, expected_version=case.version,
                reason=reason, closure_reason="goals_met" if name == "request_closure" else None,
            ),
        )  # fmt: skip

    def co_worker(on: bool, reason: str):
        return lambda: services.set_co_worker(
            worker, case, casework.access(worker), colleague, on=on, reason=reason
        )

    step("co_worker_added", None, worker, WHY["co_worker_added"],
         co_worker(True, WHY["co_worker_added"]))  # fmt: skip
    step("co_worker_removed", None, worker, WHY["co_worker_removed"],
         co_worker(False, WHY["co_worker_removed"]))  # fmt: skip
    for name in ("verify", "assess", "assess_in_detail", "submit_plan"):
        move(name, worker)
    move("return_plan", supervisor, WHY["return_plan"])
    move("submit_plan", worker)
    move("approve_plan", supervisor)
    step("reassigned", "absence", supervisor, WHY["reassigned"], lambda: reassign_cases(
        supervisor, [Choice(case.id, case.version)], colleague.id,
        reason=ReassignReason.ABSENCE, reason_text=WHY["reassigned"]))  # fmt: skip
    move("implement", colleague)
    move("review", colleague)

    def request():
        return transfers.request_transfer(
            colleague, case, casework.access(colleague), to_unit=casework.other_commune,
            reason=WHY["transfer_requested"],
        )  # fmt: skip

    step("transfer_requested", None, colleague, WHY["transfer_requested"], request)
    step("transfer_cancelled", None, colleague, None, lambda: transfers.cancel_transfer(
        colleague, case, casework.access(colleague)))  # fmt: skip
    step("transfer_requested", None, colleague, WHY["transfer_requested"], request)
    step("transfer_declined", None, receiver, WHY["transfer_declined"], lambda: (
        transfers.decline_transfer(receiver, transfers.open_transfer(case),
                                   reason=WHY["transfer_declined"])))  # fmt: skip
    step("transfer_requested", None, colleague, WHY["transfer_requested"], request)
    step("transfer_accepted", None, receiver, None, lambda: transfers.accept_transfer(
        receiver, transfers.open_transfer(case), new_owner=outsider,
        expected_version=case.version))  # fmt: skip
    move("request_closure", outsider, "Trẻ đã an toàn và ổn định.")
    move("approve_closure", receiver)
    move("reopen", receiver, WHY["reopen"])
    step("corrected", "risk_level,summary", outsider, WHY["corrected"], lambda: (
        services.update_case(
            outsider, case, casework.access(outsider), expected_version=case.version,
            risk_level=RiskLevel.HIGH if case.risk_level != RiskLevel.HIGH else RiskLevel.MEDIUM,
            protection_level=case.protection_level, sub_groups=list(case.sub_groups),
            summary="Báo cáo đã sửa sau khi tái mở.", reason=WHY["corrected"],
        )))  # fmt: skip
    # A record voided (casemgr/corrections): the note stays, and the case history says so.
    note = services.add_note(outsider, case, casework.access(outsider), kind="visit",
                             occurred_on=local_date(case.opened_at), body="Ghi trùng.")  # fmt: skip
    step("voided", f"note:{note.id}", outsider, "Ghi trùng buổi thăm.", lambda: corrections.void(
        outsider, note, "Ghi trùng buổi thăm.", access=casework.access(outsider)))  # fmt: skip
    return done


def test_replay_every_kind_of_change(casework, db):
    case, worker = casework.case, casework.worker
    done = _replay(casework, db)
    history = queries.history(case)
    assert [(e.kind, e.code, e.actor_id, e.reason) for e in history] == done
    times = [e.occurred_at for e in history]
    assert times == sorted(times) and times[0] == case.opened_at
    assert {str(e.kind) for e in history} == {str(k) for k in CaseEventKind}
    # "Opened by" is still the opener, in the unit of opening, after owner and unit changed.
    opened = queries.opened_by(case)
    assert (opened.actor_id, opened.to_user_id, opened.to_unit_id) == (
        worker.id, worker.id, casework.commune.id,
    )  # fmt: skip
    assert (case.owner_id, case.unit_id) == (casework.outsider.id, casework.other_commune.id)
    by_kind = {str(e.kind): e for e in history}
    moved = by_kind["reassigned"]
    assert (moved.from_user_id, moved.to_user_id) == (worker.id, casework.colleague.id)
    accepted = by_kind["transfer_accepted"]
    assert (accepted.from_user_id, accepted.to_user_id) == (
        casework.colleague.id, casework.outsider.id,
    )  # fmt: skip
    assert (accepted.from_unit_id, accepted.to_unit_id) == (
        casework.commune.id, casework.other_commune.id,
    )  # fmt: skip
    # The timeline is the same history, newest first, next to the notes and plan actions.
    shown = [e.item for e in queries.timeline(case) if isinstance(e.item, CaseEvent)]
    assert [e.id for e in shown] == [e.id for e in reversed(history)]
    # Reasons are sealed: never in clear in the table, nor anywhere in the audit trail.
    raw = b"".join(
        bytes(r) for r in db.session.scalars(text("SELECT reason_enc FROM case_events")) if r
    )
    trail = repr([vars(e) for e in db.session.scalars(select(AuditEvent))])
    for reason in WHY.values():
        assert reason.encode() not in raw
        assert reason not in trail


def test_the_page_shows_the_history_to_those_who_may_read_the_case(client, casework, db):
    _replay(casework, db)
    case_id = casework.case.id
    db.session.commit()
    client.login(casework.outsider)  # owns the case now, in the other commune
    client.post_form("/auth/language", {"locale": "en"})
    html = client.get(f"/cases/{case_id}").get_data(as_text=True)
    items = _timeline_items(html)
    kinds = re.findall(r'data-kind="([a-z_]+)"', html.split('data-testid="timeline"', 1)[1])
    assert set(kinds) >= {str(k) for k in CaseEventKind}
    for reason in WHY.values():
        assert any(reason in item for item in items), reason
    opened = [item for item in items if "Case opened" in item]
    assert len(opened) == 1 and casework.worker.display_name in opened[0]
    for label in ("Reassigned", "Co-worker added", "Co-worker removed", "Transfer requested",
                  "Transfer request withdrawn", "Transfer declined", "Transfer accepted",
                  "Case reopened", "Case details corrected"):  # fmt: skip
        assert label in html, label
    # Vietnamese: the same page renders, and what has a translation is shown translated.
    client.post_form("/auth/language", {"locale": "vi"})
    response = client.get(f"/cases/{case_id}")
    assert response.status_code == 200
    assert "Case opened" not in response.get_data(as_text=True)
    # The worker who opened it no longer owns it, nor works in its unit: no page, no reasons.
    client._cookies.clear()
    client.login(casework.worker)
    response = client.get(f"/cases/{case_id}")
    assert response.status_code == 404
    assert not any(reason in response.get_data(as_text=True) for reason in WHY.values())


def test_history_rows_are_never_updated_or_deleted(casework, db):
    from casemgr.cases.models import HistoryRewrite

    case = casework.case
    db.session.commit()  # the case and its opening are kept (a savepoint the test starts from)
    entry = queries.opened_by(case)
    entry.code = "rewritten"
    with pytest.raises(HistoryRewrite):
        db.session.flush()
    db.session.rollback()
    entry = queries.opened_by(case)
    db.session.delete(entry)
    with pytest.raises(HistoryRewrite):
        db.session.flush()
    db.session.rollback()
    # The database refuses too, whatever the app does.
    for statement in (
        "UPDATE case_events SET actor_id = actor_id WHERE case_id = :case",
        "DELETE FROM case_events WHERE case_id = :case",
    ):
        with pytest.raises(DBAPIError), db.session.begin_nested():
            db.session.execute(text(statement), {"case": case.id})
    assert queries.opened_by(case).actor_id == casework.worker.id


def test_reasons_given_on_the_pages_are_kept_in_the_history(client, casework, db):
    from casemgr.cases import services

    case, worker, supervisor = casework.case, casework.worker, casework.supervisor
    record_detailed_assessment(worker, case)
    for name in ("verify", "assess", "assess_in_detail", "submit_plan"):
        services.take_transition(
            worker, case, casework.access(worker), name, expected_version=case.version
        )
    db.session.commit()
    client.login(supervisor)
    client.post_form("/auth/language", {"locale": "en"})
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'id="reason-return_plan"' in page  # a decision takes a reason on the page
    response = client.post_form(
        f"/cases/{case.id}/transition",
        {
            "transition": "return_plan",
            "version": case.version,
            "reason": WHY["return_plan"],
            "understood": "y",
        },
    )
    assert response.status_code == 302
    client._cookies.clear()
    client.login(worker)
    client.post_form("/auth/language", {"locale": "en"})
    fresh = db.session.get(Case, case.id)
    response = client.post_form(
        f"/cases/{case.id}/edit",
        {
            "version": fresh.version,
            "risk_level": "medium",
            "protection_level": str(fresh.protection_level),
            "summary": fresh.summary,
            "reason": WHY["corrected"],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    last_two = queries.history(fresh)[-2:]
    assert [(str(e.kind), e.code, e.actor_id, e.reason) for e in last_two] == [
        ("transition", "return_plan", supervisor.id, WHY["return_plan"]),
        ("corrected", "risk_level", worker.id, WHY["corrected"]),
    ]
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert worker.display_name in html.split('data-testid="opened-by"', 1)[1].split("</dd>")[0]
    assert WHY["return_plan"] in html and WHY["corrected"] in html


def test_form_01_names_who_received_the_report_after_a_reassignment(client, casework, db):
    case, opener, new_owner = casework.case, casework.worker, casework.colleague
    reassign_cases(
        casework.supervisor, [Choice(case.id, case.version)], new_owner.id,
        reason=ReassignReason.WORKLOAD,
    )  # fmt: skip
    db.session.commit()
    client.login(new_owner)
    html = client.get(f"/cases/{case.id}/forms/01").get_data(as_text=True)
    receiver = html.split('data-testid="receiver">', 1)[1].split("</div>", 1)[0]
    assert receiver == opener.display_name
