"""A closure request names a coded reason (casemgr/cases/closure.py): chosen in the form next
to the required comment, refused when missing, forged or not fitting the case's group, stored on
the case and in its history, shown to the supervisor who decides, and on the case page."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re

import pytest
from sqlalchemy import func, select

from casemgr.audit.models import AuditEvent
from casemgr.cases import closure, services
from casemgr.cases.closure import ClosureReason, may_have_aged_out
from casemgr.cases.models import (
    Case,
    CaseEvent,
    CaseEventKind,
    CaseTransitionLog,
    ProtectionLevel,
    RiskLevel,
)
from casemgr.cases.workflow import Status
from casemgr.clock import today
from casemgr.groups.policy import closure_reasons
from casemgr.people.services import register_person
from casemgr.reference.models import SubGroup
from tests.cases.conftest import record_detailed_assessment

COMMENT = "Trẻ đã an toàn, đi học đều; gia đình chăm sóc tốt."


def _take(casework, who: str, *names: str, **extra) -> None:
    user, case = getattr(casework, who), casework.case
    for name in names:
        services.take_move(
            user, case, casework.access(user), name, expected_version=case.version, **extra
        )


def _to_review(casework, case: Case | None = None) -> Case:
    """Take the case (the casework's, or another of its commune) to the review step."""
    if case is not None:
        casework.case = case
    _take(casework, "worker", "verify", "assess", "assess_in_detail")
    record_detailed_assessment(casework.worker, casework.case)
    _take(casework, "worker", "submit_plan")
    _take(casework, "supervisor", "approve_plan")
    _take(casework, "worker", "implement", "review")
    return casework.case


def _post(client, case: Case, name: str, **extra):
    from casemgr.extensions import db

    version = db.session.get(Case, case.id).version
    return client.post_form(
        f"/cases/{case.id}/transition",
        {"transition": name, "version": version, "understood": "y", **extra},
    )


def _counts(db, case: Case) -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).where(CaseEvent.case_id == case.id)),
        db.session.scalar(select(func.count()).where(CaseTransitionLog.case_id == case.id)),
    )


def _error(page: str, move: str = "request_closure") -> str:
    found = re.search(rf'id="closure-reason-{move}-error">([^<]*)<', page)
    return html_lib.unescape(found.group(1)) if found else ""


def _options(page: str, move: str = "request_closure") -> list[str]:
    select_html = re.search(rf'<select[^>]*id="closure-reason-{move}".*?</select>', page, re.S)
    return re.findall(r'<option value="([^"]*)"', select_html.group(0))


def _case_of(casework, group: str, codes: tuple[str, ...] = (), **person) -> Case:
    from casemgr.extensions import db

    worker = casework.worker
    facts = {"sex": "male", "birth_year": 1990} | person
    found = register_person(worker, surname="Trần", given_name="Nam", **facts)
    subs = list(
        db.session.scalars(
            select(SubGroup).where(SubGroup.group_code == group, SubGroup.code.in_(codes))
        )
    )
    return services.open_case(
        worker, person=found, group_code=group, sub_groups=subs,
        protection_level=ProtectionLevel.SUPPORT, risk_level=RiskLevel.LOW,
        unit=casework.commune, summary=None,
    )  # fmt: skip


# -- the form: refused input comes back under the field, the comment kept -------------------


def test_a_request_without_a_reason_is_refused_under_the_field_with_the_comment_kept(
    client, casework, db
):
    case = _to_review(casework)
    db.session.commit()
    client.login(casework.worker)  # Vietnamese, the default
    before = _counts(db, case)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert _options(page)[0] == ""  # nothing chosen for the worker: a fact has no default
    response = _post(client, case, "request_closure", reason=COMMENT)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _error(page) == "Chọn lý do có thể đóng hồ sơ."
    assert 'aria-invalid="true" aria-describedby="closure-reason-request_closure-error"' in page
    assert COMMENT in page  # what was typed is kept
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == Status.REVIEW
    assert _counts(db, case) == before


