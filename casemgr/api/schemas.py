"""Request and response shapes of the API (marshmallow); the OpenAPI document is built from them."""

from __future__ import annotations

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from casemgr.cases.closure import ClosureReason
from casemgr.cases.models import NoteKind, ProtectionLevel, RiskLevel
from casemgr.cases.workflow import COMBINED, TRANSITIONS, Status
from casemgr.crypto import normalise
from casemgr.intake.validation import MAX_LENGTHS
from casemgr.people.models import Sex
from casemgr.support.models.referrals import ReferralStatus
from casemgr.web.ids import MAX_ID

Id = lambda **kw: fields.Integer(strict=True, validate=validate.Range(1, MAX_ID), **kw)  # noqa: E731
Text = lambda n, **kw: fields.String(validate=validate.Length(1, n), **kw)  # noqa: E731
Choice = lambda enum, **kw: fields.String(  # noqa: E731
    validate=validate.OneOf([e.value for e in enum]), **kw
)


class Strict(ma.Schema):
    """Refuse unknown fields (no over-posting: owner, unit or role cannot be slipped in)."""

    class Meta:
        unknown = ma.RAISE


# -- problems ---------------------------------------------------------------------------------


class FieldErrorSchema(ma.Schema):
    field = fields.String(required=True)
    detail = fields.String(required=True)


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    instance = fields.String()
    errors = fields.List(fields.Nested(FieldErrorSchema))
    duplicates = fields.List(fields.Integer(), metadata={"description": "Ids you may open."})
    elsewhere = fields.Integer(metadata={"description": "Matches outside your scope."})
    current_version = fields.Raw(metadata={"description": "The version now (412)."})
    code = fields.String()


# -- pagination --------------------------------------------------------------------------------


class PageArgs(Strict):
    limit = fields.Integer(load_default=25, validate=validate.Range(1, 100))
    cursor = fields.String(load_default=None, validate=validate.Length(1, 40))


# -- persons ----------------------------------------------------------------------------------


class PersonSchema(ma.Schema):
    """A person; the identifying values only for callers who may read them, none once erased."""

    id = fields.Integer(required=True)
    version = fields.Integer(required=True)
    erased = fields.Boolean(required=True)
    sex = fields.String(required=True)
    birth_year = fields.Integer(allow_none=True)
    is_pseudonymous = fields.Boolean(required=True)
    surname = fields.String(allow_none=True)
    middle_name = fields.String(allow_none=True)
    given_name = fields.String(allow_none=True)
    uic = fields.String(allow_none=True)
    national_id = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    street_address = fields.String(allow_none=True)
    date_of_birth = fields.String(allow_none=True)


def _national_id(value: str | None) -> None:
    if value and normalise.national_id(value) is None:
        raise ma.ValidationError(str(_l("The ID number must have 12 digits (or 9 for an old ID).")))


def _phone(value: str | None) -> None:
    if value and normalise.phone(value) is None:
        raise ma.ValidationError(str(_l("Enter a Vietnamese phone number.")))


class PersonCreateSchema(Strict):
    unit_id = Id(required=True, metadata={"description": "A unit where you work."})
    sex = Choice(Sex, required=True)
    surname = Text(100, load_default=None)
    middle_name = Text(100, load_default=None)
    given_name = Text(100, load_default=None)
    date_of_birth = fields.Date(load_default=None)
    birth_year = fields.Integer(load_default=None, validate=validate.Range(1900, 2100))
    ethnicity_code = Text(10, load_default=None)
    national_id = fields.String(load_default=None, validate=[validate.Length(1, 20), _national_id])
    phone = fields.String(load_default=None, validate=[validate.Length(1, 20), _phone])
    street_address = Text(300, load_default=None)
    area_id = Id(load_default=None, metadata={"description": "A commune the unit serves."})
    is_pseudonymous = fields.Boolean(load_default=False)
    mother_given_name = Text(100, load_default=None)
    different_person = fields.Boolean(
        load_default=False,
        metadata={"description": "Register although someone has this national ID or phone."},
    )
    confirmed_new = fields.Boolean(
        load_default=False,
        metadata={"description": "Register although probable earlier registrations exist."},
    )

    @ma.validates_schema(skip_on_field_errors=False)
    def _named(self, data: dict, **kwargs: object) -> None:
        """A person registered by name needs a given name (reported with the other fields)."""
        if not data.get("is_pseudonymous") and not data.get("given_name"):
            raise ma.ValidationError(str(_l("This field is required.")), "given_name")


