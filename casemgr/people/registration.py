"""Registering a person with their relatives and consents, finding duplicates (same-person
links: people.links)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from casemgr.audit import record
from casemgr.auth.models import User
from casemgr.clock import utcnow
from casemgr.db import lock_latest
from casemgr.extensions import db
from casemgr.org.models import Unit
from casemgr.people import duplicates, identity
from casemgr.people.models import Person
from casemgr.people.relations import (
    Consent,
    ConsentGiver,
    ConsentScope,
    PersonDistinction,
    Relationship,
    Relative,
)
from casemgr.people.services import PersonError, register_person, update_person


def find_duplicates(
    user: User,
    *,
    surname: str | None,
    middle_name: str | None,
    given_name: str | None,
    birth_year: int | None,
    sex: str | None,
    area_id: int | None = None,
) -> duplicates.Found:
    """Probable earlier registrations (spelling and order variants, birth year ±1, any
    commune); out-of-scope ones are only counted, so that registering reveals nothing beyond
    "a possible match exists elsewhere"."""
    return duplicates.probable_matches(
        user,
        surname=surname,
        middle_name=middle_name,
        given_name=given_name,
        birth_year=birth_year,
        sex=sex,
        area_id=area_id,
    )


def record_distinctions(user: User, person: Person, exact: duplicates.Exact) -> int:
    """Record that the new registration is a different person from those sharing its national
    ID or phone (the user said so); one stored pair and one audit event per pair."""
    others: dict[int, list[str]] = {}
    for basis, found in (("national_id", exact.national_id), ("phone", exact.phone)):
        for other_id in found.all_ids():
            if other_id != person.id:
                others.setdefault(other_id, []).append(basis)
    for other_id, bases in sorted(others.items()):
        low, high = sorted((person.id, other_id))
        db.session.add(
            PersonDistinction(
                person_id=low,
                other_id=high,
                basis=",".join(bases),
                recorded_by_id=user.id,
                created_at=utcnow(),
            )
        )
        db.session.flush()
        record(
            "person.distinct",
            actor=user,
            object_type="person",
            object_id=person.id,
            fields=bases,
            reason=f"different_from:{other_id}",
        )
    return len(others)


def distinctions_of(person: Person) -> list[int]:
    """Ids of registrations recorded as different people from this one."""
    rows = db.session.execute(
        select(PersonDistinction.person_id, PersonDistinction.other_id).where(
            (PersonDistinction.person_id == person.id) | (PersonDistinction.other_id == person.id)
        )
    ).all()
    return sorted({a if b == person.id else b for a, b in rows})


def register(
    user: User,
    unit: Unit,
    *,
    surname: str | None,
    middle_name: str | None,
    given_name: str | None,
    sex: str,
    date_of_birth: dt.date | None,
    birth_year: int | None,
    ethnicity_code: str | None,
    national_id: str | None,
    phone: str | None,
    area_id: int | None,
    street_address: str | None,
    is_pseudonymous: bool = False,
    mother_given_name: str | None = None,
) -> Person:
    """Register a person in a unit where the user works; a pseudonymous client gets a UIC."""
    if unit.id not in {a.unit_id for a in user.roles}:
        raise PersonError("not your unit")
    if date_of_birth is not None:
        birth_year = date_of_birth.year
    values = dict(
        sex=sex,
        birth_year=birth_year,
        birth_year_is_estimated=date_of_birth is None and birth_year is not None,
        ethnicity_code=ethnicity_code,
        area_id=area_id,
        phone=phone or None,
        street_address=street_address or None,
        registered_unit_id=unit.id,
        registered_by_id=user.id,
        is_pseudonymous=is_pseudonymous,
        date_of_birth=date_of_birth.isoformat() if date_of_birth else None,
    )
    if is_pseudonymous:
        values["uic"] = identity.unique_identifier_code(
            surname=surname,
            given_name=given_name,
            sex=sex,
            date_of_birth=date_of_birth,
            birth_year=birth_year,
            mother_given_name=mother_given_name,
        )
    else:
        values.update(
            surname=surname,
            middle_name=middle_name,
            given_name=given_name,
            national_id=national_id or None,
        )
    return register_person(user, **values)


def add_relative(
    user: User,
    person: Person,
    *,
    relationship_kind: str,
    is_guardian: bool,
    name: str,
    phone: str | None,
) -> Relative:
    """Record a relative or guardian of the person."""
    relative = Relative(
        person_id=person.id,
        relationship_kind=Relationship(relationship_kind),
        is_guardian=is_guardian,
    )
    relative.name, relative.phone = name.strip(), (phone or "").strip() or None
    db.session.add(relative)
    db.session.flush()
    record(
        "person.relative_add",
        actor=user,
        object_type="relative",
        object_id=relative.id,
        fields=["name", "phone"] if phone else ["name"],
    )
    return relative


def record_consent(
    user: User,
    person: Person,
    *,
    scope: str,
    given_by: str,
    given_on: dt.date,
    relative: Relative | None = None,
) -> Consent:
    """Record a consent given by the person or by a guardian (who must be on record)."""
    if ConsentGiver(given_by) == ConsentGiver.GUARDIAN and (
        relative is None
        or relative.person_id != person.id
        or not relative.is_guardian
        or not relative.is_current
    ):
        raise PersonError("guardian consent needs a guardian")
    consent = Consent(
        person_id=person.id,
        scope=ConsentScope(scope),
        given_by=ConsentGiver(given_by),
        relative_id=relative.id if relative else None,
        given_on=given_on,
        recorded_by_id=user.id,
    )
    db.session.add(consent)
    db.session.flush()
    record(
        "person.consent_add",
        actor=user,
        object_type="consent",
        object_id=consent.id,
        reason=f"{consent.scope}:{consent.given_by}",
    )
    return consent


def withdraw_consent(user: User, consent: Consent, on: dt.date) -> None:
    """Record that a consent was withdrawn (it stays on file, no longer in force)."""
    consent.withdrawn_on = on
    record(
        "person.consent_withdraw",
        actor=user,
        object_type="consent",
        object_id=consent.id,
        reason=f"{consent.scope}:{consent.given_by}",  # as its recording said it
    )


def consents_of(person: Person, *, with_voided: bool = False) -> list[Consent]:
    """The person's current consent records, newest first (voided ones too on request, for the
    person page; superseded versions never: they are the record's history)."""
    shown = Consent.not_superseded() if with_voided else Consent.current()
    return list(
        db.session.scalars(
            select(Consent)
            .where(Consent.person_id == person.id, shown)
            .order_by(Consent.given_on.desc(), Consent.id.desc())
        )
    )


