"""Human labels for audit action, object, field and reason codes, in the user's language.

One table for every audit page (events, case access, user activity, alerts). The codes stay
in the trail and in the CSV export (which is for machines and archives); pages show the label
with the code beside it, so an auditor can still search by code (an object's type, which no
search takes, is shown by its label and id alone; a reason, by its label alone).
tests/audit/test_labels.py walks the code base and fails when a recorded action, a fixed
reason or a reason built where it is recorded ("social_worker@C01") has no label here.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from casemgr.audit.verify import ProblemKind
from casemgr.auth.roles import ROLE_LABELS, Action, Role
from casemgr.cases.workflow import move_named

ACTION_LABELS = {
    "access.denied": _l("Page refused"),
    "api.token_refused": _l("API token refused"),
    "api.token_used": _l("API token used"),
    "areas.load": _l("Administrative areas loaded"),
    "areas.load_legacy": _l("Former administrative areas loaded"),
    "attachment.create": _l("Attachment added"),
    "attachment.view": _l("Attachment opened"),
    "audit.alert_review": _l("Alert reviewed"),
    "audit.alert_view": _l("Alert opened"),
    "audit.alerts": _l("Alert list viewed"),
    "audit.archive": _l("Audit events archived"),
    "audit.case_access": _l("Case access looked up"),
    "audit.checkpoint": _l("Audit checkpoint signed"),
    "audit.export": _l("Audit events exported"),
    "audit.scan": _l("Alert scan run"),
    "audit.search": _l("Audit events searched"),
    "audit.user_activity": _l("User activity viewed"),
    "audit.verify": _l("Audit chain verified"),
    "duty.run": _l("Scheduled duty run"),
    "job.download": _l("Job file downloaded"),
    "job.retry": _l("Job tried again"),
    "job.start": _l("Background job started"),
    "job.view": _l("Job page opened"),
    "auth.login": _l("Sign-in"),
    "auth.logout": _l("Sign-out"),
    "auth.mfa": _l("Two-step code checked"),
    "auth.mfa_enrol": _l("Two-step sign-in set up"),
    "auth.mfa_recovery": _l("Sign-in with a recovery code"),
    "auth.password_change": _l("Own password changed"),
    "auth.password_ok": _l("Password accepted"),
    "auth.recovery_codes": _l("New recovery codes made"),
    "backup.create": _l("Backup made"),
    "backup.restore": _l("Backup restored"),
    "calendar.add_day": _l("Day off added"),
    "calendar.remove_day": _l("Day off removed"),
    "case.assessment_add": _l("Assessment added"),
    "case.break_glass": _l("Emergency access (break-glass)"),
    "case.break_glass_end": _l("Emergency access ended"),
    "case.co_worker_add": _l("Co-worker added"),
    "case.co_worker_remove": _l("Co-worker removed"),
    "case.emergency_action": _l("Emergency action recorded"),
    "case.list": _l("Case list viewed"),
    "case.note_add": _l("Note added"),
    "case.open": _l("Case opened"),
    "case.plan_action_add": _l("Plan action added"),
    "case.plan_action_done": _l("Plan action done"),
    "case.reassign": _l("Case reassigned"),
    "case.search": _l("Cases searched"),
    "case.transfer_accept": _l("Transfer accepted"),
    "case.transfer_cancel": _l("Transfer cancelled"),
    "case.transfer_decline": _l("Transfer declined"),
    "case.transfer_queue": _l("Transfer queue viewed"),
    "case.transfer_request": _l("Transfer requested"),
    "case.transfer_view": _l("Transfer viewed"),
    "case.transition": _l("Case status changed"),
    "case.update": _l("Case updated"),
    "case.view": _l("Case viewed"),
    "crypto.integrity_failure": _l("Stored value failed its integrity check"),
    "drug_programme.view": _l("Drug programme viewed"),
    "intake.accept": _l("Intake report accepted"),
    "intake.dismiss": _l("Intake report dismissed"),
    "intake.list": _l("Intake queue viewed"),
    "intake.receive": _l("Intake report recorded"),
    "intake.status": _l("Intake report status asked"),
    "intake.view": _l("Intake report opened"),
    "drugs.complete": _l("Drug programme completed"),
    "drugs.decision": _l("Drug programme decision recorded"),
    "drugs.escalate": _l("Drug programme escalated"),
    "drugs.register": _l("Drug programme registered"),
    "drugs.test": _l("Drug test recorded"),
    "keys.escrow_export": _l("Key escrow written"),
    "no_contact.decide": _l("No-contact order decided"),
    "no_contact.request": _l("No-contact order requested"),
    "no_contact_order.view": _l("No-contact order viewed"),
    "person.consent_add": _l("Consent recorded"),
    "person.consent_withdraw": _l("Consent withdrawn"),
    "person.create": _l("Person registered"),
    "person.erased": _l("Person erased"),
    "person.erasure_cancelled": _l("Erasure request cancelled"),
    "person.erasure_denied": _l("Erasure request refused"),
    "person.erasure_requested": _l("Erasure requested"),
    "person.link": _l("Recorded as the same person"),
    "person.link_compare": _l("Two registrations compared"),
    "person.unlink": _l("Same-person link removed"),
    "person.list": _l("Person list viewed"),
    "person.relative_add": _l("Relative added"),
    "person.search": _l("Persons searched"),
    "notification.read": _l("Notification marked read"),
    "person.distinct": _l("Recorded as a different person"),
    "person.duplicate_check": _l("Duplicate check"),
    "person.update": _l("Person updated"),
    "person.view": _l("Person viewed"),
    "record.correct": _l("Record corrected"),
    "record.view": _l("Record history viewed"),
    "record.void": _l("Record voided"),
    "programme.activity": _l("Programme activity recorded"),
    "programme.change": _l("Programme enrolment changed"),
    "programme.create": _l("Intervention model registered"),
    "programme.enrol": _l("Enrolled in a programme"),
    "programme.leave": _l("Left a programme"),
    "programme.participants": _l("Programme participants viewed"),
    "programme.targets": _l("Programme targets set"),
    "programme.update": _l("Intervention model updated"),
    "programme.view": _l("Intervention model viewed"),
    "programme.visit": _l("Monitoring visit recorded"),
    "referral.answer": _l("Referral answered"),
    "referral.complete": _l("Referral completed"),
    "referral.letter": _l("Referral letter printed"),
    "referral.send": _l("Referral sent"),
    "referral.view": _l("Referral viewed"),
    "report.export": _l("Report or list exported"),
    "report.monitoring": _l("Monitoring report viewed"),
    "rule.add_version": _l("Rule version added"),
    "service.deliver": _l("Service delivered"),
    "service_point.create": _l("Service point created"),
    "service_point.update": _l("Service point updated"),
    "service_point.view": _l("Service point viewed"),
    "token.create": _l("API token created"),
    "token.revoke": _l("API token revoked"),
    "trafficking.status_add": _l("Trafficking status recorded"),
    "trafficking_status.view": _l("Trafficking status viewed"),
    "unit.areas": _l("Unit areas changed"),
    "unit.close": _l("Unit closed"),
    "unit.open": _l("Unit opened"),
    "user.create": _l("User created"),
    "user.disable": _l("User disabled"),
    "user.enable": _l("User enabled"),
    "user.mfa_reset": _l("User's two-step sign-in reset"),
    "user.password_reset": _l("User's password reset"),
    "user.role_add": _l("Role given"),
    "user.role_remove": _l("Role taken away"),
    "user.update": _l("User updated"),
}

# Fixed reason codes. Reasons built from codes ("model 12", "social_worker@C01") are read by
# _composite_reasons, per action; any other reason is shown as it was recorded.
REASON_LABELS = {
    "bad credentials": _l("wrong username or password"),
    # crypto.integrity_failure: why a value or key did not open (docs/encryption.md).
    "bad key": _l("data key failed to authenticate"),
    "bad value": _l("stored value failed to authenticate"),
    "invalid text": _l("stored value is not valid text"),
    "key state": _l("data key marked destroyed but still present"),
    "missing key": _l("data key missing"),
    "null key": _l("data key removed without an erasure record"),
    "row seal": _l("value rolled back, blanked or replaced"),
    "unknown master key": _l("master key not available"),
    "caseload": _l("caseload"),
    # case.list: the list pages that name cases (supervision.queries.audit_list).
    "approvals queue": _l("approvals queue"),
    "home page": _l("home page"),
    "reassignment list": _l("reassignment list"),
    "returned plans": _l("returned plans"),
    "consent given": _l("consent given"),
    "consent missing": _l("consent missing"),
    "consent override": _l("consent overridden"),
    "declined": _l("referral declined"),
    "disabled": _l("account disabled"),
    "intake queue": _l("intake queue"),
    "internal": _l("internal error"),
    "linked case": _l("added to an existing case"),
    "new case": _l("new case opened"),
    "invalid criteria": _l("invalid search criteria"),
    "mfa not enrolled": _l("two-step sign-in not set up"),
    "my tasks": _l("my tasks"),
    "not eligible": _l("not eligible"),
    "no such record": _l("no such record"),
    "not found": _l("not found"),
    "not managed": _l("not managed here"),
    "not on this case": _l("not on this case"),
    "not your area": _l("not your area"),
    # person.link, person.unlink refused (people.links).
    "same record": _l("the other registration named is this one"),
    "already linked": _l("already linked"),
    "not linked": _l("not linked"),
    "out of scope": _l("outside your scope"),
    "override not allowed": _l("going ahead without consent not allowed"),
    "overdue tasks": _l("overdue tasks"),
    "partner of another group": _l("partner does not serve the case's group"),
    "pending erasures": _l("pending erasures"),
    "person erased": _l("person erased"),
    "person list xlsx (password protected)": _l("person list, Excel (password protected)"),
    "provincial full.xlsx": _l("full provincial report, Excel"),  # report.export
    "read only": _l("read only"),
    "referrals": _l("referrals"),
    "supervision dashboard": _l("supervision dashboard"),
    "unknown case": _l("unknown case"),
    "unknown enrolment": _l("unknown enrolment"),
    "unknown job": _l("unknown export job"),
    "unknown number": _l("unknown case number"),
    "unknown report number": _l("unknown report number"),
    "wrong current password": _l("wrong current password"),
    # api.token_refused: why a presented token was refused.
    "unknown": _l("unknown token"),
    "revoked": _l("token revoked"),
    "expired": _l("token expired"),
    "user disabled": _l("account disabled"),
    "password change needed": _l("password change needed"),
}

# What kind of record an event is about (object_type). Codes not here (a table named by an
# integrity failure, say) are shown as recorded.
OBJECT_LABELS = {
    "api_token": _l("API token"),
    "areas": _l("Administrative areas"),
    "assessment": _l("Assessment record"),
    "attachment": _l("Attachment"),
    "audit_alert": _l("Alert"),
    "audit_event": _l("Audit log"),
    "backup": _l("Backup"),
    "break_glass_grant": _l("Emergency access"),
    "case": _l("Case"),
    "case_note": _l("Note"),
    "case_transfer": _l("Case transfer"),
    "consent": _l("Consent"),
    "dated_rule": _l("Rule"),
    "day_off": _l("Day off"),
    "drug_programme": _l("Drug programme"),
    "drug_test": _l("Drug test"),
    "duty": _l("Scheduled duty"),
    "emergency_action": _l("Emergency action"),
    "enrolment": _l("Programme enrolment"),
    "erasure_request": _l("Erasure request"),
    "escrow": _l("Key escrow"),
    "intake_report": _l("Intake report"),
    "intervention_model": _l("Intervention model"),
    "job": _l("Background job"),
    "monitoring_visit": _l("Monitoring visit"),
    "no_contact_order": _l("No-contact order"),
    "note": _l("Note"),
    "notification": _l("Notification"),
    "person": _l("Person"),
    "plan_action": _l("Plan action"),
    "programme_activity": _l("Programme activity"),
    "record": _l("Case record"),
    "referral": _l("Referral"),
    "relative": _l("Relative"),
    "report": _l("Report"),
    "route": _l("Page"),
    "service": _l("Service delivered"),
    "service_delivery": _l("Service delivered"),
    "service_point": _l("Service point"),
    "service_type": _l("Service type"),
    "trafficking_status": _l("Trafficking status"),
    "unit": _l("Unit"),
    "user": _l("User"),
}

# case.reassign: why a supervisor's reassignment was refused (supervision.services._refuse);
# "out of scope" is in REASON_LABELS. A reassignment made records its reason code.
REASSIGN_REFUSALS = {
    "not allowed": _l("role does not allow reassigning cases"),
    "explain other": _l("reason Other chosen without an explanation"),
    "reason too long": _l("explanation too long"),
    "nothing chosen": _l("no case chosen"),
    "unknown owner": _l("new owner unknown or disabled"),
    "closed": _l("case closed"),
    "stale": _l("case changed meanwhile"),
    "owner not in unit": _l("new owner is not a social worker of the case's unit"),
    "same owner": _l("new owner already owns the case"),
    "too many": _l("more cases chosen than one reassignment takes"),
}

# access.denied records the permission the page needs.
PERMISSION_LABELS = {
    Action.VIEW_DASHBOARD: _l("needs: home page"),
    Action.VIEW_CASES: _l("needs: view cases"),
    Action.EDIT_CASES: _l("needs: edit cases"),
    Action.APPROVE_CASES: _l("needs: approve cases"),
    Action.REASSIGN_CASES: _l("needs: reassign cases"),
    Action.BREAK_GLASS: _l("needs: emergency access"),
    Action.REQUEST_ERASURE: _l("needs: request erasure"),
    Action.CONFIRM_ERASURE: _l("needs: confirm erasure"),
    Action.OVERRIDE_CONSENT: _l("needs: override consent"),
    Action.VIEW_SERVICE_POINTS: _l("needs: view service points"),
    Action.MANAGE_SERVICE_POINTS: _l("needs: manage service points"),
    Action.VIEW_PROGRAMMES: _l("needs: view programmes"),
    Action.MANAGE_PROGRAMMES: _l("needs: manage programmes"),
    Action.VIEW_REPORTS: _l("needs: view reports"),
    Action.EXPORT_PERSON_LISTS: _l("needs: export person lists"),
    Action.VIEW_AUDIT: _l("needs: view the audit log"),
    Action.EXPORT_AUDIT: _l("needs: export the audit log"),
    Action.REVIEW_ALERTS: _l("needs: review alerts"),
    Action.MANAGE_BACKGROUND_WORK: _l("needs: manage background work"),
    Action.MANAGE_USERS: _l("needs: manage users"),
    Action.MANAGE_UNITS: _l("needs: manage units"),
    Action.MANAGE_REFERENCE_DATA: _l("needs: manage reference data"),
}

# audit.verify: what the first problem found was (audit.verify.ProblemKind).
VERIFY_PROBLEM_LABELS = {
    ProblemKind.MISSING: _l("an event is missing (deleted, or later events renumbered)"),
    ProblemKind.BROKEN_LINK: _l("an event's link does not match the event before it"),
    ProblemKind.BAD_MAC: _l("an event's content does not match its seal (edited or forged)"),
    ProblemKind.ARCHIVED_ROW: _l("an archived event is still in the log"),
    ProblemKind.BAD_ANCHOR: _l("an archive anchor's signature does not verify"),
    ProblemKind.TAIL_CUT: _l("a checkpoint names an event beyond the end of the log"),
    ProblemKind.CHECKPOINT_MISMATCH: _l("the log differs from a signed checkpoint"),
    ProblemKind.BAD_CHECKPOINT: _l("a checkpoint file is unreadable or badly signed"),
    ProblemKind.EMPTY_LOG: _l("the log is empty, while earlier records say it held events"),
    ProblemKind.BELOW_EVIDENCE: _l("the log ends before events the database recorded"),
    ProblemKind.HEAD_MISMATCH: _l("the last event differs from the one the database recorded"),
}


# What an event names as changed or read (`fields`: names, never values). The services record
# their model's attribute names; the search records its criteria. tests/audit/test_labels.py
# collects every name the code can record and fails on one without a label here.
FIELD_LABELS = {
    # cases, plans, notes, assessments
    "action": _l("Action"),
    "body": _l("Note"),
    "case_number": _l("Case number"),
    "closure_reason": _l("Reason for closing"),
    "number": _l("Case number"),  # the case search by number
    "co_workers": _l("Co-workers"),
    "done_on": _l("Done"),
    "due_on": _l("Due date"),
    "goal": _l("Goal"),
    "kind": _l("Kind"),
    "occurred_on": _l("Date"),
    "owner_id": _l("Worker"),
    "protection_level": _l("Protection level"),
    "responsible": _l("Responsible"),
    "risk_level": _l("Risk level"),
    "sub_groups": _l("Sub-groups"),
    "summary": _l("Intake report"),
    "unit_id": _l("Unit"),
    "carers": _l("Carers"),
    "harm": _l("Harm"),
    "needs": _l("Needs"),
    "safety": _l("Immediate safety"),
    "strengths": _l("Strengths"),
    # transfers, referrals, reviews, corrections
    "decline_reason": _l("Reason for declining"),
    "dismissal_reason": _l("Reason for dismissing"),
    "outcome": _l("Outcome"),
    "override_reason": _l("Reason for going ahead without consent"),
    "reason": _l("Reason"),
    "review_comment": _l("Review comment"),
    "void_reason": _l("Reason for voiding"),
    "voided_at": _l("Voided"),
    # persons, relatives, consents
    "surname": _l("Surname"),
    "middle_name": _l("Middle name"),
    "given_name": _l("Given name"),
    "name": _l("Full name"),  # a search or check by the whole name
    "national_id": _l("National ID number"),
    "phone": _l("Phone"),
    "street_address": _l("Street address"),
    "note": _l("Note"),
    "date_of_birth": _l("Date of birth"),
    "uic": _l("Unique identifier code"),
    "sex": _l("Sex"),
    "birth_year": _l("Year of birth"),
    "birth_year_is_estimated": _l("Year of birth estimated"),
    "area_id": _l("Area"),
    "ethnicity_code": _l("Ethnicity"),
    "is_pseudonymous": _l("Pseudonymous"),
    "registered_unit_id": _l("Registered by (unit)"),
    "registered_by_id": _l("Registered by"),
    "relationship_kind": _l("Relationship"),
    "is_guardian": _l("Guardian"),
    "relative_id": _l("Relative"),
    "scope": _l("Consent to"),
    "given_by": _l("Given by"),
    "given_on": _l("Given on"),
    # support, groups, service points, letters
    "address": _l("Address"),
    "amount_vnd": _l("Amount (VND)"),
    "contact": _l("Contact"),
    "content": _l("Content"),
    "decision_ref": _l("Decision reference"),
    "delivered_on": _l("Delivered on"),
    "filename": _l("File name"),
    "groups": _l("Target groups served"),
    "is_active": _l("Active"),
    "partner_id": _l("Partner"),
    "provider": _l("Provider"),
    "quantity": _l("Quantity"),
    "result": _l("Result"),
    "service_type_id": _l("Service"),
    "tested_on": _l("Tested on"),
    # intake reports
    "child_name": _l("Child's name"),
    "child_details": _l("About the child"),
    "location": _l("Location"),
    "situation": _l("Situation"),
    "reporter_name": _l("Reporter's name"),
    "reporter_contact": _l("Reporter's contact"),
    # programmes and their yearly targets
    "areas": _l("Areas"),
    "description": _l("Description"),
    "starts_on": _l("Starts on"),
    "ends_on": _l("Ends on"),
    "persons_enrolled": _l("Persons enrolled"),
    "persons_assisted": _l("Persons assisted (services delivered)"),
    "community_sessions": _l("Community sessions"),
    "session_participants": _l("Session participants"),
    "staff_trained": _l("Staff trained"),
    "monitoring_visits": _l("Monitoring visits"),
    # rules, days off, emergency measures
    "amount": _l("Amount"),
    "day": _l("Day"),
    "is_working_day": _l("Working day"),
    "key": _l("Rule"),
    "measure": _l("Measure"),
    "needs_check": _l("Needs checking"),
    "source": _l("Source"),
    "taken_at": _l("Taken at"),
    "unit": _l("Unit of time"),
    "valid_from": _l("Valid from"),
    # users
    "display_name": _l("Display name"),
    "email": _l("Email"),
    "role": _l("Role"),
    "username": _l("Username"),
    # the audit search's criteria
    "user": _l("User"),
    "case_ids": _l("Case"),
    "date_from": _l("From (date)"),
    "date_to": _l("To (date)"),
    "client_addr": _l("Client address"),
    "break_glass": _l("Break-glass only"),
    "seq_from": _l("From #"),
    "seq_to": _l("To #"),
}


def fields_cell(names: str | None) -> Markup:
    """The recorded field names as labels, each with its code in small type (as actions)."""
    codes = [code for code in (names or "").split(",") if code]
    return Markup(", ").join(labelled(FIELD_LABELS.get(code), code) for code in codes)


def action_label(code: str | None) -> str:
    """The action's label in the user's language; an unknown code is shown as it is."""
    if not code:
        return ""
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code


# person.list records the page read: "people list page 3" (people.queries).
PEOPLE_LIST_PAGE = "people list page "


def _model(code: str) -> object | None:
    """ "model 12" as "intervention model 12" in the user's language."""
    number = code.removeprefix("model ")
    if number == code or not number.isdigit():
        return None
    return _l("intervention model %(number)s", number=number)