class PersonUpdateSchema(Strict):
    """A correction of a person's facts (fields left out stay as they are; null clears)."""

    sex = Choice(Sex)
    surname = fields.String(allow_none=True, validate=validate.Length(max=100))
    middle_name = fields.String(allow_none=True, validate=validate.Length(max=100))
    given_name = fields.String(allow_none=True, validate=validate.Length(max=100))
    date_of_birth = fields.Date(allow_none=True)
    birth_year = fields.Integer(allow_none=True, validate=validate.Range(1900, 2100))
    ethnicity_code = fields.String(allow_none=True, validate=validate.Length(max=10))
    national_id = fields.String(allow_none=True, validate=[validate.Length(max=20), _national_id])
    phone = fields.String(allow_none=True, validate=[validate.Length(max=20), _phone])
    area_id = Id(allow_none=True)
    street_address = fields.String(allow_none=True, validate=validate.Length(max=300))


class PersonSearchSchema(Strict):
    national_id = Text(20, load_default=None)
    phone = Text(20, load_default=None)
    name = Text(200, load_default=None)


class PersonListSchema(ma.Schema):
    items = fields.List(fields.Nested(PersonSchema), required=True)


# -- cases ------------------------------------------------------------------------------------


class CaseSchema(ma.Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    version = fields.Integer(required=True)
    status = fields.String(required=True)
    group_code = fields.String(required=True)
    protection_level = fields.String(required=True)
    risk_level = fields.String(required=True)
    unit_id = fields.Integer(required=True)
    owner_id = fields.Integer(required=True)
    person_id = fields.Integer(required=True)
    opened_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    closed_at = fields.DateTime(allow_none=True)
    closure_reason = fields.String(
        allow_none=True,
        metadata={"description": "Why the case closes or closed (requested or closed cases)."},
    )
    summary = fields.String(allow_none=True)
    can_write = fields.Boolean(required=True)
    transitions = fields.List(fields.String(), required=True)


class CaseListItemSchema(ma.Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    status = fields.String(required=True)
    group_code = fields.String(required=True)
    risk_level = fields.String(required=True)
    unit_id = fields.Integer(required=True)
    owner_id = fields.Integer(required=True)
    person_id = fields.Integer(required=True)
    updated_at = fields.DateTime(required=True)


class CaseListSchema(ma.Schema):
    items = fields.List(fields.Nested(CaseListItemSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class CaseFilterArgs(PageArgs):
    status = Choice(Status, load_default=None)
    group = Text(20, load_default=None)
    risk = Choice(RiskLevel, load_default=None)
    overdue = fields.Boolean(load_default=False)


class CaseCreateSchema(Strict):
    person_id = Id(required=True)
    unit_id = Id(required=True, metadata={"description": "A unit where you work."})
    group_code = Text(20, required=True)
    sub_group_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=30))
    protection_level = Choice(ProtectionLevel, required=True)
    risk_level = Choice(RiskLevel, required=True)
    summary = Text(5000, load_default=None)
    confirm_another = fields.Boolean(
        load_default=False,
        metadata={"description": "Open the case although the person already has an open case."},
    )


class CaseUpdateSchema(Strict):
    """A correction of the case's classification and summary (fields left out stay as they are)."""

    protection_level = Choice(ProtectionLevel)
    risk_level = Choice(RiskLevel)
    sub_group_ids = fields.List(Id(), validate=validate.Length(max=30))
    summary = fields.String(allow_none=True, validate=validate.Length(max=20000))
    reason = Text(300, load_default=None, metadata={"description": "Why (sealed in the history)."})


class TransitionSchema(Strict):
    name = fields.String(
        required=True,
        validate=validate.OneOf(sorted({m.name for m in (*TRANSITIONS, *COMBINED)})),
        metadata={"description": "A move listed in `transitions`."},
    )
    comment = Text(300, load_default=None)
    closure_reason = Choice(
        ClosureReason,
        load_default=None,
        metadata={
            "description": "Why the case can close: required to request closure "
            "(`request_closure`, `review_and_request_closure`), refused with any other move. "
            "`term_completed` and `compulsory_rehab` fit drug-programme cases only, `aged_out` "
            "children's cases of a person who may be 16 by now."
        },
    )


# -- notes, services, referrals ---------------------------------------------------------------


class NoteSchema(ma.Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    occurred_on = fields.Date(required=True)
    author_id = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    body = fields.String(allow_none=True)


class NoteListSchema(ma.Schema):
    items = fields.List(fields.Nested(NoteSchema), required=True)


class NoteCreateSchema(Strict):
    kind = Choice(NoteKind, required=True)
    occurred_on = fields.Date(required=True)
    body = Text(10000, required=True)


class ServiceSchema(ma.Schema):
    id = fields.Integer(required=True)
    service_type_id = fields.Integer(required=True)
    partner_id = fields.Integer(allow_none=True)
    delivered_on = fields.Date(required=True)
    quantity = fields.Integer(allow_none=True)
    amount_vnd = fields.Integer(allow_none=True)
    provider = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class ServiceListSchema(ma.Schema):
    items = fields.List(fields.Nested(ServiceSchema), required=True)


class ServiceCreateSchema(Strict):
    service_type_id = Id(required=True)
    delivered_on = fields.Date(required=True)
    partner_id = Id(load_default=None)
    provider = Text(200, load_default=None)
    quantity = fields.Integer(load_default=None, validate=validate.Range(1, 10000))
    amount_vnd = fields.Integer(load_default=None, validate=validate.Range(0, 10**12))
    note = Text(2000, load_default=None)


class ReferralSchema(ma.Schema):
    id = fields.Integer(required=True)
    status = fields.String(
        required=True, validate=validate.OneOf([s.value for s in ReferralStatus])
    )
    partner_id = fields.Integer(required=True)
    service_type_id = fields.Integer(required=True)
    sent_on = fields.Date(required=True)
    answer_due_on = fields.Date(required=True)
    answered_on = fields.Date(allow_none=True)
    completed_on = fields.Date(allow_none=True)
    reason = fields.String(allow_none=True)
    decline_reason = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)


class ServiceTypeSchema(ma.Schema):
    """A service the case's person may receive today: its id for services and referrals."""

    id = fields.Integer(required=True)
    code = fields.String(required=True)
    label = fields.String(required=True, metadata={"description": "In the caller's language."})


class ServiceTypeListSchema(ma.Schema):
    items = fields.List(fields.Nested(ServiceTypeSchema), required=True)


class PartnerSchema(ma.Schema):
    """A service point that takes referrals: its id is a referral's `partner_id`."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    kind_label = fields.String(required=True, metadata={"description": "In the caller's language."})
    area = fields.String(required=True, metadata={"description": "The area it is in."})
    groups = fields.List(
        fields.String(),
        required=True,
        metadata={
            "description": "The target groups it serves; empty while none is recorded (it is "
            "then offered to every group)."
        },
    )


class PartnerListSchema(ma.Schema):
    items = fields.List(fields.Nested(PartnerSchema), required=True)


class ReferralListSchema(ma.Schema):
    items = fields.List(fields.Nested(ReferralSchema), required=True)


class ReferralCreateSchema(Strict):
    partner_id = Id(required=True)
    service_type_id = Id(required=True)
    reason = Text(2000, required=True)
    sent_on = fields.Date(required=True)
    override_reason = Text(300, load_default=None)


class ReferralAnswerSchema(Strict):
    accepted = fields.Boolean(required=True)
    answered_on = fields.Date(required=True)
    decline_reason = Text(2000, load_default=None)


class ReferralCompleteSchema(Strict):
    completed_on = fields.Date(required=True)
    outcome = Text(2000, required=True)


# -- tasks -------------------------------------------------------------------------------------


class TaskSchema(ma.Schema):
    case_id = fields.Integer(required=True)
    case_number = fields.String(required=True)
    kind = fields.String(required=True)
    label = fields.String(required=True)
    due_at = fields.DateTime(required=True)
    overdue = fields.Boolean(required=True)


class TaskListSchema(ma.Schema):
    items = fields.List(fields.Nested(TaskSchema), required=True)


class TaskArgs(Strict):
    overdue = fields.Boolean(load_default=False)


# -- audit -------------------------------------------------------------------------------------


class AuditEventSchema(ma.Schema):
    """Who did what, when and where; never a value, never case content."""

    seq = fields.Integer(required=True)
    occurred_at = fields.DateTime(required=True)
    actor_id = fields.Integer(allow_none=True)
    actor_name = fields.String(allow_none=True)
    actor_roles = fields.String(allow_none=True)
    action = fields.String(required=True)
    object_type = fields.String(allow_none=True)
    object_id = fields.String(allow_none=True)
    case_id = fields.Integer(allow_none=True)
    fields_ = fields.String(allow_none=True, data_key="fields")
    outcome = fields.String(required=True)
    channel = fields.String(required=True)
    client_addr = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    is_break_glass = fields.Boolean(required=True)


class AuditEventListSchema(ma.Schema):
    items = fields.List(fields.Nested(AuditEventSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class AuditEventArgs(PageArgs):
    user = Text(64, load_default=None)
    action = Text(64, load_default=None)
    outcome = fields.String(load_default=None, validate=validate.OneOf(["allowed", "denied"]))
    date_from = fields.Date(load_default=None)
    date_to = fields.Date(load_default=None)


class AlertSchema(ma.Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    status = fields.String(required=True)
    actor_id = fields.Integer(allow_none=True)
    actor_name = fields.String(allow_none=True)
    case_id = fields.Integer(allow_none=True)
    window_start = fields.DateTime(required=True)
    window_end = fields.DateTime(required=True)
    event_count = fields.Integer(required=True)
    first_seq = fields.Integer(required=True)
    last_seq = fields.Integer(required=True)


class AlertListSchema(ma.Schema):
    items = fields.List(fields.Nested(AlertSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


# -- intake -------------------------------------------------------------------------------------


class IntakeReportSchema(Strict):
    """An intake report (form 01 of Decree 56/2017); the texts are sealed at once."""

    unit_code = Text(40, required=True, metadata={"description": "The commune office's code."})
    source = fields.String(required=True, validate=validate.OneOf(["hotline", "partner"]))
    situation = Text(
        MAX_LENGTHS["situation"],
        required=True,
        metadata={"description": "What happened, the harm."},
    )
    location = Text(
        MAX_LENGTHS["location"], required=True, metadata={"description": "Where the child is."}
    )
    child_name = Text(MAX_LENGTHS["child_name"], load_default=None)
    child_details = Text(MAX_LENGTHS["child_details"], load_default=None)
    carers = Text(MAX_LENGTHS["carers"], load_default=None)
    reporter_name = Text(MAX_LENGTHS["reporter_name"], load_default=None)
    reporter_contact = Text(MAX_LENGTHS["reporter_contact"], load_default=None)
    reporter_consents = fields.Boolean(
        load_default=False,
        metadata={"description": "The reporter agrees that their name and contact are kept."},
    )
    is_emergency = fields.Boolean(load_default=False)
    received_at = fields.AwareDateTime(load_default=None)


class IntakeStatusSchema(ma.Schema):
    number = fields.String(required=True)
    status = fields.String(
        required=True, validate=validate.OneOf(["received", "accepted", "dismissed"])
    )
