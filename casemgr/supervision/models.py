"""A reassignment of a case to another worker: who, from whom, to whom, why (sealed text)."""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from casemgr.crypto.fields import EncryptedField, EncryptedModel
from casemgr.db import Base, BigId, intpk, timestamp, value_enum


class ReassignReason(enum.StrEnum):
    """Why a case changes hands; the code is plain (audit and reports), any words are sealed."""

    WORKLOAD = "workload"
    ABSENCE = "absence"
    STAFF_CHANGE = "staff_change"
    CONFLICT_OF_INTEREST = "conflict_of_interest"
    OTHER = "other"


class CaseReassignment(EncryptedModel, Base):
    """One change of a case's owner made by a supervisor."""

    __tablename__ = "case_reassignments"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), index=True)
    # The case person's data key seals the optional explanation.
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"))
    from_owner_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    to_owner_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    actor_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    reason_code: Mapped[ReassignReason] = mapped_column(value_enum(ReassignReason, 30))
    reassigned_at: Mapped[timestamp]
    reason_text_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    reason_text = EncryptedField("reason_text_enc")
