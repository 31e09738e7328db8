"""Trafficking-victim status history: each status is a new dated row, never overwritten."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Date, ForeignKey, LargeBinary, event
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.attributes import get_history

from casemgr.auth.models import User
from casemgr.crypto.fields import EncryptedField, EncryptedModel
from casemgr.db import Base, BigId, intpk, timestamp, value_enum


class VictimStatus(enum.StrEnum):
    """A person's status under Law 53/2024 (the supports they may receive depend on it)."""

    BEING_IDENTIFIED = "being_identified"
    IDENTIFIED = "identified"
    ACCOMPANYING_MINOR = "accompanying_minor"
    FOREIGN_VICTIM = "foreign_victim"


class Location(enum.StrEnum):
    """Where a person being identified is: the supports differ (a–g at home, a–d abroad)."""

    IN_VIET_NAM = "in_viet_nam"
    ABROAD = "abroad"


class DecidingAuthority(enum.StrEnum):
    """Which kind of authority made the identification decision."""

    POLICE = "police"
    BORDER_GUARD = "border_guard"
    COAST_GUARD = "coast_guard"
    COMMUNE_COMMITTEE = "commune_committee"
    MISSION_ABROAD = "mission_abroad"  # Viet Nam's representative mission in another country
    OTHER = "other"


class TraffickingStatus(EncryptedModel, Base):
    """One status from `valid_from`; a later row supersedes it, the old row stays.

    Status, location, date and authority are plain (eligibility and reports use them); the
    decision's reference and the note are sealed under the person's key.
    """

    __tablename__ = "trafficking_statuses"
    __table_args__ = (
        CheckConstraint(
            "(status = 'being_identified' AND location IS NOT NULL)"
            " OR (status <> 'being_identified' AND location IS NULL)",
            name="location_only_while_being_identified",
        ),
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), index=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"))
    status: Mapped[VictimStatus] = mapped_column(value_enum(VictimStatus, 30))
    location: Mapped[Location | None] = mapped_column(value_enum(Location, 20))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    decided_by: Mapped[DecidingAuthority | None] = mapped_column(value_enum(DecidingAuthority, 30))
    recorded_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[timestamp]
    is_break_glass: Mapped[bool] = mapped_column(default=False)
    decision_ref_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    note_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    decision_ref = EncryptedField("decision_ref_enc")
    note = EncryptedField("note_enc")

    recorded_by: Mapped[User] = relationship(lazy="joined")
    documents: Mapped[list[TraffickingStatusDocument]] = relationship(
        lazy="selectin", order_by="TraffickingStatusDocument.attachment_id"
    )


# The facts a status row states; changing one would rewrite history.
_FIXED = ("case_id", "person_id", "status", "location", "valid_from", "decided_by")


@event.listens_for(TraffickingStatus, "before_update")
def _refuse_rewrite(mapper, connection, target: TraffickingStatus) -> None:
    if any(get_history(target, name).has_changes() for name in _FIXED):
        raise ValueError("a trafficking status is never changed: record a new one")


class DocumentKind(enum.StrEnum):
    """What a document attached to a status is."""

    DECISION = "decision"  # the identification decision
    EVIDENCE = "evidence"  # a document the status rests on


class TraffickingStatusDocument(Base):
    """A document (an encrypted attachment of the person) that a status rests on."""

    __tablename__ = "trafficking_status_documents"

    status_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("trafficking_statuses.id"), primary_key=True
    )
    attachment_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("attachments.id"), primary_key=True, index=True
    )
    kind: Mapped[DocumentKind] = mapped_column(value_enum(DocumentKind, 20))
