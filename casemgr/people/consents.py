"""Recording consent to several scopes by several givers at once, under the 7+ child rule.

Every (scope, giver) pair becomes one Consent row through registration.record_consent, so that
each row is audited and can be corrected or voided on its own. The whole submission is checked
before anything is written: a refusal leaves no row behind (the edge commits 4xx responses).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from casemgr.auth.models import User
from casemgr.people import identity
from casemgr.people.models import Person
from casemgr.people.registration import consents_of, record_consent
from casemgr.people.relations import Consent, ConsentGiver, ConsentScope, Relative
from casemgr.people.services import PersonError


class ConsentRefused(PersonError):
    """The submission breaks a rule; `problems` maps a field name to a refusal code, and
    `missing` names each required giver left out with the ticked scopes they still lack."""

    def __init__(
        self,
        problems: dict[str, str],
        missing: dict[ConsentGiver, list[ConsentScope]] | None = None,
    ):
        super().__init__(", ".join(f"{name}: {code}" for name, code in problems.items()))
        self.problems = problems
        self.missing = missing or {}


def _ordered(enum_type: type, values: Iterable[str]) -> list:
    """The distinct members named by `values`, in the enum's own order."""
    chosen = {enum_type(value) for value in values}
    return [member for member in enum_type if member in chosen]


def givers_left_out(
    consents: Iterable[Consent],
    scopes: Iterable[ConsentScope],
    givers: Iterable[ConsentGiver],
    age: int | None,
    day: dt.date,
) -> dict[ConsentGiver, list[ConsentScope]]:
    """Required givers (for this age) who neither consented already nor are in this
    submission, with the scopes they still lack."""
    consents, ticked = list(consents), set(givers)
    left_out: dict[ConsentGiver, list[ConsentScope]] = {}
    for scope in scopes:
        for giver in identity.missing_consents(consents, scope, age, day) - ticked:
            left_out.setdefault(giver, []).append(scope)
    return {giver: left_out[giver] for giver in ConsentGiver if giver in left_out}


def _guardian_on_record(person: Person, relative: Relative | None) -> bool:
    return (
        relative is not None
        and relative.person_id == person.id
        and relative.is_guardian
        and relative.is_current
    )


def record_consents(
    user: User,
    person: Person,
    *,
    scopes: Iterable[str],
    givers: Iterable[str],
    given_on: dt.date | None,
    relative: Relative | None,
    today: dt.date,
) -> list[Consent]:
    """Record one consent per ticked scope and giver, all given on `given_on`.

    Refused (ConsentRefused, nothing written) without a scope, a giver or a date, with a date
    after `today`, with a guardian giver but no current guardian of the person, or when a
    giver that the person's age requires (identity.consent_givers_needed) is left out of a
    ticked scope they have not already consented to. DOMAIN.md §3 has no way to record a
    refusal or an inability to consent: a referral or transfer without consent goes through
    the recorded override of an authorised role instead, so a giver cannot be skipped here.
    """
    if person.is_erased:
        raise PersonError("person erased")
    scopes, givers = _ordered(ConsentScope, scopes), _ordered(ConsentGiver, givers)
    problems: dict[str, str] = {}
    if not scopes:
        problems["scopes"] = "no scope"
    if not givers:
        problems["givers"] = "no giver"
    if given_on is None:
        problems["given_on"] = "no date"
    elif given_on > today:
        problems["given_on"] = "date in the future"
    if ConsentGiver.GUARDIAN in givers and not _guardian_on_record(person, relative):
        problems["relative_id"] = "guardian consent needs a guardian"
    age = person.age_in(today.year)
    missing = givers_left_out(consents_of(person), scopes, givers, age, today) if givers else {}
    if missing:
        problems["givers"] = "required giver left out"
    if problems:
        raise ConsentRefused(problems, missing)
    return [
        record_consent(
            user,
            person,
            scope=scope,
            given_by=giver,
            given_on=given_on,
            relative=relative if giver == ConsentGiver.GUARDIAN else None,
        )
        for scope in scopes
        for giver in givers
    ]
