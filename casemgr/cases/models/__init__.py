"""Case models, split by aggregate: the case itself, its content, break-glass grants."""

from casemgr.cases.models.break_glass import BreakGlassGrant, BreakGlassReason
from casemgr.cases.models.case import (
    Case,
    CaseNumberCounter,
    CaseSubGroup,
    CaseWorker,
    ProtectionLevel,
    RiskLevel,
)
from casemgr.cases.models.content import (
    Assessment,
    AssessmentKind,
    CaseNote,
    CaseTransitionLog,
    NoteKind,
    PlanAction,
)

__all__ = [
    "Assessment",
    "AssessmentKind",
    "BreakGlassGrant",
    "BreakGlassReason",
    "Case",
    "CaseNote",
    "CaseNumberCounter",
    "CaseSubGroup",
    "CaseTransitionLog",
    "CaseWorker",
    "NoteKind",
    "PlanAction",
    "ProtectionLevel",
    "RiskLevel",
]
