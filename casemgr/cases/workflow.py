"""The case workflow as one state machine: states, allowed transitions and who may trigger each."""

from __future__ import annotations

import enum
import itertools
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


# What happens, in plain words, on the moves that the one who takes them cannot take back: the
# case leaves their hands, a decision on someone's submission is made and announced, a cycle
# ends, a case is closed or reopened. The page asks to confirm these (an "I understand" box).
CONSEQUENCES = {
    "submit_plan": _l(
        "The plan goes to a supervisor for approval. You cannot change or withdraw it until a "
        "supervisor approves it or returns it to you."
    ),
    "approve_plan": _l(
        "The plan becomes the approved plan of this cycle and the worker is told. An approval "
        "cannot be withdrawn: a different plan needs a new plan cycle after the review."
    ),
    "return_plan": _l(
        "The plan goes back to the worker with your comment, and the worker is told. The return "
        "and your comment stay in the case history for good."
    ),
    "new_plan_cycle": _l(
        "The current plan cycle ends and a new one starts: its plan needs a new detailed "
        "assessment. The finished cycle cannot be reopened."
    ),
    "request_closure": _l(
        "A supervisor is asked to close the case. You cannot withdraw the request: only a "
        "supervisor can decline it."
    ),
    "approve_closure": _l(
        "The case is closed: nobody can change it any more and the worker is told. Only a "
        "supervisor can reopen it, and the closure stays in the case history for good."
    ),
    "decline_closure": _l(
        "The case goes back to review with your comment, and the worker is told. The decision "
        "and your comment stay in the case history for good."
    ),
    "reopen": _l(
        "The closed case opens again at the review step and can be changed. Closing it again "
        "needs a new request and a supervisor's approval."
    ),
}


@dataclass(frozen=True)
class Combined:
    """Moves that the law lets follow one another at once, offered as one step: they run in
    order, in one transaction, each recorded in the history as if taken alone.

    Never a decision on someone's submission (the decider is another person), and never a
    move whose record the law wants made in between (an assessment, a plan)."""

    name: str
    steps: tuple[str, ...]
    label: object
    approval: bool = False  # the template reads it like a Transition's

    @property
    def transitions(self) -> tuple[Transition, ...]:
        """The moves, in the order they are taken."""
        return tuple(BY_NAME[step] for step in self.steps)

    @property
    def source(self) -> Status:
        """Where the case must stand for the first move."""
        return self.transitions[0].source


COMBINED: tuple[Combined, ...] = (
    # Decree 56 step 2: the report is verified "immediately"; step 3, the initial assessment,
    # follows. A worker who verified the report while taking it records both at once.
    Combined(
        "verified_at_intake",
        ("verify", "assess"),
        _l("Report already verified: start the initial assessment"),
    ),
    # Steps 7 and 8: the review (form 06) finds the person no longer at risk, and the worker
    # asks for closure, which a supervisor still decides.
    Combined(
        "review_and_request_closure",
        ("review", "request_closure"),
        _l("Review done, no longer at risk: request closure"),
    ),
)
COMBINED_BY_NAME = {c.name: c for c in COMBINED}


def _check_combined() -> None:
    for combined in COMBINED:
        moves = combined.transitions
        assert all(a.target == b.source for a, b in itertools.pairwise(moves))
        assert not any(m.approval or m.action != moves[0].action for m in moves), combined.name
        assert combined.name not in BY_NAME


_check_combined()


def combined_from(status: Status) -> list[Combined]:
    """The combined moves that start from a status, whoever the user is."""
    return [c for c in COMBINED if c.source == status]


def move_named(name: str) -> Transition | Combined | None:
    """The move, single or combined, of this name (a form's button, a recorded reason)."""
    return BY_NAME.get(name) or COMBINED_BY_NAME.get(name)


def last_step(name: str) -> str:
    """The transition a move ends with: itself, or a combined move's last step."""
    combined = COMBINED_BY_NAME.get(name)
    return combined.steps[-1] if combined else name


def consequences(name: str) -> list[object]:
    """What the user confirms before the move (empty: no confirmation asked)."""
    combined = COMBINED_BY_NAME.get(name)
    steps = combined.steps if combined else (name,)
    return [CONSEQUENCES[step] for step in steps if step in CONSEQUENCES]