@pytest.mark.parametrize("forged", ["flying_away", "term_completed", "unknown"])
def test_a_forged_reason_or_one_of_another_group_is_refused(client, casework, db, forged):
    """A child's case (no sub-group g) is not offered the drug programme's reasons."""
    case = _to_review(casework)
    db.session.commit()
    client.login(casework.worker)
    before = _counts(db, case)
    response = _post(client, case, "request_closure", reason=COMMENT, closure_reason=forged)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _error(page) == "Vui lòng chọn một trong các lựa chọn có sẵn."
    assert COMMENT in page
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == Status.REVIEW
    assert db.session.get(Case, case.id).closure_reason is None
    assert _counts(db, case) == before


def test_a_reason_sent_with_another_move_is_refused(client, casework, db):
    case = _to_review(casework)
    db.session.commit()
    client.login(casework.worker)
    before = _counts(db, case)
    response = _post(client, case, "new_plan_cycle", closure_reason="goals_met")
    assert response.status_code == 400  # no form draws it there: a forged post
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == Status.REVIEW
    assert _counts(db, case) == before
    with pytest.raises(services.CaseError, match=closure.REASON_NOT_ASKED):
        _take(casework, "worker", "new_plan_cycle", closure_reason="goals_met")


def test_the_service_refuses_a_request_without_a_reason_or_with_one_not_fitting(casework, db):
    case = _to_review(casework)
    before = _counts(db, case)
    for reason, code in (
        (None, closure.REASON_REQUIRED),
        ("", closure.REASON_REQUIRED),
        ("term_completed", closure.REASON_NOT_FOR_CASE),
        ("flying_away", closure.REASON_NOT_FOR_CASE),
    ):
        with pytest.raises(services.CaseError, match=code):
            _take(casework, "worker", "request_closure", reason=COMMENT, closure_reason=reason)
    assert case.status == Status.REVIEW and _counts(db, case) == before


# -- group rules ------------------------------------------------------------------------------


def test_each_group_is_offered_the_reasons_that_fit_it(client, casework, db):
    child = casework.case
    drugs = _case_of(casework, "drugs", ("voluntary",))
    child_g = _case_of(casework, "child", ("g",), birth_year=2012)
    violence = _case_of(casework, "violence", ("physical",))
    common = {"goals_met", "moved_away", "died", "declined", "lost_contact", "other"}
    drug_own = {"term_completed", "compulsory_rehab"}
    assert set(closure_reasons(child)) == common | {"aged_out"}
    assert set(closure_reasons(drugs)) == common | drug_own
    assert set(closure_reasons(child_g)) == common | drug_own | {"aged_out"}  # group g
    assert set(closure_reasons(violence)) == common
    assert list(closure_reasons(violence)) == [r for r in ClosureReason if r in common]
    # The form lists them (for a case at review), empty first.
    drugs = _to_review(casework, drugs)
    db.session.commit()
    client.login(casework.worker)
    page = client.get(f"/cases/{drugs.id}").get_data(as_text=True)
    assert _options(page) == ["", *[r.value for r in closure_reasons(drugs)]]
    assert "Hoàn thành thời hạn cai nghiện hoặc quản lý" in page
    response = _post(client, drugs, "request_closure", reason="Đã có giấy chứng nhận hoàn thành.",
                     closure_reason="term_completed")  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, drugs.id).closure_reason == ClosureReason.TERM_COMPLETED


def test_turned_16_is_refused_for_a_child_known_to_be_younger(client, casework, db):
    born = today().replace(year=today().year - 15)  # 15 today
    young = _to_review(casework, _case_of(casework, "child", sex="female",
                                          date_of_birth=born.isoformat(),
                                          birth_year=born.year))  # fmt: skip
    db.session.commit()
    client.login(casework.worker)
    before = _counts(db, young)
    response = _post(client, young, "request_closure", reason=COMMENT, closure_reason="aged_out")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _error(page) == (
        "Người này chưa đủ 16 tuổi nên vẫn thuộc nhóm trẻ em: hãy chọn lý do khác."
    )
    assert COMMENT in page
    assert re.search(r'<option value="aged_out" selected>', page)  # the choice is kept too
    db.session.expire_all()
    assert db.session.get(Case, young.id).status == Status.REVIEW
    assert _counts(db, young) == before


