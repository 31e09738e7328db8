"""Issue 11, point 5: the plan gate (no plan without its detailed assessment), the confirmation
of moves that cannot be taken back, and the moves the law lets happen together in one step."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from casemgr.audit.models import AuditEvent
from casemgr.cases import gates, services
from casemgr.cases.models import (
    Assessment,
    AssessmentKind,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseTransitionLog,
    RiskLevel,
)
from casemgr.cases.workflow import (
    BY_NAME,
    COMBINED,
    CONSEQUENCES,
    TRANSITIONS,
    Status,
    consequences,
)
from tests.cases.conftest import record_detailed_assessment

ROUTINE = {"verify", "assess", "assess_in_detail", "implement", "review"}


def _take(
    casework, who: str, *names: str, reason: str | None = None, closure_reason: str | None = None
) -> None:
    user, case = getattr(casework, who), casework.case
    for name in names:
        services.take_move(
            user, case, casework.access(user), name, expected_version=case.version,
            reason=reason, closure_reason=closure_reason,
        )  # fmt: skip


def _moves(db, case: Case) -> list[str]:
    """The transitions in the case's history, oldest first."""
    return list(
        db.session.scalars(
            select(CaseEvent.code)
            .where(CaseEvent.case_id == case.id, CaseEvent.kind == CaseEventKind.TRANSITION)
            .order_by(CaseEvent.id)
        )
    )


def _counts(db, case: Case) -> tuple[int, int, int]:
    return (
        db.session.scalar(select(func.count()).where(CaseEvent.case_id == case.id)),
        db.session.scalar(select(func.count()).where(CaseTransitionLog.case_id == case.id)),
        db.session.scalar(select(func.count()).where(AuditEvent.case_id == case.id)),
    )


def _english(client, user) -> None:
    client._cookies.clear()
    assert client.login(user).status_code == 302
    client.post_form("/auth/language", {"locale": "en"})


def _post(client, case: Case, name: str, **extra):
    from casemgr.extensions import db

    version = db.session.get(Case, case.id).version
    return client.post_form(
        f"/cases/{case.id}/transition", {"transition": name, "version": version, **extra}
    )


# -- 1. the plan gate -------------------------------------------------------------------------


def test_a_plan_is_not_submitted_without_its_detailed_assessment(casework, db):
    case, worker = casework.case, casework.worker
    _take(casework, "worker", "verify", "assess")
    services.record_assessment(
        worker, case, casework.access(worker), kind=AssessmentKind.INITIAL,
        risk_rating=RiskLevel.HIGH, answers={"safety": "Tạm thời an toàn."},
    )  # fmt: skip
    _take(casework, "worker", "assess_in_detail")
    before = _counts(db, case)
    with pytest.raises(services.CaseError, match=gates.DETAILED_ASSESSMENT_MISSING):
        _take(casework, "worker", "submit_plan")  # an initial assessment is not enough
    assert case.status == Status.DETAILED_ASSESSMENT
    assert _counts(db, case) == before  # nothing recorded
    record_detailed_assessment(worker, case)
    _take(casework, "worker", "submit_plan")
    assert case.status == Status.PLAN_DRAFTED


def test_a_new_plan_cycle_needs_a_new_detailed_assessment(casework, db):
    case = casework.case
    _take(casework, "worker", "verify", "assess", "assess_in_detail")
    record_detailed_assessment(casework.worker, case)
    _take(casework, "worker", "submit_plan")
    _take(casework, "supervisor", "approve_plan")
    _take(casework, "worker", "implement", "review")
    # The first cycle's assessment was made well before the review found the need for a new plan.
    first = db.session.scalar(select(Assessment).where(Assessment.case_id == case.id))
    first.created_at -= dt.timedelta(days=30)
    db.session.flush()
    _take(casework, "worker", "new_plan_cycle")
    assert case.plan_cycle == 2
    with pytest.raises(services.CaseError, match=gates.DETAILED_ASSESSMENT_MISSING):
        _take(casework, "worker", "submit_plan")
    record_detailed_assessment(casework.worker, case)
    _take(casework, "worker", "submit_plan")
    assert case.status == Status.PLAN_DRAFTED


