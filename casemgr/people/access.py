"""Who may see a person: anyone who may see one of the person's cases; and, while no case of
theirs is held by another unit, the one who registered them and the workers and supervisors of
the registering unit. One condition serves the person list, the search, duplicate candidates
and the loader, which answers 404 for everyone else (a list never shows what the page would
refuse)."""

from __future__ import annotations

from sqlalchemy import and_, exists, or_, select, true
from werkzeug.exceptions import NotFound

from casemgr.audit import record
from casemgr.auth.models import User
from casemgr.auth.policy import case_scope
from casemgr.auth.roles import PERMISSIONS, Action, Role
from casemgr.extensions import db
from casemgr.org.models import Unit
from casemgr.people.models import Person


def visible_persons_condition(user: User, *, narrow: bool = False):
    """SQL: persons the user may see (used by lists, searches and the loader alike); `narrow`:
    the query asks about one person or a few, whose cases are checked row by row
    (cases.queries.visible_row).

    A person registered without a case is still found by the unit that registered them: its
    workers (the unit itself) and supervisors (its subtree). Registering gives that sight only
    while none of the person's cases is held by another unit: once a case is transferred (or
    opened) elsewhere, the registering unit sees the person only through a case it may see, so
    that a survivor who moves for safety is not followed to the new address by the old office.
    """
    from casemgr.cases.models import Case
    from casemgr.cases.queries import visible_cases

    scope = case_scope(user)
    registered_here = select(Unit.id).where(scope.units_condition(Unit.path))
    case_seen = (
        visible_cases(user, narrow=narrow)
        .where(Case.person_id == Person.id)
        .with_only_columns(Case.id)
    )
    # The units where the user works with cases (a worker's own commune office).
    own_units = sorted(
        {a.unit_id for a in user.roles if Action.VIEW_CASES in PERMISSIONS[Role(a.role)]}
    )
    held_elsewhere = exists(
        select(Case.id).where(
            Case.person_id == Person.id, Case.unit_id != Person.registered_unit_id
        )
    )
    registered = or_(
        Person.registered_by_id == user.id,
        Person.registered_unit_id.in_(registered_here),
        Person.registered_unit_id.in_(own_units),
    )
    return or_(and_(registered, ~held_elsewhere), exists(case_seen))


def find_person(user: User, person_id: int) -> Person | None:
    """The person, if the user may see them (audited as a view); None for a number no person
    has and for a person out of the user's scope alike (audited as refused), so that a form
    naming a person by number says "not found or not allowed" without telling which."""
    person = db.session.scalar(
        select(Person).where(Person.id == person_id, visible_persons_condition(user, narrow=True))
    )
    if person is None:
        record(
            "person.view",
            actor=user,
            object_type="person",
            object_id=person_id,
            outcome="denied",
            reason="out of scope",
        )
        return None
    record("person.view", actor=user, object_type="person", object_id=person.id)
    return person


def load_person(user: User, person_id: int) -> Person:
    """The person, if the user may see them (audited); otherwise 404, also audited."""
    person = find_person(user, person_id)
    if person is None:
        raise NotFound()
    return person


def visible_among(user: User, person_ids: list[int]) -> dict[int, Person]:
    """Those of the given persons the user may see, by id (one query; not audited: the caller
    shows them by name only where it audits the read of the page that lists them)."""
    if not person_ids:
        return {}
    return {
        p.id: p
        for p in db.session.scalars(
            select(Person).where(
                Person.id.in_(person_ids), visible_persons_condition(user, narrow=True)
            )
        )
    }


def partition_by_visibility(user: User, persons: list[Person]) -> tuple[list[Person], int]:
    """Split candidates into those the user may see and a count of the others."""
    if not persons:
        return [], 0
    ids = [p.id for p in persons]
    visible_ids = set(
        db.session.scalars(
            select(Person.id).where(Person.id.in_(ids), visible_persons_condition(user))
        )
    )
    return [p for p in persons if p.id in visible_ids], len(ids) - len(visible_ids)


def erasable_persons_condition(user: User):
    """SQL: persons whose erasure the user may request or decide. An administrator acts on a
    person number from the data subject's request, province-wide, and never sees content;
    anyone else only on persons they may see."""
    if user.has_role(Role.ADMINISTRATOR):
        return true()
    return visible_persons_condition(user)


def load_erasable_person(user: User, person_id: int) -> Person:
    """The person, if the user may act on their erasure; otherwise 404 (audited)."""
    person = db.session.scalar(
        select(Person).where(Person.id == person_id, erasable_persons_condition(user))
    )
    if person is None:
        record(
            "person.erasure_denied",
            actor=user,
            object_type="person",
            object_id=person_id,
            outcome="denied",
            reason="out of scope",
        )
        raise NotFound()
    return person
