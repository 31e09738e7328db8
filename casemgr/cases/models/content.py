"""What is recorded on a case: notes, assessments, plan actions and the workflow log."""

from __future__ import annotations

import datetime as dt
import enum
import json

from sqlalchemy import Date, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.auth.models import User
from casemgr.cases.models.case import RiskLevel
from casemgr.corrections.columns import Correctable
from casemgr.crypto.fields import EncryptedField, EncryptedModel
from casemgr.db import Base, BigId, intpk, timestamp, value_enum


class NoteKind(enum.StrEnum):
    """How the contact happened."""

    VISIT = "visit"
    MEETING = "meeting"
    PHONE = "phone"
    CASE_CONFERENCE = "case_conference"
    OTHER = "other"


class CaseNote(Correctable, EncryptedModel, Base):
    """A contact or visit note; the text is encrypted, the kind and time are plain."""

    __tablename__ = "case_notes"
    __table_args__ = (
        # A case's latest current contact (the supervision dashboard's "no contact in N days")
        # from the index alone.
        Index(
            "ix_case_notes_case_id_occurred_on", "case_id", "occurred_on", "voided_at",
            "superseded_by_id",
        ),
    )  # fmt: skip

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"))
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"))
    kind: Mapped[NoteKind] = mapped_column(value_enum(NoteKind, 20))
    occurred_on: Mapped[dt.date] = mapped_column(Date)
    author_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[timestamp]
    is_break_glass: Mapped[bool] = mapped_column(default=False)
    body_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    body = EncryptedField("body_enc")

    author: Mapped[User] = relationship(foreign_keys="[CaseNote.author_id]", lazy="joined")


class AssessmentKind(enum.StrEnum):
    """Which assessment of the process (forms 02, 03, 06 for children)."""

    INITIAL = "initial"
    DETAILED = "detailed"
    REVIEW = "review"


class Assessment(EncryptedModel, Base):
    """An assessment: structured answers encrypted, the risk rating plain for reports."""

    __tablename__ = "assessments"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), index=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"))
    kind: Mapped[AssessmentKind] = mapped_column(value_enum(AssessmentKind, 20))
    risk_rating: Mapped[RiskLevel] = mapped_column(value_enum(RiskLevel, 10))
    author_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[timestamp]
    # JSON object of question code -> answer text.
    answers_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    answers_json = EncryptedField("answers_enc")

    author: Mapped[User] = relationship(lazy="joined")

    def answers(self) -> dict[str, str]:
        """The answers by question code (empty for an erased person)."""
        value = self.answers_json
        return json.loads(value) if isinstance(value, str) else {}


class PlanAction(Correctable, EncryptedModel, Base):
    """One goal and action of a plan cycle, with who is responsible and by when."""

    __tablename__ = "plan_actions"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), index=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"))
    plan_cycle: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    done_on: Mapped[dt.date | None] = mapped_column(Date)
    author_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[timestamp]
    goal_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    action_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    responsible_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    goal = EncryptedField("goal_enc")
    action = EncryptedField("action_enc")
    responsible = EncryptedField("responsible_enc")

    author: Mapped[User] = relationship(foreign_keys="[PlanAction.author_id]", lazy="joined")


class CaseTransitionLog(Base):
    """Each workflow move: who, when, from and to (the case page's timeline reads it)."""

    __tablename__ = "case_transitions"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), index=True)
    transition: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    occurred_at: Mapped[timestamp]
    is_break_glass: Mapped[bool] = mapped_column(default=False)

    actor: Mapped[User] = relationship(lazy="joined")