def _group(code: str) -> str | None:
    """A target group's name in the user's language (reference data, the same in every office)."""
    from flask_babel import get_locale

    names = _group_names().get(code)
    return None if names is None else names[1 if str(get_locale()) == "en" else 0]


def _areas_loaded(code: str) -> object | None:
    """ "34/3321" (provinces/communes loaded) in words."""
    provinces, _slash, communes = code.partition("/")
    if not (provinces.isdigit() and communes.isdigit()):
        return None
    return _l(
        "%(provinces)s provinces and %(communes)s communes",
        provinces=provinces,
        communes=communes,
    )


def _former_areas(code: str) -> object | None:
    """ "120" (former areas loaded from a file) in words."""
    return _l("%(count)s former areas", count=code) if code.isdigit() else None


def _reassignment(code: str) -> object | None:
    """A reassignment's reason code, or why it was refused."""
    from casemgr.cases.history_labels import REASSIGN_REASON_LABELS

    return REASSIGN_REASON_LABELS.get(code) or REASSIGN_REFUSALS.get(code)


def _report(code: str) -> object | None:
    """A report's name ("registered", "deadlines")."""
    from casemgr.reports.filters import DEADLINES
    from casemgr.reports.tables import MEASURE_LABELS

    return _l("Deadline compliance") if code == DEADLINES else MEASURE_LABELS.get(code)


