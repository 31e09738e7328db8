"""What the case history shows for the plain codes it stores: corrected fields, reason codes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

FIELD_LABELS = {
    "risk_level": _l("Risk level"),
    "protection_level": _l("Protection level"),
    "sub_groups": _l("Sub-groups"),
    "summary": _l("Intake report"),
}

# The supervisor's reason codes for a reassignment (supervision.models.ReassignReason).
REASSIGN_REASON_LABELS = {
    "workload": _l("Balancing workloads"),
    "absence": _l("Worker absent (leave, illness)"),
    "staff_change": _l("Worker left or changed post"),
    "conflict_of_interest": _l("Conflict of interest"),
    "other": _l("Other"),
}
