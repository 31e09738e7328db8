"""A person's relatives and guardians, consent records, and "same person as" links."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.corrections.columns import Correctable
from casemgr.crypto.fields import EncryptedField, EncryptedModel
from casemgr.db import Base, BigId, intpk, timestamp, value_enum

if TYPE_CHECKING:
    from casemgr.auth.models import User


class Relationship(enum.StrEnum):
    """How a relative is related to the person."""

    MOTHER = "mother"
    FATHER = "father"
    GRANDPARENT = "grandparent"
    SIBLING = "sibling"
    SPOUSE = "spouse"
    LEGAL_GUARDIAN = "legal_guardian"
    FOSTER_CARER = "foster_carer"
    OTHER = "other"


class Relative(Correctable, EncryptedModel, Base):
    """A relative or guardian: names and contacts sealed under the person's key."""

    __tablename__ = "relatives"

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"), index=True)
    relationship_kind: Mapped[Relationship] = mapped_column(value_enum(Relationship, 20))
    is_guardian: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[timestamp]
    name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    note_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    name = EncryptedField("name_enc")
    phone = EncryptedField("phone_enc")
    note = EncryptedField("note_enc")


class ConsentScope(enum.StrEnum):
    """What a consent covers (personal data law 91/2025: explicit, recorded, withdrawable)."""

    CASE_WORK = "case_work"  # recording and processing the person's data for support
    REFERRAL = "referral"  # sharing with organisations the person is referred to
    TRANSFER = "transfer"  # moving the case to another unit


class ConsentGiver(enum.StrEnum):
    """Who gave the consent: the person, or their parent or guardian."""

    SUBJECT = "subject"
    GUARDIAN = "guardian"


class Consent(Correctable, EncryptedModel, Base):
    """One consent given, with its scope and dates; withdrawing sets `withdrawn_on`."""

    __tablename__ = "consents"

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"), index=True)
    scope: Mapped[ConsentScope] = mapped_column(value_enum(ConsentScope, 20))
    given_by: Mapped[ConsentGiver] = mapped_column(value_enum(ConsentGiver, 10))
    relative_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("relatives.id"))
    given_on: Mapped[dt.date] = mapped_column(Date)
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[timestamp]

    relative: Mapped[Relative | None] = relationship(lazy="joined")

    def in_force_on(self, day: dt.date) -> bool:
        """Whether the consent covers the given day."""
        return self.given_on <= day and (self.withdrawn_on is None or day < self.withdrawn_on)


class LinkReason(enum.StrEnum):
    """Why a user linked two registrations as the same person (a code: free text could hold
    personal data, and the audit trail records the code)."""

    PAPERS_CHECKED = "papers_checked"  # ID card, birth certificate or household record
    CONFIRMED_BY_PERSON = "confirmed_by_person"  # the person or their family said so
    CONFIRMED_BY_OFFICE = "confirmed_by_office"  # the office that registered the other one
    REGISTERED_TWICE = "registered_twice"  # the same person registered again by mistake


class UnlinkReason(enum.StrEnum):
    """Why a user removed a same-person link (both registrations stay)."""

    DIFFERENT_PEOPLE = "different_people"
    WRONG_RECORD = "wrong_record"  # the wrong registration was chosen
    NOT_CONFIRMED = "not_confirmed"  # it could not be confirmed that they are one person


class PersonLink(Base):
    """Two registrations of the same person, linked rather than merged (DOMAIN.md §3); a link
    removed as wrong is deleted (its making and removal stay in the audit trail)."""

    __tablename__ = "person_links"
    __table_args__ = (
        UniqueConstraint("person_id", "same_as_id"),
        CheckConstraint("person_id < same_as_id", name="ordered"),
    )

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"), index=True)
    same_as_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"), index=True)
    linked_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[timestamp]
    # Why the user linked them; None for links made before reasons were asked (revision 0031).
    reason_code: Mapped[LinkReason | None] = mapped_column(value_enum(LinkReason, 30))

    linked_by: Mapped[User] = relationship(lazy="joined")


class PersonDistinction(Base):
    """Two registrations a user stated are different people despite the same national ID or
    phone (`basis` names which); kept so that the override can be reviewed."""

    __tablename__ = "person_distinctions"
    __table_args__ = (
        UniqueConstraint("person_id", "other_id"),
        CheckConstraint("person_id < other_id", name="ordered"),
    )

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"), index=True)
    other_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"), index=True)
    basis: Mapped[str] = mapped_column(String(40))
    recorded_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[timestamp]