def _monitored(code: str) -> object | None:
    """ "registered monitoring" (report.monitoring: the report read) as the report's name."""
    report = code.removesuffix(" monitoring")
    return None if report == code else _report(report)


FILE_FORMATS = {"csv": "CSV", "xlsx": "Excel"}


def _service(code: str) -> str | None:
    """ "child:education" (a service delivered: target group and service) in words."""
    from flask_babel import get_locale

    group, _colon, service = code.partition(":")
    names, group_name = _service_names().get((group, service)), _group(group)
    if names is None or group_name is None:
        return None
    return f"{group_name}: {names[1 if str(get_locale()) == 'en' else 0]}"


@functools.cache
def _service_names() -> dict[tuple[str, str], tuple[str, str]]:
    from casemgr.support.catalogue import SERVICE_TYPES

    return {(group, code): (vi, en) for group, code, vi, en in SERVICE_TYPES}


@functools.cache
def _group_names() -> dict[str, tuple[str, str]]:
    from casemgr.reference.data import TARGET_GROUPS

    return {group: (vi, en) for group, vi, en in TARGET_GROUPS}


def _units() -> dict[str, tuple[int, str, str]]:
    """Every unit by its code and by its id (as text): (id, code, name), read once per request.
    Unit names are not case data; an auditor reads them on the unit pages too."""
    from flask import g, has_app_context

    if not has_app_context():
        return {}
    found = g.get("audit_units")
    if found is None:
        from casemgr.org.queries import unit_names

        found = g.audit_units = {}
        for unit_id, code, name in unit_names():
            found[code] = found[f"#{unit_id}"] = (unit_id, code, name)
    return found