def relatives_of(person: Person, *, with_voided: bool = False) -> list[Relative]:
    """The person's current relatives and guardians (voided ones too on request)."""
    shown = Relative.not_superseded() if with_voided else Relative.current()
    return list(
        db.session.scalars(
            select(Relative).where(Relative.person_id == person.id, shown).order_by(Relative.id)
        )
    )


class StalePerson(PersonError):
    """The person changed since the user loaded the form; `current` is the saved record."""

    def __init__(self, current: Person):
        super().__init__("stale")
        self.current = current


EDITABLE = (
    "surname",
    "middle_name",
    "given_name",
    "sex",
    "birth_year",
    "date_of_birth",
    "ethnicity_code",
    "national_id",
    "phone",
    "area_id",
    "street_address",
)


def correct(user: User, person: Person, *, expected_version: int, **values) -> list[str]:
    """Correct a person's facts if nobody saved them in between; return the changed fields."""
    lock_latest(person)  # the version compared is the one a save would overwrite
    if person.version != expected_version:
        raise StalePerson(person)
    if values.get("date_of_birth") is not None:
        values["birth_year"] = values["date_of_birth"].year
        values["date_of_birth"] = values["date_of_birth"].isoformat()
    changes = {
        name: value
        for name, value in values.items()
        if name in EDITABLE and (getattr(person, name) or None) != (value or None)
    }
    if "birth_year" in changes:
        changes["birth_year_is_estimated"] = not values.get("date_of_birth")
    if changes:
        update_person(user, person, **changes)
    return sorted(changes)