def test_who_may_have_turned_16():
    day = dt.date(2026, 12, 7)
    assert may_have_aged_out(dt.date(2010, 12, 7), 2010, False, day)  # 16 today
    assert not may_have_aged_out(dt.date(2010, 12, 8), 2010, False, day)  # 16 tomorrow
    assert may_have_aged_out(None, 2010, False, day)  # 16 if born early in the year
    assert not may_have_aged_out(None, 2011, False, day)  # 15 at most
    assert may_have_aged_out(None, 2011, True, day)  # an estimate refuses nothing
    assert may_have_aged_out(None, None, False, day)  # nothing known: nothing refused


# -- stored, and shown to whoever decides and reads -----------------------------------------


def test_the_reason_is_stored_shown_to_the_supervisor_and_kept_in_the_history(
    app, client, casework, db
):
    case = _to_review(casework)
    db.session.commit()
    client.login(casework.worker)
    response = _post(client, case, "request_closure", reason=COMMENT, closure_reason="moved_away")
    assert response.status_code == 302
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert (case.status, case.closure_reason) == (Status.CLOSURE_REQUESTED, "moved_away")
    event = db.session.scalar(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.code == "request_closure")
    )
    assert (event.kind, event.closure_reason, event.reason) == (
        CaseEventKind.TRANSITION, "moved_away", COMMENT)  # fmt: skip
    # The audit trail names the field, never the reason given.
    audited = db.session.scalar(
        select(AuditEvent.fields).where(
            AuditEvent.case_id == case.id, AuditEvent.reason == "request_closure"
        )
    )
    assert audited == "closure_reason"
    trail = repr([vars(e) for e in db.session.scalars(select(AuditEvent))])
    assert "moved_away" not in trail
    label = "Chuyển khỏi tỉnh hoặc ra nước ngoài"
    supervisor = app.test_client()
    supervisor.login(casework.supervisor)
    page = supervisor.get(f"/cases/{case.id}").get_data(as_text=True)
    asked = page.split('data-testid="closure-reason-asked"', 1)[1]
    assert label in asked.split("</p>", 1)[0]  # next to the decision
    # With the worker's comment, not only at the foot of the timeline.
    comment = page.split('data-testid="closure-comment-asked"', 1)[1].split("</p>", 1)[0]
    assert COMMENT in comment
    # Each decision's comment box sits under the decision's name, not only above its button.
    for move in ("approve_closure", "decline_closure"):
        heading = page.split(f'data-testid="move-heading-{move}">', 1)[1].split("<", 1)[0]
        assert heading == {"approve_closure": "Phê duyệt đóng hồ sơ",
                           "decline_closure": "Từ chối đóng hồ sơ"}[move]  # fmt: skip
    assert label in page.split('data-testid="closure-reason"', 1)[1].split("</dd>", 1)[0]
    shown = page.split('data-testid="timeline-closure-reason"', 1)[1].split("</div>", 1)[0]
    assert label in shown and COMMENT in page
    queue = supervisor.get("/supervision/approvals").get_data(as_text=True)
    row = queue.split(f'data-case="{case.id}"', 1)[1].split("</tr>", 1)[0]
    assert label in row
    assert _post(supervisor, case, "approve_closure").status_code == 302
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert (case.status, case.closure_reason) == (Status.CLOSED, "moved_away")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert label in page.split('data-testid="closure-reason"', 1)[1].split("</dd>", 1)[0]
    summary = client.get(f"/cases/{case.id}/summary").get_data(as_text=True)
    assert label in summary