def _role_at_unit(code: str) -> object | None:
    """ "social_worker@C01" (user.role_add, user.role_remove) as the role's label and the unit's
    name with its code."""
    role, at, unit_code = code.partition("@")
    if not at or role not in set(Role) or not unit_code:
        return None
    unit = _units().get(unit_code)
    where = unit_code if unit is None else f"{unit[2]} ({unit_code})"
    return _l("%(role)s at %(unit)s", role=ROLE_LABELS[Role(role)], unit=where)


def _successor(code: str) -> object | None:
    """ "successor=5" (unit.close) as the successor unit's name and code, or its id."""
    unit_id = code.removeprefix("successor=")
    if unit_id == code or not unit_id.isdigit():
        return None
    unit = _units().get(f"#{unit_id}")
    where = f"#{unit_id}" if unit is None else f"{unit[2]} ({unit[1]})"
    return _l("successor unit: %(unit)s", unit=where)


def _open_cases(code: str) -> object | None:
    """ "open cases: 3" (user.disable: the open cases the user still owns) in words."""
    count = code.removeprefix("open cases: ")
    if count == code or not count.isdigit():
        return None
    return _l("still owns %(count)s open cases", count=count)


def _other_person(code: str) -> object | None:
    """ "same_as:12", "not_same_as:12", "compare_with:12", "different_from:12" (person.link,
    person.unlink, person.link_compare, person.distinct): the other registration, by its id
    only (a person's name is case content)."""
    kind, _colon, person_id = code.partition(":")
    if not person_id.isdigit():
        return None
    if kind == "same_as":
        return _l("the same person as person #%(id)s", id=person_id)
    if kind == "not_same_as":
        return _l("no longer linked to person #%(id)s", id=person_id)
    if kind == "compare_with":
        return _l("compared with person #%(id)s", id=person_id)
    if kind == "different_from":
        return _l("a different person from person #%(id)s", id=person_id)
    return None


