"""Identity rules: national ID consistency, the unique identifier code, and who must consent."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable

from casemgr.crypto import normalise
from casemgr.people.models import Sex
from casemgr.people.relations import Consent, ConsentGiver, ConsentScope

# Digit 4 of a 12-digit citizen ID encodes sex and century (Circular 59/2021/TT-BCA, Art. 7).
CENTURY_SEX_CODES = {
    "0": (1900, Sex.MALE),
    "1": (1900, Sex.FEMALE),
    "2": (2000, Sex.MALE),
    "3": (2000, Sex.FEMALE),
    "4": (2100, Sex.MALE),
    "5": (2100, Sex.FEMALE),
    "6": (2200, Sex.MALE),
    "7": (2200, Sex.FEMALE),
    "8": (1800, Sex.MALE),
    "9": (1800, Sex.FEMALE),
}
CHILD_CONSENT_AGE = 7  # from 7, a child's own consent is needed as well as a guardian's
ADULT_AGE = 16  # the Law on Children: a child is under 16


def national_id_warnings(
    national_id: str | None, birth_year: int | None, sex: str | None
) -> list[str]:
    """Codes of the mismatches between a 12-digit ID and the birth year and sex (warnings only).

    Digits 4-6 hold the century-and-sex code and the last two digits of the birth year;
    legacy 9-digit IDs carry neither, so they are never checked.
    """
    digits = normalise.national_id(national_id) if national_id else None
    if not digits or len(digits) != 12:
        return []
    century, coded_sex = CENTURY_SEX_CODES[digits[3]]
    warnings = []
    if birth_year is not None and century + int(digits[4:6]) != birth_year:
        warnings.append("birth year differs from the ID number")
    if sex in (Sex.MALE, Sex.FEMALE) and Sex(sex) != coded_sex:
        warnings.append("sex differs from the ID number")
    return warnings


MASK = "•"
SHOWN_DIGITS = 4


def masked_national_id(national_id: str | None) -> str | None:
    """An ID number with all but its last four digits hidden ("••••••••1234"), for pages that
    set two registrations side by side: enough to tell two numbers apart, not the number
    itself (its first six digits also encode the province, sex and birth year)."""
    if not national_id:
        return None
    digits = normalise.national_id(national_id) or "".join(ch for ch in national_id if ch.isdigit())
    if len(digits) <= SHOWN_DIGITS:
        return MASK * len(digits)
    return MASK * (len(digits) - SHOWN_DIGITS) + digits[-SHOWN_DIGITS:]


def _letters(value: str | None, count: int) -> str:
    folded = normalise.fold(value or "").replace(" ", "").upper()
    letters = "".join(ch for ch in folded if "A" <= ch <= "Z")
    return (letters + "X" * count)[:count]


def unique_identifier_code(
    *,
    surname: str | None,
    given_name: str | None,
    sex: str,
    date_of_birth: dt.date | None,
    birth_year: int | None,
    mother_given_name: str | None,
) -> str:
    """The UIC of a pseudonymous client, reproducible at any site from stable facts.

    Rule (docs/people.md): first letter of the surname, first two letters of the given name
    (diacritics folded, đ -> d), a sex digit (1 male, 2 female, 9 unknown), the birth date as
    DDMMYY (0000YY when only the year is known, 000000 when neither), and the first letter of
    the mother's given name; an unknown letter is X. "Nguyễn Thị Lan", female, born 5 March
    2015, mother Hoa -> NLA2050315H.
    """
    sex_digit = {Sex.MALE: "1", Sex.FEMALE: "2"}.get(Sex(sex), "9")
    if date_of_birth is not None:
        born = date_of_birth.strftime("%d%m%y")
    elif birth_year is not None:
        born = f"0000{birth_year % 100:02d}"
    else:
        born = "000000"
    return (
        _letters(surname, 1)
        + _letters(given_name, 2)
        + sex_digit
        + born
        + _letters(mother_given_name, 1)
    )


def consent_givers_needed(age: int | None) -> set[ConsentGiver]:
    """Whose consent is needed: a young child's guardian; from 7, the child and a guardian."""
    if age is None or age >= ADULT_AGE:
        return {ConsentGiver.SUBJECT}
    if age >= CHILD_CONSENT_AGE:
        return {ConsentGiver.SUBJECT, ConsentGiver.GUARDIAN}
    return {ConsentGiver.GUARDIAN}


def missing_consents(
    consents: Iterable[Consent], scope: ConsentScope, age: int | None, day: dt.date
) -> set[ConsentGiver]:
    """Who still has to consent to `scope` on `day` (empty when consent is complete)."""
    given = {c.given_by for c in consents if c.scope == scope and c.in_force_on(day)}
    return consent_givers_needed(age) - given


class ConsentRule(enum.StrEnum):
    """Which rule of consent_givers_needed applies, so that a page can say why."""

    ADULT = "adult"  # 16 or more: the person alone
    AGE_UNKNOWN = "age_unknown"  # no birth year: treated as an adult, the person alone
    CHILD_WITH_OWN_CONSENT = "child_7_plus"  # 7 to 15: the child and a parent or guardian
    YOUNG_CHILD = "young_child"  # under 7: a parent or guardian


def consent_rule(age: int | None) -> ConsentRule:
    """The rule behind consent_givers_needed for this age."""
    if age is None:
        return ConsentRule.AGE_UNKNOWN
    if age >= ADULT_AGE:
        return ConsentRule.ADULT
    if age >= CHILD_CONSENT_AGE:
        return ConsentRule.CHILD_WITH_OWN_CONSENT
    return ConsentRule.YOUNG_CHILD