def test_a_declined_request_or_a_reopening_clears_the_case_s_reason_never_the_history(
    client, casework, db
):
    case = _to_review(casework)
    _take(casework, "worker", "request_closure", reason=COMMENT, closure_reason="lost_contact")
    _take(casework, "supervisor", "decline_closure", reason="Cần thử liên hệ thêm.")
    assert (case.status, case.closure_reason) == (Status.REVIEW, None)
    _take(casework, "worker", "request_closure", reason=COMMENT, closure_reason="goals_met")
    _take(casework, "supervisor", "approve_closure")
    assert (case.status, case.closure_reason) == (Status.CLOSED, "goals_met")
    _take(casework, "supervisor", "reopen", reason="Gia đình báo tin mới.")
    assert (case.status, case.closure_reason, case.closed_at) == (Status.REVIEW, None, None)
    said = db.session.scalars(
        select(CaseEvent.closure_reason)
        .where(CaseEvent.case_id == case.id, CaseEvent.code == "request_closure")
        .order_by(CaseEvent.id)
    )
    assert list(said) == ["lost_contact", "goals_met"]
    others = db.session.scalars(
        select(CaseEvent.closure_reason).where(
            CaseEvent.case_id == case.id, CaseEvent.code != "request_closure"
        )
    )
    assert set(others) == {None}
    db.session.commit()
    client.login(casework.worker)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    shown = re.findall(r'data-testid="timeline-closure-reason">([^<]*)<', page)
    assert [html_lib.unescape(s).split(": ", 1)[1].strip() for s in shown] == [
        "Đạt mục tiêu kế hoạch: an toàn, không còn nguy cơ",  # newest first
        "Mất liên lạc sau các lần liên hệ theo quy định",
    ]
    assert 'data-testid="closure-reason"' not in page  # reopened: no closure stands
    # The decline names itself, and the words typed with each move read as a comment (the
    # form's "Nhận xét"), not a second "Lý do" under the reason for closing.
    assert "Từ chối đóng hồ sơ" in html_lib.unescape(page)
    comments = re.findall(r'data-testid="reason">([^<]*)<', page)
    assert "Nhận xét: Cần thử liên hệ thêm." in [html_lib.unescape(c) for c in comments]
    assert not any(html_lib.unescape(c).startswith("Lý do:") for c in comments)


def test_the_combined_review_and_request_carries_the_reason_or_changes_nothing(casework, db):
    case = _to_review(casework)
    _take(casework, "supervisor", "new_plan_cycle")  # back to a plan, then to implementation
    record_detailed_assessment(casework.worker, case)
    _take(casework, "worker", "submit_plan")
    _take(casework, "supervisor", "approve_plan")
    _take(casework, "worker", "implement")
    before = _counts(db, case)
    with pytest.raises(services.CaseError, match=closure.REASON_REQUIRED):
        _take(casework, "worker", "review_and_request_closure", reason=COMMENT)
    assert case.status == Status.IMPLEMENTATION and _counts(db, case) == before
    _take(casework, "worker", "review_and_request_closure", reason=COMMENT,
          closure_reason="declined")  # fmt: skip
    assert (case.status, case.closure_reason) == (Status.CLOSURE_REQUESTED, "declined")
    moves = db.session.execute(
        select(CaseEvent.code, CaseEvent.closure_reason)
        .where(CaseEvent.case_id == case.id, CaseEvent.kind == CaseEventKind.TRANSITION)
        .order_by(CaseEvent.id.desc())
        .limit(2)
    ).all()
    assert moves == [("request_closure", "declined"), ("review", None)]


def test_a_case_closed_before_reasons_were_recorded_says_so(client, casework, db):
    case = _to_review(casework)
    _take(casework, "worker", "request_closure", reason=COMMENT, closure_reason="died")
    _take(casework, "supervisor", "approve_closure")
    case.closure_reason = None  # as a case closed before migration 0030
    db.session.commit()
    client.login(casework.worker)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Chưa ghi lý do" in page.split('data-testid="closure-reason"', 1)[1].split("</dd>")[0]