def test_a_returned_plan_goes_back_without_a_new_assessment(casework, db):
    case = casework.case
    _take(casework, "worker", "verify", "assess", "assess_in_detail")
    record_detailed_assessment(casework.worker, case)
    _take(casework, "worker", "submit_plan")
    _take(casework, "supervisor", "return_plan", reason="Bổ sung mục tiêu học tập.")
    _take(casework, "worker", "submit_plan")
    assert case.status == Status.PLAN_DRAFTED


def test_the_case_page_says_why_the_plan_cannot_be_submitted(client, casework, db):
    case = casework.case
    _take(casework, "worker", "verify", "assess", "assess_in_detail")
    db.session.commit()
    _english(client, casework.worker)
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    gated = html.split('data-testid="gated-submit_plan"', 1)[1].split("</div>", 1)[0]
    assert "record the detailed assessment of this plan cycle first" in gated
    assert f"/cases/{case.id}/assessments/new?kind=detailed" in gated
    assert 'data-testid="move-submit_plan"' not in html
    # The link opens the form with the detailed assessment chosen.
    form = client.get(f"/cases/{case.id}/assessments/new?kind=detailed").get_data(as_text=True)
    assert '<option selected value="detailed">' in form
    # Posting anyway: the message in the user's language, the case unchanged.
    before = _counts(db, case)
    response = _post(client, case, "submit_plan", understood="y")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The plan cannot be submitted yet" in page
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == Status.DETAILED_ASSESSMENT
    assert _counts(db, case)[:2] == before[:2]
    # Once the assessment is on file, the button is back.
    record_detailed_assessment(casework.worker, db.session.get(Case, case.id))
    db.session.commit()
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-testid="move-submit_plan"' in html and "gated-submit_plan" not in html


def test_demo_cases_awaiting_approval_have_their_detailed_assessment(db):
    from casemgr.demo import load_demo_data

    load_demo_data()
    waiting = list(db.session.scalars(select(Case).where(Case.status == Status.PLAN_DRAFTED)))
    assert waiting
    assert all(gates.has_detailed_assessment(case) for case in waiting)


# -- 2. confirmation --------------------------------------------------------------------------


def test_every_move_that_cannot_be_taken_back_asks_for_confirmation():
    assert set(CONSEQUENCES) <= set(BY_NAME)
    assert {t.name for t in TRANSITIONS} - set(CONSEQUENCES) == ROUTINE
    assert all(consequences(t.name) for t in TRANSITIONS if t.approval or t.submits)


def test_an_unconfirmed_closure_is_refused_under_the_box(client, casework, db):
    case = casework.case
    _take(casework, "worker", "verify", "assess", "assess_in_detail")
    record_detailed_assessment(casework.worker, case)
    _take(casework, "worker", "submit_plan")
    _take(casework, "supervisor", "approve_plan")
    _take(casework, "worker", "implement", "review")
    _take(casework, "worker", "request_closure", reason="Trẻ đã an toàn và ổn định.",
          closure_reason="goals_met")  # fmt: skip
    db.session.commit()
    _english(client, casework.supervisor)
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    text = html.split('data-testid="consequence-approve_closure"', 1)[1].split("</div>", 1)[0]
    assert "nobody can change it any more" in text
    assert 'id="understood-approve_closure"' in html
    before = _counts(db, case)
    response = _post(client, case, "approve_closure", reason="Trẻ đã ổn định.")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    error = html.split('id="understood-approve_closure-error"', 1)[1].split("</div>", 1)[0]
    assert "Tick the box to confirm" in error
    assert "Trẻ đã ổn định." in html  # the comment typed is kept
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == Status.CLOSURE_REQUESTED
    assert _counts(db, case)[:2] == before[:2]
    response = _post(client, case, "approve_closure", reason="Trẻ đã ổn định.", understood="y")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == Status.CLOSED


def test_routine_steps_ask_for_no_confirmation(client, casework, db):
    db.session.commit()
    _english(client, casework.worker)
    html = client.get(f"/cases/{casework.case.id}").get_data(as_text=True)
    assert 'data-testid="move-verify"' in html and "understood-verify" not in html
    assert _post(client, casework.case, "verify").status_code == 302


