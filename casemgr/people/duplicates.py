"""Duplicate finding at registration: exact national-ID and phone matches, probable name matches.

Candidates come from blind indexes only, narrowed in SQL (birth year ±1, sex) and split in SQL
by the user's scope *before* anything is decrypted: in-scope candidates are decrypted, confirmed
and scored with rapidfuzz; out-of-scope ones are decrypted only to drop blind-index truncation
collisions, and are then only counted ("a possible match exists in another unit"). The whole
table is never decrypted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz import fuzz
from sqlalchemy import Select, or_, select

from casemgr.audit import record
from casemgr.auth.models import User
from casemgr.crypto import blind, envelope, normalise
from casemgr.extensions import db
from casemgr.people.access import visible_persons_condition
from casemgr.people.models import Person, Sex

INDEXES = {index.name: index for index in Person.__blind_indexes__}
# Per side (in scope, out of scope): the most candidates decrypted for one check.
CANDIDATE_CAP = 200
# name_score (0-100) from which a candidate is shown: 100 for the same words in any order or a
# middle name left out; "Nguyễn Văn An" / "Nguyễn Thị An" (sex unknown) scores 77 and is dropped.
NAME_THRESHOLD = 90.0
YEAR_SLACK = 1


@dataclass(frozen=True)
class Found:
    """Matches of one kind: those the user may open (best first) and a count of the others."""

    visible: list[Person] = field(default_factory=list)
    # Out-of-scope matches: their ids only, for the services that record an override; pages
    # show nothing of them but their number.
    hidden_ids: tuple[int, ...] = ()

    @property
    def elsewhere(self) -> int:
        """How many matches the user may not open."""
        return len(self.hidden_ids)

    def all_ids(self) -> list[int]:
        """Every matched person id, in scope or not."""
        return sorted({p.id for p in self.visible} | set(self.hidden_ids))

    def __bool__(self) -> bool:
        return bool(self.visible or self.hidden_ids)


@dataclass(frozen=True)
class Exact:
    """Exact matches of the national ID and of the phone number."""

    national_id: Found = field(default_factory=Found)
    phone: Found = field(default_factory=Found)

    def __bool__(self) -> bool:
        return bool(self.national_id or self.phone)


def _split(user: User, statement: Select, confirm, rank=None) -> Found:
    """Run a candidate select inside and outside the user's scope (in SQL), confirm each
    decrypted candidate, and return the visible ones (best first) and the others' count."""
    scope = visible_persons_condition(user)
    inside = list(
        db.session.scalars(statement.where(scope).order_by(Person.id).limit(CANDIDATE_CAP))
    )
    # NOT IN, never NOT(scope): a NULL registering unit makes the condition NULL, and NOT
    # NULL would drop such a person from both sides.
    in_scope = select(Person.id).where(scope).scalar_subquery()
    outside = list(
        db.session.scalars(
            statement.where(Person.id.not_in(in_scope)).order_by(Person.id).limit(CANDIDATE_CAP)
        )
    )
    envelope.preload(db.session, [p.id for p in inside + outside])
    visible = [p for p in inside if confirm(p)]
    hidden = tuple(p.id for p in outside if confirm(p))
    for person in outside:  # counted, never kept
        db.session.expunge(person)
    if rank is not None:
        visible.sort(key=lambda p: (-rank(p), p.id))
    return Found(visible, hidden)


def _by_index(index_name: str, term: str) -> Select:
    ring = envelope.keyring()
    rows = blind.candidates(db.session, ring, "persons", INDEXES[index_name], [term])
    return select(Person).where(Person.erased_at.is_(None), Person.id.in_(rows))


def exact_matches(user: User, *, national_id: str | None, phone: str | None) -> Exact:
    """Persons already registered with this national ID or phone number (audited: kinds only)."""
    wanted_id = normalise.national_id(national_id) if national_id else None
    wanted_phone = normalise.phone(phone) if phone else None
    kinds = [k for k, v in (("national_id", wanted_id), ("phone", wanted_phone)) if v]
    if not kinds:
        return Exact()
    record("person.duplicate_check", actor=user, object_type="person", fields=kinds)
    found = {}
    if wanted_id:
        found["national_id"] = _split(
            user,
            _by_index("persons.national_id", wanted_id),
            lambda p: normalise.national_id(p.national_id) == wanted_id,
        )
    if wanted_phone:
        found["phone"] = _split(
            user,
            _by_index("persons.phone", wanted_phone),
            lambda p: normalise.phone(p.phone) == wanted_phone,
        )
    return Exact(**found)


def name_score(a: tuple[str | None, ...], b: tuple[str | None, ...]) -> float:
    """Similarity (0-100) of two names after folding and variant spelling, in any word order.

    When one name's words are all in the other (a middle name left out) it is rapidfuzz's
    token_set_ratio (100); otherwise token_sort_ratio, so two different middle names
    ("Nguyễn Thị Lan" / "Nguyễn Ngọc Lan": 76) fall under the threshold while a slip in one
    letter ("Thị" / "Thu": 93) does not.
    """
    words_a, words_b = normalise.variant_words(*a), normalise.variant_words(*b)
    if set(words_a) <= set(words_b) or set(words_b) <= set(words_a):
        return fuzz.token_set_ratio(" ".join(words_a), " ".join(words_b))
    return fuzz.token_sort_ratio(" ".join(words_a), " ".join(words_b))


def probable_matches(
    user: User,
    *,
    surname: str | None,
    middle_name: str | None,
    given_name: str | None,
    birth_year: int | None,
    sex: str | None,
    area_id: int | None = None,
) -> Found:
    """Persons whose name is a spelling or order variant of this one, born within a year,
    of the same or an unknown sex, in any commune; best first (same commune ranks higher)."""
    keys = normalise.variant_keys(surname, middle_name, given_name)
    if not keys:
        return Found()
    record("person.duplicate_check", actor=user, object_type="person", fields=["name"])
    ring = envelope.keyring()
    rows = blind.any_candidates(db.session, ring, INDEXES["persons.name_variant"], keys)
    statement = select(Person).where(Person.erased_at.is_(None), Person.id.in_(rows))
    if birth_year is not None:
        statement = statement.where(
            or_(
                Person.birth_year.between(birth_year - YEAR_SLACK, birth_year + YEAR_SLACK),
                Person.birth_year.is_(None),
            )
        )
    if sex in (Sex.MALE, Sex.FEMALE):
        statement = statement.where(Person.sex.in_([Sex(sex), Sex.UNKNOWN]))
    wanted = set(keys)
    typed = (surname, middle_name, given_name)

    def parts(person: Person) -> tuple[str | None, ...]:
        return (person.surname, person.middle_name, person.given_name)

    def confirm(person: Person) -> bool:
        # The blind index gives candidates (truncated hashes collide); the plaintext decides.
        shares_key = bool(wanted & set(normalise.variant_keys(*parts(person))))
        return shares_key and name_score(typed, parts(person)) >= NAME_THRESHOLD

    def rank(person: Person) -> float:
        year_gap = abs((person.birth_year or birth_year or 0) - (birth_year or 0))
        same_area = area_id is not None and person.area_id == area_id
        return name_score(typed, parts(person)) - 2 * year_gap + (1 if same_area else 0)

    return _split(user, statement, confirm, rank)
