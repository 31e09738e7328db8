"""Reads of persons: blind-index search with exact-diacritic matches first, erasure requests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from casemgr.audit import record
from casemgr.crypto import blind, envelope, normalise
from casemgr.extensions import db
from casemgr.people.models import ErasureRequest, ErasureStatus, Person, Sex

INDEXES = {index.name: index for index in Person.__blind_indexes__}
CANDIDATE_CAP = 1000


def _name_parts(person: Person) -> tuple[str | None, ...]:
    return (person.surname, person.middle_name, person.given_name)


def _rank(person: Person, name: str | None) -> int:
    """0: the whole name as typed, diacritics included; 1: every typed word with its
    diacritics; 2: matched only after folding (Đoàn / Doãn)."""
    if not name:
        return 0
    written = normalise.exact(person.full_name())
    wanted = normalise.exact(name)
    if written == wanted:
        return 0
    if set(wanted.split(" ")) <= set(written.split(" ")):
        return 1
    return 2


def find_persons_by(
    actor: Any,
    *,
    name: str | None = None,
    whole_name: bool = False,
    national_id: str | None = None,
    phone: str | None = None,
    birth_year: int | None = None,
    sex: Sex | None = None,
    within: Select | None = None,
    limit: int = 50,
) -> list[Person]:
    """Persons matching every criterion given, exact-diacritic name matches first.

    `name` matches every word in any order (or, with whole_name, the whole folded name).
    `within` is a select of the person ids the caller may show (its scope): applied in SQL
    before the candidate cap, so a common name never crowds out the caller's own persons.
    Blind-index candidates are confirmed after decryption, so truncation collisions never
    show an unrelated person. The search is audited with the criteria names, never values.
    """
    ring = envelope.keyring()
    checks: list[tuple[str, Any]] = []
    statement = select(Person).where(Person.erased_at.is_(None))
    criteria: list[tuple[str, list[str]]] = []
    if national_id is not None:
        criteria.append(("persons.national_id", [normalise.national_id(national_id)]))
    if phone is not None:
        criteria.append(("persons.phone", [normalise.phone(phone)]))
    if name is not None:
        if whole_name:
            criteria.append(("persons.name", [normalise.whole_name(name)]))
        else:
            # Typed order: the given name comes last and is the most selective word.
            criteria.append(("persons.name_token", normalise.typed_tokens(name)))
    if not criteria:
        raise ValueError("find_persons_by needs a name, national id or phone")
    record(
        "person.search",
        actor=actor,
        object_type="person",
        fields=[
            c for c, v in (("name", name), ("national_id", national_id), ("phone", phone)) if v
        ],
    )
    for index_name, terms in criteria:
        if not terms or None in terms:
            return []  # a value that cannot be normalised matches nobody
        candidates = blind.candidates(db.session, ring, "persons", INDEXES[index_name], terms)
        statement = statement.where(Person.id.in_(candidates))
        checks.append((index_name, terms))
    if birth_year is not None:
        statement = statement.where(Person.birth_year == birth_year)
    if sex is not None:
        statement = statement.where(Person.sex == Sex(sex))
    if within is not None:
        statement = statement.where(Person.id.in_(within))
    # Ranking needs the plaintexts, so up to CANDIDATE_CAP candidates are decrypted; a name so
    # common that it matches more should be narrowed (birth year, sex, id or phone).
    rows = list(db.session.scalars(statement.order_by(Person.id).limit(CANDIDATE_CAP)))
    envelope.preload(db.session, [p.id for p in rows])
    confirmed = [p for p in rows if all(_confirms(p, i, t) for i, t in checks)]
    confirmed.sort(key=lambda p: (_rank(p, name), p.id))
    return confirmed[:limit]


def _confirms(person: Person, index_name: str, terms: list[str]) -> bool:
    if index_name == "persons.national_id":
        return normalise.national_id(person.national_id) == terms[0]
    if index_name == "persons.phone":
        return normalise.phone(person.phone) == terms[0]
    if index_name == "persons.name":
        return normalise.whole_name(*_name_parts(person)) == terms[0]
    return set(terms) <= normalise.name_tokens(*_name_parts(person))


def pending_erasure_requests(user: Any) -> list[ErasureRequest]:
    """Erasure requests waiting for a second user's decision that `user` may decide, oldest
    first (the read of the list is audited: it names persons by number)."""
    from casemgr.people.access import erasable_persons_condition

    record("person.list", actor=user, object_type="erasure_request", reason="pending erasures")
    return list(
        db.session.scalars(
            select(ErasureRequest)
            .join(Person, Person.id == ErasureRequest.person_id)
            .where(ErasureRequest.status == ErasureStatus.PENDING, erasable_persons_condition(user))
            .order_by(ErasureRequest.requested_at)
        )
    )
