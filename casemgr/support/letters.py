"""The printable referral letter: what it shows of the case, behind the consent check, audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from casemgr.auth.models import User
from casemgr.cases.models import Case
from casemgr.cases.policy import CaseAccess
from casemgr.extensions import db
from casemgr.org.models import Unit
from casemgr.people.models import Person
from casemgr.people.registration import consents_of
from casemgr.people.relations import Consent, ConsentScope
from casemgr.support import policy, queries
from casemgr.support.models import Referral
from casemgr.support.services import SupportError, audit_case_event


class LetterRefused(SupportError):
    """The letter may not be printed; the code says why (see policy.letter_refusal)."""


@dataclass(frozen=True)
class ReferralLetter:
    """Everything the letter prints, read once (decrypted values included)."""

    referral: Referral
    case: Case
    office: Unit
    issued_on: dt.date
    person_name: str
    date_of_birth: str | None  # ISO yyyy-mm-dd, as stored
    birth_year: int | None
    birth_year_is_estimated: bool
    consents: list[Consent]  # the referral consents in force on `issued_on`
    override_by: User | None  # the supervisor who sent it without consent, if so


def _read_fields(person: Person) -> list[str]:
    names = ["uic"] if person.is_pseudonymous else ["surname", "middle_name", "given_name"]
    return [*names, "date_of_birth"]


def referral_letter(
    actor: User, case: Case, access: CaseAccess, referral: Referral, today: dt.date
) -> ReferralLetter:
    """The letter for one of the case's referrals, as printed on `today`.

    Refused (and audited as such) when policy.letter_refusal says so; an allowed letter is a
    read of the person's name and birth date, audited with the field names only.
    """
    if referral.case_id != case.id:
        raise SupportError("not this case")
    person = case.person
    missing = queries.missing_referral_consents(case, today)
    refusal = policy.letter_refusal(access, referral, missing, person.is_erased)
    if refusal:
        audit_case_event(
            "referral.letter",
            actor,
            case,
            access,
            object_type="referral",
            object_id=referral.id,
            reason=refusal,
            outcome="denied",
        )
        raise LetterRefused(refusal)
    consents = [
        c for c in consents_of(person) if c.scope == ConsentScope.REFERRAL and c.in_force_on(today)
    ]
    audit_case_event(
        "referral.letter",
        actor,
        case,
        access,
        object_type="referral",
        object_id=referral.id,
        fields=_read_fields(person),
        reason="consent override" if missing else "consent given",
    )
    return ReferralLetter(
        referral=referral,
        case=case,
        office=case.unit,
        issued_on=today,
        person_name=person.display_name(),
        date_of_birth=person.date_of_birth,
        birth_year=person.birth_year,
        birth_year_is_estimated=person.birth_year_is_estimated,
        consents=consents,
        override_by=db.session.get(User, referral.override_by_id)
        if referral.consent_overridden and referral.override_by_id
        else None,
    )
