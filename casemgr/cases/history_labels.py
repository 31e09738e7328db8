"""What the case history shows for the plain codes it stores: corrected fields, reason codes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

FIELD_LABELS = {
    "risk_level": _l("Risk level"),
    "protection_level": _l("Protection level"),
    "sub_groups": _l("Sub-groups"),
    "summary": _l("Intake report"),
    # The fields of corrected records (casemgr/corrections), labelled as their forms label them.
    "relationship_kind": _l("Relationship"),
    "name": _l("Full name"),
    "phone": _l("Phone"),
    "is_guardian": _l("Parent or legal guardian (can give consent)"),
    "scope": _l("Consent to"),
    "given_by": _l("Given by"),
    "relative_id": _l("Guardian"),
    "given_on": _l("Date"),
    "tested_on": _l("Test date"),
    "result": _l("Result"),
    "service_type_id": _l("Service"),
    "delivered_on": _l("Date"),
    "partner_id": _l("Provided by (partner)"),
    "provider": _l("Or another provider"),
    "quantity": _l("Quantity"),
    "amount_vnd": _l("Amount (VND)"),
    "note": _l("Note"),
    "kind": _l("Kind of contact"),
    "occurred_on": _l("Date"),
    "body": _l("Note"),
    "goal": _l("Goal"),
    "action": _l("Action"),
    "responsible": _l("Responsible"),
    "due_on": _l("Due date"),
}

# The supervisor's reason codes for a reassignment (supervision.models.ReassignReason).
REASSIGN_REASON_LABELS = {
    "workload": _l("Balancing workloads"),
    "absence": _l("Worker absent (leave, illness)"),
    "staff_change": _l("Worker left or changed post"),
    "conflict_of_interest": _l("Conflict of interest"),
    "other": _l("Other"),
}
