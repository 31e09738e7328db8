"""Forms for persons: registration, relatives, consents, links, and the erasure workflow."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from casemgr.people.identity import ConsentRule
from casemgr.people.models import ErasureReason
from casemgr.people.relations import LinkReason, UnlinkReason
from casemgr.web import validators as v
from casemgr.web.forms import CheckboxesField, Form, choices, choose, fact_choices, id_or_none

REASON_LABELS = {
    ErasureReason.SUBJECT_REQUEST: _l("The person asked to be erased"),
    ErasureReason.CONSENT_WITHDRAWN: _l("Consent withdrawn"),
    ErasureReason.ENTERED_IN_ERROR: _l("Registered in error"),
    ErasureReason.LEGAL_ORDER: _l("Legal order"),
    ErasureReason.RETENTION_EXPIRED: _l("Retention period over"),
}


class ErasureRequestForm(Form):
    """Ask for a person to be erased (a second user must confirm)."""

    person_id = IntegerField(_l("Person number"), validators=[DataRequired(), v.record_id()])
    reason = SelectField(_l("Reason"), choices=fact_choices(REASON_LABELS), validators=[choose()])
    submit = SubmitField(_l("Request erasure"))


class DecisionForm(Form):
    """Confirm or cancel one pending request."""

    request_id = IntegerField(validators=[DataRequired(), v.record_id()])


SEX_LABELS = {"female": _l("Female"), "male": _l("Male"), "unknown": _l("Unknown")}
RELATIONSHIP_LABELS = {
    "mother": _l("Mother"),
    "father": _l("Father"),
    "grandparent": _l("Grandparent"),
    "sibling": _l("Brother or sister"),
    "spouse": _l("Spouse or partner"),
    "legal_guardian": _l("Legal guardian"),
    "foster_carer": _l("Foster carer"),
    "other": _l("Other"),
}
CONSENT_SCOPE_LABELS = {
    "case_work": _l("Recording and using the data for support"),
    "referral": _l("Sharing with organisations the person is referred to"),
    "transfer": _l("Moving the case to another unit"),
}
CONSENT_GIVER_LABELS = {"subject": _l("The person"), "guardian": _l("Parent or guardian")}
# Why these givers, for the person's age (DOMAIN.md §3; identity.consent_givers_needed).
CONSENT_RULE_LABELS = {
    ConsentRule.ADULT: _l("This person is 16 or older: they give their own consent."),
    ConsentRule.AGE_UNKNOWN: _l(
        "The age is not recorded, so the person gives their own consent; if this is a child, "
        "record the year of birth first."
    ),
    ConsentRule.CHILD_WITH_OWN_CONSENT: _l(
        "A child aged 7 or more gives their own consent as well as a parent or guardian: "
        "record both."
    ),
    ConsentRule.YOUNG_CHILD: _l("A child under 7: a parent or guardian gives consent for them."),
}


class PersonForm(Form):
    """Register or correct a person; names are optional for pseudonymous clients."""

    is_pseudonymous = BooleanField(
        _l("Register with an identifier code instead of a name (sex-work and drug programmes)")
    )
    surname = StringField(_l("Surname"), validators=[Optional(), Length(max=100)])
    middle_name = StringField(_l("Middle name"), validators=[Optional(), Length(max=100)])
    given_name = StringField(_l("Given name"), validators=[Optional(), Length(max=100)])
    mother_given_name = StringField(
        _l("Mother's given name (for the identifier code only; not stored)"),
        validators=[Optional(), Length(max=100)],
    )
    sex = SelectField(_l("Sex"), choices=fact_choices(SEX_LABELS), validators=[choose()])
    date_of_birth = DateField(_l("Date of birth"), validators=[Optional(), v.birth_date()])
    birth_year = IntegerField(
        _l("Or the estimated year of birth"), validators=[Optional(), v.birth_year()]
    )
    ethnicity_code = SelectField(_l("Ethnicity"), validators=[Optional()])
    national_id = StringField(
        _l("National ID number (12 digits, or 9 for an old ID)"),
        validators=[Optional(), Length(max=20), v.national_id()],
    )
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20), v.phone()])
    area_id = SelectField(_l("Commune or ward"), coerce=int, validators=[Optional()])
    street_address = StringField(
        _l("Address (house, street, hamlet)"), validators=[Optional(), Length(max=300)]
    )
    unit_id = SelectField(_l("Registering unit"), coerce=int)
    different_person = BooleanField(
        _l(
            "The person I am registering is a different person from the one already "
            "registered with this ID number or phone"
        )
    )
    version = HiddenField()
    loaded = HiddenField()  # digests of the values as loaded (web.saved_meanwhile)
    submit = SubmitField(_l("Save"))

    def validate(self, extra_validators=None) -> bool:
        """Named persons need a given name; everyone needs some birth information or none."""
        ok = super().validate(extra_validators)
        pseudonymous = getattr(self, "is_pseudonymous", None)
        # A view deletes the name fields of a person known by code (WTForms leaves them None).
        given = getattr(self, "given_name", None)
        named = given is not None and not (pseudonymous and pseudonymous.data)
        if named and not (given.data or "").strip():
            self.given_name.errors.append(
                _l("Enter the given name, or register with a code.")
                if pseudonymous is not None  # registration offers the code; an edit does not
                else _l("Enter the given name.")
            )
            ok = False
        if (
            self.date_of_birth.data
            and not self.date_of_birth.errors  # a refused date has its own message
            and self.birth_year.data
            and self.date_of_birth.data.year != self.birth_year.data
        ):
            self.birth_year.errors.append(
                _l(
                    "The year differs from the date of birth. "
                    "If the date is right, clear the estimated year."
                )
            )
            ok = False
        return ok


class RelativeForm(Form):
    """A relative or guardian."""

    relationship_kind = SelectField(
        _l("Relationship"), choices=fact_choices(RELATIONSHIP_LABELS), validators=[choose()]
    )
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20), v.phone()])
    is_guardian = BooleanField(_l("Parent or legal guardian (can give consent)"))
    submit = SubmitField(_l("Add relative"))


class ConsentForm(Form):
    """A consent given by the person or a guardian."""

    scope = SelectField(
        _l("Consent to"), choices=fact_choices(CONSENT_SCOPE_LABELS), validators=[choose()]
    )
    given_by = SelectField(
        _l("Given by"), choices=fact_choices(CONSENT_GIVER_LABELS), validators=[choose()]
    )
    relative_id = SelectField(_l("Guardian"), coerce=int, validate_choice=False)
    given_on = DateField(_l("Date"), validators=[DataRequired(), v.past_date()])
    submit = SubmitField(_l("Record consent"))


class ConsentsForm(Form):
    """Consent to several scopes by every giver the person's age requires, in one submission.

    The view sets the givers (only those required) and the guardians on record."""

    scopes = CheckboxesField(_l("Consent to"), choices=choices(CONSENT_SCOPE_LABELS))
    givers = CheckboxesField(_l("Given by"))
    relative_id = SelectField(_l("Which parent or guardian"), coerce=id_or_none)
    given_on = DateField(
        _l("Date the consent was given"), validators=[DataRequired(), v.past_date()]
    )
    submit = SubmitField(_l("Record consent"))

    def validate_scopes(self, field: CheckboxesField) -> None:
        """At least one scope (a group of checkboxes has no "required" of its own)."""
        if not field.data:
            raise ValidationError(str(_l("Tick at least one thing the consent covers.")))

    def validate_givers(self, field: CheckboxesField) -> None:
        """At least one giver."""
        if not field.data:
            raise ValidationError(str(_l("Tick who gave the consent.")))


class WithdrawConsentForm(Form):
    """Withdraw one consent."""

    consent_id = IntegerField(validators=[DataRequired(), v.record_id()])


LINK_REASON_LABELS = {
    LinkReason.PAPERS_CHECKED: _l(
        "Checked on papers (ID card, birth certificate or household record)"
    ),
    LinkReason.CONFIRMED_BY_PERSON: _l("The person or their family confirmed it"),
    LinkReason.CONFIRMED_BY_OFFICE: _l("The office that registered the other record confirmed it"),
    LinkReason.REGISTERED_TWICE: _l("Registered twice by mistake"),
}
UNLINK_REASON_LABELS = {
    UnlinkReason.DIFFERENT_PEOPLE: _l("They are different people"),
    UnlinkReason.WRONG_RECORD: _l("The wrong record was chosen"),
    UnlinkReason.NOT_CONFIRMED: _l("It could not be confirmed that they are the same person"),
}


class LinkFindForm(Form):
    """The first step of a same-person link: name the other registration by a search term
    (name, ID number, phone, case number: as the person search takes them) or its number."""

    q = StringField(
        _l("Name, ID number or person number"),
        validators=[
            DataRequired(message=_l("Type a name, an ID number or a person number.")),
            Length(max=100),
        ],
    )


class LinkForm(Form):
    """The second step: after comparing the two registrations, confirm and say why."""

    reason = SelectField(
        _l("How do you know they are the same person?"),
        choices=fact_choices(LINK_REASON_LABELS),
        validators=[choose()],
    )
    confirm = BooleanField(
        _l("I have compared the two records: they are the same person. Both records are kept.")
    )

    def validate_confirm(self, field: BooleanField) -> None:
        if not field.data:
            raise ValidationError(
                _l("Tick the box to confirm that the two records are the same person.")
            )


class UnlinkForm(Form):
    """Remove a wrong same-person link, with its reason."""

    reason = SelectField(
        _l("Why is the link wrong?"),
        choices=fact_choices(UNLINK_REASON_LABELS),
        validators=[choose()],
    )
    confirm = BooleanField(
        _l("I have checked: these records should not be linked. Both records are kept.")
    )

    def validate_confirm(self, field: BooleanField) -> None:
        if not field.data:
            raise ValidationError(_l("Tick the box to confirm that the link is to be removed."))


class PersonSearchForm(Form):
    """Find a person by name, ID number or phone: a POST, so no term reaches a URL."""

    q = StringField(
        _l("Name, ID number or phone"), validators=[DataRequired(), Length(min=2, max=100)]
    )
    page = IntegerField(validators=[Optional(), v.record_id()])
    submit = SubmitField(_l("Search"))
