"""Reads of persons: blind-index search with exact-diacritic matches first, erasure requests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, select

from casemgr.audit import record
from casemgr.crypto import blind, envelope, normalise
from casemgr.crypto.errors import IntegrityFailure
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
    within: ColumnElement[bool] | None = None,
    limit: int = 50,
) -> list[Person]:
    """Persons matching every criterion given, exact-diacritic name matches first.

    `name` matches every word in any order (or, with whole_name, the whole folded name).
    `within` is the condition on persons the caller may show (its scope): applied in SQL,
    to the blind-index candidates only (never a set of every person in scope), before the
    candidate cap, so a common name never crowds out the caller's own persons.
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
        statement = statement.where(within)
    # Ranking needs the plaintexts, so up to CANDIDATE_CAP candidates are decrypted; a name so
    # common that it matches more should be narrowed (birth year, sex, id or phone).
    rows = list(db.session.scalars(statement.order_by(Person.id).limit(CANDIDATE_CAP)))
    envelope.preload(db.session, [p.id for p in rows])
    confirmed = [p for p in rows if _confirmed(p, checks)]
    confirmed.sort(key=lambda p: (_rank(p, name), p.id))
    return confirmed[:limit]


def _confirmed(person: Person, checks: list[tuple[str, list[str]]]) -> bool:
    """Whether every term matches; a candidate whose values fail their integrity check cannot
    be confirmed and is left out (the failure is audited and alerted when read)."""
    try:
        return all(_confirms(person, index, terms) for index, terms in checks)
    except IntegrityFailure:
        return False


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


# -- the person list and search ------------------------------------------------------------

SEARCH_LIMIT = 200  # persons a search returns (then paged); narrow the term for more


def visible_persons(user: Any) -> Select:
    """Persons the user may see, not erased, newest registration first (the list is audited
    by its caller per page read: `record_list_read`)."""
    from casemgr.people.access import visible_persons_condition

    return (
        select(Person)
        .where(Person.erased_at.is_(None), visible_persons_condition(user))
        .order_by(Person.id.desc())
    )


def record_list_read(user: Any, page: int) -> None:
    """Audit one read of the person list (which page, never a value)."""
    record("person.list", actor=user, object_type="person", reason=f"people list page {page}")


def search_persons(user: Any, term: str) -> tuple[str, list[Person]]:
    """Persons the user may see matching a name (diacritics ignored both ways), an ID number
    or a phone, exact-diacritic name matches first; (the kind of term, the persons).

    Scope is applied in SQL before any candidate is decrypted (`within`), so nothing out of
    scope is read and a common name never crowds out the user's own persons. The audit event
    names the kind of term, never the term.
    """
    from casemgr.cases.search import classify
    from casemgr.people.access import visible_persons_condition

    kind = classify(term)
    within = visible_persons_condition(user)
    if kind == "number":  # a case number: its person, if the user may see the case
        from casemgr.cases.models import Case
        from casemgr.cases.queries import visible_cases

        record("person.search", actor=user, object_type="person", fields=["case_number"])
        person_ids = (
            visible_cases(user)
            .where(Case.number == term.strip().upper())
            .with_only_columns(Case.person_id)
        )
        persons = db.session.scalars(
            select(Person).where(Person.id.in_(person_ids), within, Person.erased_at.is_(None))
        )
        return kind, list(persons)
    return kind, find_persons_by(user, **{kind: term}, within=within, limit=SEARCH_LIMIT)