def _user(code: str) -> object | None:
    """ "user:5" (a co-worker added or removed) as the user's id."""
    user_id = code.removeprefix("user:")
    return _l("user #%(id)s", id=user_id) if user_id != code and user_id.isdigit() else None


NOT_OPEN = " not open to the case"


def _enrolment(code: str) -> object | None:
    """ "model 3" (enrolled), or "model 3 not open to the case" (refused)."""
    if code.endswith(NOT_OPEN):
        model = _model(code.removesuffix(NOT_OPEN))
        return None if model is None else _l("%(model)s is not open to the case", model=model)
    return _model(code)


def _year(code: str) -> object | None:
    """ "2026" (programme.targets: the year whose targets were set)."""
    return _l("year %(year)s", year=code) if code.isdigit() else None


def _archived(code: str) -> object | None:
    """ "archived 1-500" (audit.archive: the events moved to the archive file)."""
    first, dash, last = code.removeprefix("archived ").partition("-")
    if not code.startswith("archived ") or not (dash and first.isdigit() and last.isdigit()):
        return None
    return _l("events #%(first)s to #%(last)s", first=first, last=last)


def _new_alerts(code: str) -> object | None:
    """ "3" (audit.scan: the alerts the scan raised)."""
    return _l("%(count)s new alerts", count=code) if code.isdigit() else None


