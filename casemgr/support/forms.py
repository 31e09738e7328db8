"""Forms and labels for services, trafficking statuses, referrals and service points."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from casemgr.support.models import (
    DecidingAuthority,
    DocumentKind,
    Location,
    ReferralStatus,
    ServicePointKind,
    VictimStatus,
)
from casemgr.web import validators as v
from casemgr.web.forms import CheckboxesField, Form, MoneyField, choices, choose, fact_choices

VICTIM_STATUS_LABELS = {
    VictimStatus.BEING_IDENTIFIED: _l("Being identified"),
    VictimStatus.IDENTIFIED: _l("Identified victim"),
    VictimStatus.ACCOMPANYING_MINOR: _l("Minor accompanying a victim"),
    VictimStatus.FOREIGN_VICTIM: _l("Foreign victim"),
}
LOCATION_LABELS = {
    Location.IN_VIET_NAM: _l("In Viet Nam"),
    Location.ABROAD: _l("Abroad"),
}
AUTHORITY_LABELS = {
    DecidingAuthority.POLICE: _l("Police"),
    DecidingAuthority.BORDER_GUARD: _l("Border guard"),
    DecidingAuthority.COAST_GUARD: _l("Coast guard"),
    DecidingAuthority.COMMUNE_COMMITTEE: _l("Commune People's Committee"),
    DecidingAuthority.MISSION_ABROAD: _l("Viet Nam's mission abroad"),
    DecidingAuthority.OTHER: _l("Other authority"),
}
DOCUMENT_KIND_LABELS = {
    DocumentKind.DECISION: _l("Identification decision"),
    DocumentKind.EVIDENCE: _l("Evidence"),
}
POINT_KIND_LABELS = {
    ServicePointKind.SHELTER: _l("Shelter"),
    ServicePointKind.SOCIAL_PROTECTION_CENTRE: _l("Social protection centre"),
    ServicePointKind.HEALTH_FACILITY: _l("Health facility"),
    ServicePointKind.LEGAL_AID_CENTRE: _l("Legal-aid centre"),
    ServicePointKind.POLICE: _l("Police"),
    ServicePointKind.SCHOOL: _l("School"),
    ServicePointKind.VOCATIONAL_TRAINING: _l("Vocational training"),
    ServicePointKind.NGO: _l("Non-governmental organisation"),
    ServicePointKind.RELIABLE_ADDRESS: _l("Reliable address"),
    ServicePointKind.OTHER: _l("Other"),
}
REFERRAL_STATUS_LABELS = {
    ReferralStatus.SENT: _l("Waiting for an answer"),
    ReferralStatus.ACCEPTED: _l("Accepted"),
    ReferralStatus.DECLINED: _l("Declined"),
    ReferralStatus.COMPLETED: _l("Completed"),
}

NONE = SelectChoice(0, "—")
# After a partner's name in the forms' lists: a partner with no target group recorded is still
# offered to every group, and offices see which ones to fill in.
GROUPS_NOT_RECORDED = _l("(target groups not recorded)")

# A partner not offered (another group's, or no longer in use) is refused with the reason.
NOT_OFFERED = _l("Choose a partner that is in use and serves the case's target group.")


class DeliveryForm(Form):
    """A service delivered (the service choices are the eligible ones only)."""

    service_type_id = SelectField(_l("Service"), coerce=int, validators=[DataRequired()])
    delivered_on = DateField(_l("Date"), validators=[DataRequired(), v.past_date()])
    partner_id = SelectField(
        _l("Provided by (partner)"),
        coerce=int,
        validators=[Optional()],
        invalid_choice_message=NOT_OFFERED,
    )
    provider = StringField(_l("Or another provider"), validators=[Optional(), Length(max=300)])
    quantity = IntegerField(_l("Quantity"), validators=[Optional(), v.amount(1, 100_000)])
    amount_vnd = MoneyField(_l("Amount (VND)"), validators=[Optional(), v.amount()])
    note = TextAreaField(
        _l("Note"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 3}
    )
    submit = SubmitField(_l("Record service"))

    # The case page shows a partner or a free-text provider, not both: refusing the pair keeps
    # the typed text from being saved where nobody reads it.
    def validate_provider(self, field: StringField) -> None:
        """Either a partner from the directory or another provider, not both."""
        if self.partner_id.data and (field.data or "").strip():
            raise ValidationError(
                _l("Choose a partner organisation or write another provider, not both.")
            )


class StatusForm(Form):
    """A new trafficking status with its decision and evidence documents."""

    status = SelectField(
        _l("Status"), choices=fact_choices(VICTIM_STATUS_LABELS), validators=[choose()]
    )
    location = SelectField(
        _l("Where the person is (while being identified)"),
        choices=choices(LOCATION_LABELS, blank=True),
        validators=[Optional()],
    )
    valid_from = DateField(_l("In force from"), validators=[DataRequired(), v.past_date()])
    decided_by = SelectField(
        _l("Decided by"), choices=choices(AUTHORITY_LABELS, blank=True), validators=[Optional()]
    )
    decision_ref = StringField(
        _l("Decision number and date"), validators=[Optional(), Length(max=200)]
    )
    note = TextAreaField(
        _l("Note"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 3}
    )
    decision_file = FileField(_l("Identification decision (PDF, JPEG or PNG)"))
    evidence_files = MultipleFileField(_l("Evidence documents"))
    submit = SubmitField(_l("Record status"))


class ReferralForm(Form):
    """Send a referral; the override reason is shown only to those who may override."""

    partner_id = SelectField(
        _l("Refer to"), coerce=int, validators=[DataRequired()], invalid_choice_message=NOT_OFFERED
    )
    service_type_id = SelectField(_l("For the service"), coerce=int, validators=[DataRequired()])
    sent_on = DateField(_l("Sent on"), validators=[DataRequired(), v.past_date()])
    reason = TextAreaField(
        _l("Reason for the referral"),
        validators=[DataRequired(), Length(max=5000)],
        render_kw={"rows": 3},
    )
    override_reason = TextAreaField(
        _l(
            "Consent is missing. Why must the referral go ahead without it? (at least one sentence)"
        ),
        validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Send referral"))


class AnswerForm(Form):
    """The partner's answer, recorded on its behalf."""

    referral_id = HiddenField(validators=[InputRequired()])
    answer = SelectField(
        _l("Answer"),
        choices=fact_choices({"accept": _l("Accepted"), "decline": _l("Declined")}),
        validators=[choose()],
    )
    answered_on = DateField(_l("Answered on"), validators=[DataRequired(), v.past_date()])
    decline_reason = TextAreaField(
        _l("Why it was declined"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 3}
    )
    submit = SubmitField(_l("Record answer"))


