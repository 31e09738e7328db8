"""The case workflow as one state machine: states, allowed transitions and who may trigger each."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from casemgr.auth.roles import Action


class Status(enum.StrEnum):
    """Where a case stands in the legal process (Decree 56/2017 Arts. 25-30 for children)."""

    INTAKE = "intake"
    VERIFICATION = "verification"
    INITIAL_ASSESSMENT = "initial_assessment"
    DETAILED_ASSESSMENT = "detailed_assessment"
    PLAN_DRAFTED = "plan_drafted"
    PLAN_APPROVED = "plan_approved"
    IMPLEMENTATION = "implementation"
    REVIEW = "review"
    CLOSURE_REQUESTED = "closure_requested"
    CLOSED = "closed"


STATUS_LABELS = {
    Status.INTAKE: _l("Intake"),
    Status.VERIFICATION: _l("Verification"),
    Status.INITIAL_ASSESSMENT: _l("Initial assessment"),
    Status.DETAILED_ASSESSMENT: _l("Detailed assessment"),
    Status.PLAN_DRAFTED: _l("Plan submitted"),
    Status.PLAN_APPROVED: _l("Plan approved"),
    Status.IMPLEMENTATION: _l("Implementation"),
    Status.REVIEW: _l("Review"),
    Status.CLOSURE_REQUESTED: _l("Closure requested"),
    Status.CLOSED: _l("Closed"),
}


@dataclass(frozen=True)
class Transition:
    """One allowed move: its name, from where to where, and the permission it needs.

    `approval` marks the moves that decide on someone else's submission: the user who
    submitted the plan or the closure request may never take them.
    """

    name: str
    source: Status
    target: Status
    action: Action
    label: object
    approval: bool = False
    submits: bool = False  # the move records its user as the submitter of what is to approve


S = Status
TRANSITIONS: tuple[Transition, ...] = (
    Transition("verify", S.INTAKE, S.VERIFICATION, Action.EDIT_CASES, _l("Start verification")),
    Transition(
        "assess",
        S.VERIFICATION,
        S.INITIAL_ASSESSMENT,
        Action.EDIT_CASES,
        _l("Report verified: start the initial assessment"),
    ),
    Transition(
        "assess_in_detail",
        S.INITIAL_ASSESSMENT,
        S.DETAILED_ASSESSMENT,
        Action.EDIT_CASES,
        _l("Start the detailed assessment"),
    ),
    Transition(
        "submit_plan",
        S.DETAILED_ASSESSMENT,
        S.PLAN_DRAFTED,
        Action.EDIT_CASES,
        _l("Submit the plan for approval"),
        submits=True,
    ),
    Transition(
        "approve_plan",
        S.PLAN_DRAFTED,
        S.PLAN_APPROVED,
        Action.APPROVE_CASES,
        _l("Approve the plan"),
        approval=True,
    ),
    Transition(
        "return_plan",
        S.PLAN_DRAFTED,
        S.DETAILED_ASSESSMENT,
        Action.APPROVE_CASES,
        _l("Return the plan for changes"),
        approval=True,
    ),
    Transition(
        "implement",
        S.PLAN_APPROVED,
        S.IMPLEMENTATION,
        Action.EDIT_CASES,
        _l("Start implementing the plan"),
    ),
    Transition("review", S.IMPLEMENTATION, S.REVIEW, Action.EDIT_CASES, _l("Start the review")),
    Transition(
        "new_plan_cycle",
        S.REVIEW,
        S.DETAILED_ASSESSMENT,
        Action.EDIT_CASES,
        _l("Start a new plan cycle"),
    ),
    Transition(
        "request_closure",
        S.REVIEW,
        S.CLOSURE_REQUESTED,
        Action.EDIT_CASES,
        _l("Request closure"),
        submits=True,
    ),
    Transition(
        "approve_closure",
        S.CLOSURE_REQUESTED,
        S.CLOSED,
        Action.APPROVE_CASES,
        _l("Approve closure"),
        approval=True,
    ),
    Transition(
        "decline_closure",
        S.CLOSURE_REQUESTED,
        S.REVIEW,
        Action.APPROVE_CASES,
        _l("Decline closure"),
        approval=True,
    ),
    Transition("reopen", S.CLOSED, S.REVIEW, Action.APPROVE_CASES, _l("Reopen the case")),
)
BY_NAME = {t.name: t for t in TRANSITIONS}


def transitions_from(status: Status) -> list[Transition]:
    """The moves the workflow allows from a status, whoever the user is."""
    return [t for t in TRANSITIONS if t.source == status]