def _scopes(code: str) -> str | None:
    """ "read write" (token.create: the token's scopes) by their short names."""
    from casemgr.tokens.forms import SCOPE_NAMES

    names = [SCOPE_NAMES.get(scope) for scope in code.split(" ")]
    return None if None in names else ", ".join(str(name) for name in names)


def _missing_scope(code: str) -> object | None:
    """An API token's missing scope (access.denied); a missing permission is labelled by
    PERMISSION_LABELS."""
    from casemgr.tokens.forms import SCOPE_NAMES

    name = SCOPE_NAMES.get(code)
    return None if name is None else _l("token lacks the scope: %(scope)s", scope=name)


@functools.cache
def _composite_reasons() -> dict[str, tuple[str, Callable, Callable | None]]:
    """Reasons built from codes, per action: (separator, label of the part before it, label of
    the part after it, if any). Read on first use: the modules that own these labels import
    much more."""
    from casemgr.cases.forms import BREAK_GLASS_LABELS
    from casemgr.groups.forms import DECISION_LABELS, ESCALATION_LABELS
    from casemgr.jobs.views import KIND_LABELS
    from casemgr.jobs.wording import duty_outcome
    from casemgr.people.forms import (
        CONSENT_GIVER_LABELS,
        CONSENT_SCOPE_LABELS,
        LINK_REASON_LABELS,
        UNLINK_REASON_LABELS,
    )
    from casemgr.people.forms import REASON_LABELS as ERASURE_REASON_LABELS
    from casemgr.programmes.forms import ACTIVITY_KIND_LABELS, FINDING_LABELS
    from casemgr.support.forms import (
        POINT_KIND_LABELS,
        REFERRAL_STATUS_LABELS,
        VICTIM_STATUS_LABELS,
    )

    scope, giver = CONSENT_SCOPE_LABELS.get, CONSENT_GIVER_LABELS.get
    erasure = ERASURE_REASON_LABELS.get
    return {
        "person.consent_add": (":", scope, giver),  # "referral:guardian"
        # "referral:guardian"; "referral" alone before 2026-12-07
        "person.consent_withdraw": (":", scope, giver),
        "programme.activity": (": ", _model, ACTIVITY_KIND_LABELS.get),  # "model 1: staff_training"
        "programme.visit": (": ", _model, FINDING_LABELS.get),  # "model 1: satisfactory"
        "programme.enrol": ("", _enrolment, None),  # "model 1", "model 1 not open to the case"
        "programme.leave": ("", _model, None),
        "programme.create": ("", _group, None),  # "child"
        "service_point.create": ("", POINT_KIND_LABELS.get, None),  # "school"
        "trafficking.status_add": ("", VICTIM_STATUS_LABELS.get, None),  # "identified"
        "duty.run": ("", duty_outcome, None),  # '{"failed_jobs":0,"requeued":0}'
        "areas.load": ("", _areas_loaded, None),  # "34/3321"
        "areas.load_legacy": ("", _former_areas, None),  # "120"
        "case.reassign": ("", _reassignment, None),  # "workload", "owner not in unit"
        "job.start": ("", KIND_LABELS.get, None),  # "person_list"
        "job.download": ("", KIND_LABELS.get, None),
        "job.retry": ("", KIND_LABELS.get, None),
        "report.export": (" ", _report, FILE_FORMATS.get),  # "registered csv"
        "report.monitoring": ("", _monitored, None),  # "registered monitoring"
        "service.deliver": ("", _service, None),  # "child:education"
        "programme.targets": ("", _year, None),  # "2026"
        "user.role_add": ("", _role_at_unit, None),  # "social_worker@C01"
        "user.role_remove": ("", _role_at_unit, None),
        "user.disable": ("", _open_cases, None),  # "open cases: 3"
        "unit.close": ("", _successor, None),  # "successor=5"
        # "same_as:12 papers_checked"; "same_as:12" alone before 2026-12-08
        "person.link": (" ", _other_person, LINK_REASON_LABELS.get),
        "person.unlink": (" ", _other_person, UNLINK_REASON_LABELS.get),  # "not_same_as:12 …"
        "person.link_compare": ("", _other_person, None),  # "compare_with:12"
        "person.distinct": ("", _other_person, None),  # "different_from:12"
        "person.erasure_requested": ("", erasure, None),  # "subject_request"
        "person.erased": ("", erasure, None),
        "person.erasure_cancelled": ("", erasure, None),
        "case.break_glass": ("", BREAK_GLASS_LABELS.get, None),  # "emergency"
        "case.co_worker_add": ("", _user, None),  # "user:5"
        "case.co_worker_remove": ("", _user, None),
        "drugs.escalate": ("", ESCALATION_LABELS.get, None),  # "relapse"
        "no_contact.decide": ("", DECISION_LABELS.get, None),  # "granted"
        "referral.answer": ("", REFERRAL_STATUS_LABELS.get, None),  # "accepted", "declined"
        "audit.archive": ("", _archived, None),  # "archived 1-500"
        "audit.scan": ("", _new_alerts, None),  # "3"
        "audit.verify": ("", VERIFY_PROBLEM_LABELS.get, None),  # "bad_mac"
        "token.create": ("", _scopes, None),  # "read write"
        "access.denied": ("", _missing_scope, None),  # an API token's scope ("audit")
    }


