"""The person (data subject), their attachments and erasure requests.

Sensitive values are encrypted fields (see casemgr.crypto.fields); the plain columns are the
non-identifying facts reports count by (sex, birth year, area).
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, LargeBinary, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.crypto import normalise
from casemgr.crypto.blind import BlindIndex
from casemgr.crypto.errors import IntegrityFailure
from casemgr.crypto.fields import UNREADABLE, DataSubject, EncryptedField, EncryptedModel
from casemgr.db import Base, BigId, UTCDateTime, intpk, timestamp, value_enum
from casemgr.org.models import Area
from casemgr.reference.models import Ethnicity


class Sex(enum.StrEnum):
    """Recorded sex; never inferred from a name ("Thị", "Văn")."""

    MALE = "male"
    FEMALE = "female"
    UNKNOWN = "unknown"


def _one(value: str | None) -> list[str]:
    return [value] if value else []


class Person(DataSubject, Base):
    """A data subject. Every identifying value is sealed under the person's own data key."""

    __tablename__ = "persons"
    __blind_indexes__ = (
        BlindIndex(
            "persons.name",
            ("surname", "middle_name", "given_name"),
            lambda *parts: _one(normalise.whole_name(*parts)),
        ),
        BlindIndex(
            "persons.name_token",
            ("surname", "middle_name", "given_name"),
            normalise.name_tokens,
        ),
        BlindIndex(
            "persons.national_id", ("national_id",), lambda v: _one(normalise.national_id(v))
        ),
        BlindIndex("persons.phone", ("phone",), lambda v: _one(normalise.phone(v))),
        # Duplicate candidates: order- and spelling-variant-insensitive name keys (i/y,
        # Hoàng/Huỳnh ...), with and without the middle name (people/duplicates.py).
        BlindIndex(
            "persons.name_variant",
            ("surname", "middle_name", "given_name"),
            normalise.variant_keys,
        ),
        BlindIndex("persons.uic", ("uic",), lambda v: _one(v.strip().upper() if v else None)),
    )

    id: Mapped[intpk]
    sex: Mapped[Sex] = mapped_column(value_enum(Sex, 10), default=Sex.UNKNOWN)
    birth_year: Mapped[int | None] = mapped_column(SmallInteger)
    area_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("areas.id"), index=True)
    created_at: Mapped[timestamp]
    # Tombstone: set when the person's data key was destroyed.
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Plain facts for reports and duplicate checks (DESIGN.md §3): no name, no exact date.
    birth_year_is_estimated: Mapped[bool] = mapped_column(default=False)
    ethnicity_code: Mapped[str | None] = mapped_column(ForeignKey("ethnicities.code"))
    # Registered under a unique identifier code instead of a name (sex-work, drug programmes).
    is_pseudonymous: Mapped[bool] = mapped_column(default=False)
    registered_unit_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("units.id"), index=True
    )
    registered_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    surname_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    middle_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    given_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    national_id_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    street_address_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    note_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    date_of_birth_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    uic_enc: Mapped[bytes | None] = mapped_column(LargeBinary)

    surname = EncryptedField("surname_enc")
    middle_name = EncryptedField("middle_name_enc")
    given_name = EncryptedField("given_name_enc")
    national_id = EncryptedField("national_id_enc")
    phone = EncryptedField("phone_enc")
    street_address = EncryptedField("street_address_enc")
    note = EncryptedField("note_enc")
    date_of_birth = EncryptedField("date_of_birth_enc")  # ISO yyyy-mm-dd
    uic = EncryptedField("uic_enc")

    ethnicity: Mapped[Ethnicity | None] = relationship(lazy="joined")
    area: Mapped[Area | None] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    def full_name(self) -> str:
        """Surname, middle name, given name, as written (reads three encrypted fields)."""
        parts = (self.surname, self.middle_name, self.given_name)
        return " ".join(str(p) for p in parts if p)

    def display_name(self) -> str:
        """What screens call the person: the name, or the identifier code if pseudonymous.

        A person whose values fail their integrity check (audited once) shows as
        "[unreadable]": lists that include them keep working.
        """
        try:
            if self.is_erased:
                return str(self.surname)  # the explicit "erased" marker
            if self.is_pseudonymous:
                return str(self.uic or f"#{self.id}")
            return self.full_name() or f"#{self.id}"
        except IntegrityFailure:
            return str(UNREADABLE)

    def age_in(self, year: int) -> int | None:
        """Age reached in the given year (from the birth year, exact or estimated)."""
        return None if self.birth_year is None else year - self.birth_year

    def __repr__(self) -> str:  # never a value
        return f"<Person {self.id}>"


class Attachment(EncryptedModel, Base):
    """A scanned form, photo or document, sealed under the person's data key."""

    __tablename__ = "attachments"

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("cases.id"), index=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[timestamp]
    filename_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    content_enc: Mapped[bytes | None] = mapped_column(LargeBinary)

    filename = EncryptedField("filename_enc")
    content = EncryptedField("content_enc", kind=bytes)

    person: Mapped[Person] = relationship()

    def encryption_person_id(self) -> int | None:
        if self.person_id is None and self.person is not None:
            return self.person.id  # a person created in the same flush
        return self.person_id

    def __repr__(self) -> str:
        return f"<Attachment {self.id}>"


class ErasureReason(enum.StrEnum):
    """Why a person is to be erased (a code: free text could itself hold personal data)."""

    SUBJECT_REQUEST = "subject_request"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    ENTERED_IN_ERROR = "entered_in_error"
    LEGAL_ORDER = "legal_order"
    RETENTION_EXPIRED = "retention_expired"


class ErasureStatus(enum.StrEnum):
    """Where an erasure request stands."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class ErasureRequest(Base):
    """A request to erase a person, made by one authorised user and decided by another."""

    __tablename__ = "erasure_requests"
    __table_args__ = (
        CheckConstraint(
            "decided_by_id IS NULL OR decided_by_id <> requested_by_id", name="four_eyes"
        ),
    )

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"), index=True)
    reason: Mapped[ErasureReason] = mapped_column(value_enum(ErasureReason, 30))
    status: Mapped[ErasureStatus] = mapped_column(
        value_enum(ErasureStatus, 20), default=ErasureStatus.PENDING
    )
    requested_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    requested_at: Mapped[timestamp]
    decided_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    person: Mapped[Person] = relationship()