class CompleteForm(Form):
    """The outcome that closes an accepted referral."""

    referral_id = HiddenField(validators=[InputRequired()])
    completed_on = DateField(_l("Completed on"), validators=[DataRequired(), v.past_date()])
    outcome = TextAreaField(
        _l("Outcome"), validators=[DataRequired(), Length(max=5000)], render_kw={"rows": 3}
    )
    submit = SubmitField(_l("Record outcome"))


class ServicePointForm(Form):
    """A service point or partner organisation."""

    kind = SelectField(_l("Kind"), choices=fact_choices(POINT_KIND_LABELS), validators=[choose()])
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=200)],
        description=_l(
            "For a reliable address, a label that neither names the host nor locates the "
            "house (e.g. 'Reliable address 3')."
        ),
    )
    area_id = SelectField(_l("Commune or province"), coerce=int, validators=[DataRequired()])
    address = TextAreaField(
        _l("Address"), validators=[Optional(), Length(max=500)], render_kw={"rows": 2}
    )
    contact = TextAreaField(
        _l("Contact (person, phone, e-mail)"),
        validators=[Optional(), Length(max=500)],
        render_kw={"rows": 2},
    )
    groups = CheckboxesField(
        _l("Target groups served"),
        description=_l(
            "Referrals and services offer the partner only to cases of these groups. With none "
            "ticked it is offered to every group, marked as not recorded."
        ),
    )
    is_active = BooleanField(_l("In use"), default=True)
    submit = SubmitField(_l("Save"))


class PointFilterForm(Form):
    """Directory filters (GET, no CSRF needed: nothing changes)."""

    class Meta:
        csrf = False

    kind = SelectField(
        _l("Kind"), choices=choices(POINT_KIND_LABELS, blank=True), validators=[Optional()]
    )
    area = SelectField(_l("Area"), coerce=int, validators=[Optional()])


class ReferralFilterForm(Form):
    """Referral list filter (GET)."""

    class Meta:
        csrf = False

    show = SelectField(
        _l("Show"),
        choices=[
            SelectChoice("open", _l("Open referrals")),
            SelectChoice("waiting", _l("Waiting for an answer")),
            SelectChoice("all", _l("All")),
        ],
        validators=[Optional()],
    )
