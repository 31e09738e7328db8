"""Same-person links: two registrations of one person, linked (never merged) after the user
compared them side by side, and unlinked when the link was wrong. Both registrations stay.

Every step is audited with codes only (DOMAIN.md §3, docs/casework.md "Same-person links"):
`person.link_compare` when the two are shown side by side, `person.link` when linked (reason
"same_as:<other id> <LinkReason>"), `person.unlink` when unlinked ("not_same_as:<other id>
<UnlinkReason>"); a refused link or unlink is recorded under the same action with outcome
"denied" and a fixed reason ("same record", "already linked", "not linked", "person erased").
Who may see either registration is decided by people.access, never here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select

from casemgr.audit import record
from casemgr.auth.models import User
from casemgr.clock import utcnow
from casemgr.crypto import normalise
from casemgr.extensions import db
from casemgr.people.models import Person, Sex
from casemgr.people.relations import LinkReason, PersonLink, UnlinkReason
from casemgr.people.services import PersonError

# Birth years further apart than this are flagged on the comparison (an estimated year is
# often one off).
BIRTH_YEAR_SLACK = 1
# What the comparison flags, in the order the page lists them.
SEX_DIFFERS = "sex differs"
BIRTH_YEARS_DIFFER = "birth years differ"
NATIONAL_IDS_DIFFER = "national ids differ"


def differences(person: Person, other: Person) -> list[str]:
    """The facts on which two registrations disagree enough to warn before linking: a
    different recorded sex (both known), birth years more than a year apart (both known), two
    different national ID numbers (both recorded). Unknown facts are not differences."""
    found = []
    known = (Sex.MALE, Sex.FEMALE)
    if person.sex in known and other.sex in known and person.sex != other.sex:
        found.append(SEX_DIFFERS)
    if (
        person.birth_year is not None
        and other.birth_year is not None
        and abs(person.birth_year - other.birth_year) > BIRTH_YEAR_SLACK
    ):
        found.append(BIRTH_YEARS_DIFFER)
    ids = [normalise.national_id(p.national_id) if p.national_id else None for p in (person, other)]
    if ids[0] and ids[1] and ids[0] != ids[1]:
        found.append(NATIONAL_IDS_DIFFER)
    return found


def find_link(person: Person, other: Person) -> PersonLink | None:
    """The link between the two registrations, if there is one."""
    low, high = sorted((person.id, other.id))
    return db.session.scalar(
        select(PersonLink).where(PersonLink.person_id == low, PersonLink.same_as_id == high)
    )


def links_of(person: Person) -> list[tuple[int, PersonLink]]:
    """(the other registration's id, the link) for every link of this person, oldest first."""
    rows = db.session.scalars(
        select(PersonLink)
        .where(or_(PersonLink.person_id == person.id, PersonLink.same_as_id == person.id))
        .order_by(PersonLink.created_at, PersonLink.id)
    )
    return [
        (link.same_as_id if link.person_id == person.id else link.person_id, link) for link in rows
    ]


def record_comparison(user: User, person: Person, other: Person) -> None:
    """Audit that the two registrations were shown side by side (the page also records a
    view of each)."""
    record(
        "person.link_compare",
        actor=user,
        object_type="person",
        object_id=person.id,
        reason=f"compare_with:{other.id}",
    )


# Refusals, audited under the action refused with a fixed reason (each written out, so that
# tests/audit/test_labels.py finds it and checks its label).


def refuse_same_record(user: User, person: Person) -> PersonError:
    """A registration named as its own duplicate: audited; the error to raise."""
    record("person.link", actor=user, object_type="person", object_id=person.id,
           outcome="denied", reason="same record")  # fmt: skip
    return PersonError("same record")


def refuse_already_linked(user: User, person: Person) -> PersonError:
    """The two registrations are linked already: audited; the error to raise."""
    record("person.link", actor=user, object_type="person", object_id=person.id,
           outcome="denied", reason="already linked")  # fmt: skip
    return PersonError("already linked")


def refuse_erased(user: User, person: Person) -> PersonError:
    """One of the two registrations was erased: audited; the error to raise."""
    record("person.link", actor=user, object_type="person", object_id=person.id,
           outcome="denied", reason="person erased")  # fmt: skip
    return PersonError("person erased")


def refuse_not_linked(user: User, person: Person) -> PersonError:
    """An unlink of two registrations that are not linked: audited; the error to raise."""
    record("person.unlink", actor=user, object_type="person", object_id=person.id,
           outcome="denied", reason="not linked")  # fmt: skip
    return PersonError("not linked")


def link_same_person(
    user: User, person: Person, other: Person, reason: LinkReason | str
) -> PersonLink:
    """Record that two registrations are the same person, keeping both (no merge). The caller
    has loaded both through people.access and shown them side by side; the user confirmed and
    chose the reason."""
    reason = LinkReason(reason)
    if person.id == other.id:
        raise refuse_same_record(user, person)
    if person.is_erased or other.is_erased:
        raise refuse_erased(user, person)
    if find_link(person, other) is not None:
        raise refuse_already_linked(user, person)
    low, high = sorted((person.id, other.id))
    link = PersonLink(
        person_id=low,
        same_as_id=high,
        linked_by_id=user.id,
        created_at=utcnow(),
        reason_code=reason,
    )
    db.session.add(link)
    db.session.flush()
    record(
        "person.link",
        actor=user,
        object_type="person",
        object_id=person.id,
        reason=f"same_as:{other.id} {reason}",
    )
    return link


def unlink(user: User, person: Person, other: Person, reason: UnlinkReason | str) -> None:
    """Remove a wrong same-person link; both registrations stay as they are."""
    reason = UnlinkReason(reason)
    link = find_link(person, other) if person.id != other.id else None
    if link is None:
        raise refuse_not_linked(user, person)
    db.session.delete(link)
    db.session.flush()
    record(
        "person.unlink",
        actor=user,
        object_type="person",
        object_id=person.id,
        reason=f"not_same_as:{other.id} {reason}",
    )


@dataclass(frozen=True)
class Shown:
    """One linked registration as the person page lists it: the person when the user may see
    them (None otherwise: nothing about them is shown), and the link."""

    other_id: int
    person: Person | None
    link: PersonLink
