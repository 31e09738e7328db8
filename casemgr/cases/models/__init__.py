"""Case models, split by aggregate: the case, its content, its history, break-glass, transfers."""

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
from casemgr.cases.models.history import CaseEvent, CaseEventKind, HistoryRewrite
from casemgr.cases.models.transfer import CaseTransfer, TransferStatus

__all__ = [
    "Assessment",
    "AssessmentKind",
    "BreakGlassGrant",
    "BreakGlassReason",
    "Case",
    "CaseEvent",
    "CaseEventKind",
    "CaseNote",
    "CaseNumberCounter",
    "CaseSubGroup",
    "CaseTransfer",
    "CaseTransitionLog",
    "CaseWorker",
    "HistoryRewrite",
    "NoteKind",
    "PlanAction",
    "ProtectionLevel",
    "RiskLevel",
    "TransferStatus",
]
