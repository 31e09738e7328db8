"""Finding cases by number, national ID, phone or name, always within the user's scope."""

from __future__ import annotations

import re
from dataclasses import dataclass

from casemgr.audit import record
from casemgr.auth.models import User
from casemgr.cases.models import Case
from casemgr.cases.queries import has_visible_case, visible_cases
from casemgr.extensions import db
from casemgr.people.models import Person
from casemgr.people.queries import find_persons_by

CASE_NUMBER = re.compile(r"^[A-Za-z0-9._-]+-\d{4}-\d{1,6}$")
RESULT_LIMIT = 50


@dataclass(frozen=True)
class SearchResults:
    """What a search found: the kind of term it recognised and the visible cases."""

    kind: str
    cases: list[Case]


def classify(term: str) -> str:
    """What the user typed: a case number, a national ID (9 or 12 digits), a phone or a name."""
    term = term.strip()
    if CASE_NUMBER.match(term):
        return "number"
    digits = re.sub(r"[\s.()-]", "", term)
    if not digits.lstrip("+").isdigit():
        return "name"
    # Phones are 10 digits from 0, or the same behind +84 / 84; ID numbers are 12 (or 9) digits.
    if len(digits.lstrip("+")) in (9, 12) and not digits.startswith("+"):
        return "national_id"
    return "phone"


def search_cases(user: User, term: str) -> SearchResults:
    """Cases the user may see whose number or person matches; the term is never logged.

    Persons are found through blind indexes (people.queries.find_persons_by audits that
    search by criterion name), among the persons of the user's visible cases only: the scope
    is applied in SQL before any candidate is decrypted, so nothing out of scope is read and
    a common name never crowds out the user's own cases.
    """
    kind = classify(term)
    statement = visible_cases(user)
    if kind == "number":
        record("case.search", actor=user, object_type="case", fields=["number"])
        statement = statement.where(Case.number == term.strip().upper())
        ranked = list(db.session.scalars(statement.limit(RESULT_LIMIT)))
        return SearchResults(kind, ranked)
    in_scope = has_visible_case(user, Person.id)
    persons = find_persons_by(user, **{kind: term}, within=in_scope, limit=RESULT_LIMIT * 4)
    order = {person.id: rank for rank, person in enumerate(persons)}
    if not order:
        return SearchResults(kind, [])
    cases = db.session.scalars(statement.where(Case.person_id.in_(order)).limit(RESULT_LIMIT * 4))
    ranked = sorted(cases, key=lambda c: (order[c.person_id], c.id))[:RESULT_LIMIT]
    return SearchResults(kind, ranked)