def _composite_label(code: str, action: str) -> str | None:
    shape = _composite_reasons().get(action)
    if shape is None:
        return None
    separator, first_label, second_label = shape
    head, found, tail = code.partition(separator) if separator else (code, "", "")
    first = first_label(head)
    if first is None:
        return None  # not the shape this action records: shown as recorded
    if not found:
        return str(first)
    second = second_label(tail) if second_label is not None else None
    return None if second is None else f"{first}: {second}"


def reason_label(code: str | None, action: str | None = None) -> str:
    """A fixed reason's label in the user's language; a reason built from codes (a consent's
    scope and giver, a programme model and kind) with its parts' labels, given the action that
    recorded it; other reasons are shown as recorded."""
    if not code:
        return ""
    if action is not None:
        composite = _composite_label(code, action)
        if composite is not None:
            return composite
    label = REASON_LABELS.get(code) or PERMISSION_LABELS.get(code)
    # A workflow move records its name as the reason ("submit_plan"): shown as the move's
    # label, as the case page's buttons say it.
    move = move_named(code)
    if label is None and move is not None:
        label = move.label
    if (
        label is None
        and code.startswith(PEOPLE_LIST_PAGE)
        and code[len(PEOPLE_LIST_PAGE) :].isdigit()
    ):
        return str(_l("people list, page %(page)s", page=code[len(PEOPLE_LIST_PAGE) :]))
    return str(label) if label is not None else code


