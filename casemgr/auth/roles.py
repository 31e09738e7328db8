"""The one table of role -> permitted actions, and the scope each role sees case data in."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class Role(enum.StrEnum):
    """Roles a user can hold, each bound to a unit."""

    SOCIAL_WORKER = "social_worker"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    ADMINISTRATOR = "administrator"


ROLE_LABELS = {
    Role.SOCIAL_WORKER: _l("Social worker"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.AUDITOR: _l("Auditor"),
    Role.ADMINISTRATOR: _l("Administrator"),
}


class Action(enum.StrEnum):
    """Things a user may be permitted to do; routes declare the action they need."""

    VIEW_DASHBOARD = "view_dashboard"
    # Case work (the cases issue adds its routes against these).
    VIEW_CASES = "view_cases"
    EDIT_CASES = "edit_cases"
    APPROVE_CASES = "approve_cases"
    REASSIGN_CASES = "reassign_cases"
    BREAK_GLASS = "break_glass"
    REQUEST_ERASURE = "request_erasure"
    CONFIRM_ERASURE = "confirm_erasure"
    # Support: referring without the person's consent, and the directory of service points.
    OVERRIDE_CONSENT = "override_consent"
    VIEW_SERVICE_POINTS = "view_service_points"
    MANAGE_SERVICE_POINTS = "manage_service_points"
    # Intervention models: see the registry and results; register models, record activities,
    # visits and targets (supervisors for their subtree, administrators everywhere).
    VIEW_PROGRAMMES = "view_programmes"
    MANAGE_PROGRAMMES = "manage_programmes"
    # Provincial reports (aggregates, small cells protected) and lists that identify people.
    # Supervisors only: reports are scoped by case scope, which administrators do not have.
    VIEW_REPORTS = "view_reports"
    EXPORT_PERSON_LISTS = "export_person_lists"
    # Audit.
    VIEW_AUDIT = "view_audit"
    EXPORT_AUDIT = "export_audit"
    REVIEW_ALERTS = "review_alerts"
    # Administration.
    MANAGE_USERS = "manage_users"
    MANAGE_UNITS = "manage_units"
    MANAGE_REFERENCE_DATA = "manage_reference_data"
    MANAGE_BACKGROUND_WORK = "manage_background_work"


class Scope(enum.StrEnum):
    """How far a role's case access reaches."""

    NONE = "none"  # no case content at all (auditors, administrators)
    OWN = "own"  # own and co-worked caseload
    SUBTREE = "subtree"  # every case of the unit and the units below it
    ALL = "all"  # the whole province


PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.SOCIAL_WORKER: frozenset(
        {
            Action.VIEW_DASHBOARD,
            Action.VIEW_CASES,
            Action.EDIT_CASES,
            Action.BREAK_GLASS,
            Action.VIEW_SERVICE_POINTS,
            Action.VIEW_PROGRAMMES,
        }
    ),
    Role.SUPERVISOR: frozenset(
        {
            Action.VIEW_DASHBOARD,
            Action.VIEW_CASES,
            Action.EDIT_CASES,
            Action.APPROVE_CASES,
            Action.REASSIGN_CASES,
            Action.BREAK_GLASS,
            Action.REVIEW_ALERTS,
            Action.REQUEST_ERASURE,
            Action.CONFIRM_ERASURE,
            Action.OVERRIDE_CONSENT,
            Action.VIEW_SERVICE_POINTS,
            Action.MANAGE_SERVICE_POINTS,
            Action.VIEW_PROGRAMMES,
            Action.MANAGE_PROGRAMMES,
            Action.VIEW_REPORTS,
            Action.EXPORT_PERSON_LISTS,
        }
    ),
    Role.AUDITOR: frozenset(
        {Action.VIEW_DASHBOARD, Action.VIEW_AUDIT, Action.EXPORT_AUDIT, Action.REVIEW_ALERTS}
    ),
    Role.ADMINISTRATOR: frozenset(
        {
            Action.VIEW_DASHBOARD,
            Action.MANAGE_USERS,
            Action.MANAGE_UNITS,
            Action.MANAGE_REFERENCE_DATA,
            Action.MANAGE_BACKGROUND_WORK,
            Action.REQUEST_ERASURE,
            Action.CONFIRM_ERASURE,
            Action.VIEW_SERVICE_POINTS,
            Action.MANAGE_SERVICE_POINTS,
            Action.VIEW_PROGRAMMES,
            Action.MANAGE_PROGRAMMES,
        }
    ),
}

CASE_SCOPE: dict[Role, Scope] = {
    Role.SOCIAL_WORKER: Scope.OWN,
    Role.SUPERVISOR: Scope.SUBTREE,
    Role.AUDITOR: Scope.NONE,
    Role.ADMINISTRATOR: Scope.NONE,
}

# Roles whose members must enrol TOTP before they can work (social workers: configurable).
MFA_REQUIRED_ROLES: frozenset[Role] = frozenset({Role.SUPERVISOR, Role.AUDITOR, Role.ADMINISTRATOR})