# -- 3. moves taken together ------------------------------------------------------------------


def test_a_verified_report_opens_the_initial_assessment_in_one_step(casework, db):
    case = casework.case
    _take(casework, "worker", "verified_at_intake")
    assert case.status == Status.INITIAL_ASSESSMENT
    assert _moves(db, case) == ["verify", "assess"]  # each move in the history, in order
    logged = db.session.scalars(
        select(CaseTransitionLog.transition)
        .where(CaseTransitionLog.case_id == case.id)
        .order_by(CaseTransitionLog.id)
    )
    assert list(logged) == ["verify", "assess"]
    audited = db.session.scalars(
        select(AuditEvent.reason).where(
            AuditEvent.case_id == case.id, AuditEvent.action == "case.transition"
        )
    )
    assert sorted(audited) == ["assess", "verify"]


def test_the_review_and_the_closure_request_in_one_step(casework, db):
    case = casework.case
    _take(casework, "worker", "verify", "assess", "assess_in_detail")
    record_detailed_assessment(casework.worker, case)
    _take(casework, "worker", "submit_plan")
    _take(casework, "supervisor", "approve_plan")
    _take(casework, "worker", "implement")
    _take(casework, "worker", "review_and_request_closure", reason="Trẻ đã ổn định.",
          closure_reason="goals_met")  # fmt: skip
    assert case.status == Status.CLOSURE_REQUESTED
    assert case.submitted_by_id == casework.worker.id  # the worker cannot approve it
    assert _moves(db, case)[-2:] == ["review", "request_closure"]
    with pytest.raises(services.CaseError):
        _take(casework, "worker", "approve_closure")


@pytest.mark.parametrize("who", ["outsider", "colleague", "auditor", "admin"])
def test_a_combined_move_is_refused_whole_to_those_who_may_not_take_it(casework, db, who):
    case = casework.case
    before = _counts(db, case)
    with pytest.raises(services.CaseError, match="transition not allowed"):
        _take(casework, who, "verified_at_intake")
    assert case.status == Status.INTAKE
    assert _counts(db, case)[:2] == before[:2]


@pytest.mark.parametrize("move", ["approve_closure", "verified_at_intake"])
def test_a_refused_move_is_audited_as_denied(casework, db, move):
    """A move the user may not take leaves a denied audit event, never an allowed one."""
    with pytest.raises(services.CaseError, match="transition not allowed"):
        _take(casework, "colleague", move)
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "case.transition")
        .order_by(AuditEvent.seq.desc()).limit(1)
    )  # fmt: skip
    assert (event.reason, event.outcome) == (move, "denied")


def test_a_combined_move_changes_nothing_when_a_later_step_is_refused(casework, db, monkeypatch):
    case = casework.case
    monkeypatch.setattr(
        gates, "missing_for", lambda c, name: "blocked" if name == "assess" else None
    )
    before = _counts(db, case)
    with pytest.raises(services.CaseError, match="blocked"):
        _take(casework, "worker", "verified_at_intake")
    assert case.status == Status.INTAKE
    assert _counts(db, case) == before


def test_a_combined_move_from_the_wrong_step_or_a_stale_page_is_refused(casework, db):
    case, worker = casework.case, casework.worker
    with pytest.raises(services.CaseError, match="transition not allowed"):
        _take(casework, "worker", "review_and_request_closure")
    with pytest.raises(services.StaleCase):
        services.take_move(
            worker, case, casework.access(worker), "verified_at_intake",
            expected_version=case.version - 1,
        )  # fmt: skip
    assert case.status == Status.INTAKE


def test_combined_moves_are_offered_and_confirmed_on_the_page(client, casework, db):
    case = casework.case
    db.session.commit()
    _english(client, casework.worker)
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    steps = html.split('data-testid="steps-verified_at_intake"', 1)[1].split("</p>", 1)[0]
    assert "Start verification" in steps and "start the initial assessment" in steps
    assert "understood-verified_at_intake" not in html  # nothing here cannot be taken back
    assert _post(client, case, "verified_at_intake").status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == Status.INITIAL_ASSESSMENT
    assert [c.name for c in COMBINED if consequences(c.name)] == ["review_and_request_closure"]