def labelled(label: object | None, code: str) -> Markup:
    """A code's label with the code in small type beside it (codes stay searchable); a code
    without a label, as it is."""
    if label is None:
        return Markup("<code>{}</code>").format(code)
    return Markup('{} <code class="small text-muted">{}</code>').format(str(label), code)


def action_cell(code: str | None) -> Markup:
    """The action's label with its code beside it."""
    if not code:
        return Markup("")
    return labelled(ACTION_LABELS.get(code), code)


def _duty(ident: str) -> str | None:
    """ "recover_jobs@2026-12-07T13:24:00" (a duty and the UTC start of its period) as the
    duty's label and that time, in the reader's language and time zone."""
    from casemgr.i18n import show_datetime
    from casemgr.jobs.views import DUTY_LABELS

    name, _at, slot = ident.partition("@")
    label = DUTY_LABELS.get(name)
    try:
        start = dt.datetime.fromisoformat(slot).replace(tzinfo=dt.UTC)
    except ValueError:
        return None
    return None if label is None else f"{label} ({show_datetime(start)})"


def object_cell(code: str | None, object_id: str | int | None) -> Markup:
    """What an event is about: the kind's label and the id ("User #2"); a kind without a label
    as its code in small type, then the id. The type code only repeats the label, so it is not
    shown (the CSV export keeps it)."""
    ident = "" if object_id is None else str(object_id)
    if not code:
        return Markup("{}").format(ident)
    label = OBJECT_LABELS.get(code)
    if label is None:
        return Markup("{} {}").format(labelled(None, code), ident)
    if code == "duty":
        duty = _duty(ident)
        if duty is not None:
            return Markup("{}").format(duty)
    parts = ident.split(",")
    if all(part.isdigit() for part in parts):  # ids; "7,8": the cases an auditor looked up
        ident = ", ".join(f"#{part}" for part in parts)
    return Markup("{} {}").format(str(label), ident) if ident else Markup("{}").format(str(label))
