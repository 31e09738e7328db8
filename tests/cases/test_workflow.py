"""The workflow: every allowed transition for the right role, every other one refused."""

from __future__ import annotations

import pytest

from casemgr.cases import services
from casemgr.cases.workflow import BY_NAME, TRANSITIONS, Status
from tests.cases.conftest import record_detailed_assessment

# A path through every transition: (transition, who takes it).
HAPPY_PATH = [
    ("verify", "worker"),
    ("assess", "worker"),
    ("assess_in_detail", "worker"),
    ("submit_plan", "worker"),
    ("return_plan", "supervisor"),
    ("submit_plan", "worker"),
    ("approve_plan", "supervisor"),
    ("implement", "worker"),
    ("review", "worker"),
    ("new_plan_cycle", "worker"),
    ("submit_plan", "worker"),
    ("approve_plan", "lead"),
    ("implement", "worker"),
    ("review", "worker"),
    ("request_closure", "worker"),
    ("decline_closure", "supervisor"),
    ("request_closure", "worker"),
    ("approve_closure", "supervisor"),
    ("reopen", "supervisor"),
    ("request_closure", "worker"),
    ("approve_closure", "lead"),
]
EVERYONE = (
    "worker",
    "colleague",
    "supervisor",
    "lead",
    "outsider",
    "other_supervisor",
    "auditor",
    "admin",
)


def test_happy_path_covers_every_transition():
    assert {name for name, _who in HAPPY_PATH} == {t.name for t in TRANSITIONS}


def _take(casework, who: str, name: str) -> None:
    user = getattr(casework, who)
    services.take_transition(
        user, casework.case, casework.access(user), name, expected_version=casework.case.version,
        reason="Cần bổ sung mục tiêu học tập." if name in services.COMMENT_REQUIRED else None,
        closure_reason="goals_met" if name == services.CLOSURE_REQUEST else None,
    )  # fmt: skip


def test_every_transition_only_for_the_right_people(casework, db):
    case = casework.case
    for name, who in HAPPY_PATH:
        transition = BY_NAME[name]
        assert case.status == transition.source
        if name == "submit_plan":  # on file first, so others are refused for who they are
            record_detailed_assessment(casework.worker, case)
        for other in EVERYONE:
            if other == who:
                continue
            expected_ok = _allowed(casework, other, name)
            if expected_ok:
                continue
            with pytest.raises(services.CaseError):
                _take(casework, other, name)
            assert case.status == transition.source
        _take(casework, who, name)
        assert case.status == transition.target
    assert case.status == Status.CLOSED and case.closed_at is not None


def _allowed(casework, who: str, name: str) -> bool:
    """Who else may legitimately take this step (the rule the test checks the code against)."""
    transition = BY_NAME[name]
    submitter = casework.case.submitted_by_id
    user = getattr(casework, who)
    if transition.action.value == "approve_cases":
        return who in ("supervisor", "lead") and not (transition.approval and user.id == submitter)
    return who in ("worker", "supervisor", "lead")


def test_no_self_approval_even_for_a_supervisor_who_submits(casework, db):
    case = casework.case
    for name in ("verify", "assess", "assess_in_detail"):
        _take(casework, "worker", name)
    record_detailed_assessment(casework.worker, case)
    _take(casework, "supervisor", "submit_plan")
    with pytest.raises(services.CaseError):
        _take(casework, "supervisor", "approve_plan")
    _take(casework, "lead", "approve_plan")
    assert case.status == Status.PLAN_APPROVED


def test_stale_version_is_refused(casework, db):
    case = casework.case
    old_version = case.version
    _take(casework, "worker", "verify")
    with pytest.raises(services.StaleCase):
        services.take_transition(
            casework.worker,
            case,
            casework.access(casework.worker),
            "assess",
            expected_version=old_version,
        )
    assert case.status == Status.VERIFICATION
