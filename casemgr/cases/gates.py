"""What a workflow move needs on file first: the records the law puts before a step."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from casemgr.cases.models import Assessment, AssessmentKind, Case, CaseTransitionLog
from casemgr.extensions import db

# The code (str) of each gate, for the service to raise and the view to translate.
DETAILED_ASSESSMENT_MISSING = "detailed assessment missing"


def cycle_started_at(case: Case) -> dt.datetime | None:
    """When the case's current plan cycle began (None for the first cycle: since opening)."""
    if case.plan_cycle <= 1:
        return None
    return db.session.scalar(
        select(func.max(CaseTransitionLog.occurred_at)).where(
            CaseTransitionLog.case_id == case.id,
            CaseTransitionLog.transition == "new_plan_cycle",
        )
    )


def has_detailed_assessment(case: Case) -> bool:
    """Whether a detailed assessment (form 03) is on file for the current plan cycle."""
    query = select(Assessment.id).where(
        Assessment.case_id == case.id, Assessment.kind == AssessmentKind.DETAILED
    )
    since = cycle_started_at(case)
    if since is not None:  # a new cycle starts from a new assessment of where the person stands
        query = query.where(Assessment.created_at >= since)
    return db.session.scalar(query.limit(1)) is not None


def missing_for(case: Case, transition_name: str) -> str | None:
    """The gate that stops the move now, or None. Decree 56/2017 puts the detailed assessment
    (step 4, form 03) before the case plan (step 5): no plan goes for approval without it."""
    if transition_name == "submit_plan" and not has_detailed_assessment(case):
        return DETAILED_ASSESSMENT_MISSING
    return None
