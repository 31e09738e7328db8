"""Case models, split by aggregate: the case itself, its content, break-glass grants, transfers."""

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
from casemgr.cases.models.transfer import CaseTransfer, TransferStatus

__all__ = [
    "Assessment",
    "AssessmentKind",
    "BreakGlassGrant",
    "BreakGlassReason",
    "Case",
    "CaseNote",
    "CaseNumberCounter",
    "CaseSubGroup",
    "CaseTransfer",
    "CaseTransitionLog",
    "CaseWorker",
    "NoteKind",
    "PlanAction",
    "ProtectionLevel",
    "RiskLevel",
    "TransferStatus",
]
