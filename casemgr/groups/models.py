"""Group-specific records on a case: drug-programme enrolments and tests, no-contact orders."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.auth.models import User
from casemgr.corrections.columns import Correctable
from casemgr.crypto.fields import EncryptedField, EncryptedModel
from casemgr.db import Base, BigId, UTCDateTime, intpk, timestamp, value_enum


class DrugProgrammeKind(enum.StrEnum):
    """The management forms of Law 73/2021 (the sub-groups of the drug programme)."""

    VOLUNTARY_REHAB = "voluntary_rehab"  # at home or in the community, Decree 116/2021
    ILLEGAL_USE = "illegal_use"  # management of illegal users, Decree 105/2021
    POST_REHAB = "post_rehab"  # after compulsory rehabilitation, at the place of residence


class EscalationReason(enum.StrEnum):
    """Why a person was sent to compulsory rehabilitation."""

    NOT_REGISTERED = "not_registered"  # did not register for voluntary rehabilitation
    QUIT = "quit"  # left voluntary rehabilitation before the end
    RELAPSE = "relapse"  # used drugs again during or after rehabilitation or management


class DrugTestResult(enum.StrEnum):
    """A drug test's result code (plain: reports count by it)."""

    POSITIVE = "positive"
    NEGATIVE = "negative"
    REFUSED = "refused"


class ProgrammeStage(enum.StrEnum):
    """Where an enrolment stands, computed from its dates."""

    AWAITING_DECISION = "awaiting_decision"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    ESCALATED = "escalated"


class DrugProgramme(EncryptedModel, Base):
    """One enrolment in a drug-programme management form, with its dates.

    Its durations follow the rules in force on `registered_on` (Law 120/2025 changes them from
    1 July 2026; an enrolment keeps the rules of its time).
    """

    __tablename__ = "drug_programmes"
    __table_args__ = (
        CheckConstraint("planned_months IS NULL OR planned_months > 0", name="planned_months"),
        CheckConstraint(
            "(escalated_on IS NULL) = (escalation_reason IS NULL)", name="escalation_reason"
        ),
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), index=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"))
    kind: Mapped[DrugProgrammeKind] = mapped_column(value_enum(DrugProgrammeKind, 20))
    # Voluntary: registration at the commune; illegal use: the police notice to the commune;
    # post-rehabilitation: return to the place of residence.
    registered_on: Mapped[dt.date] = mapped_column(Date)
    decision_on: Mapped[dt.date | None] = mapped_column(Date)  # the commune chairperson's
    planned_months: Mapped[int | None] = mapped_column(Integer)  # voluntary: 6-12 by the rules
    completed_on: Mapped[dt.date | None] = mapped_column(Date)  # completion certificate
    escalated_on: Mapped[dt.date | None] = mapped_column(Date)
    escalation_reason: Mapped[EscalationReason | None] = mapped_column(
        value_enum(EscalationReason, 20)
    )
    recorded_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[timestamp]
    is_break_glass: Mapped[bool] = mapped_column(default=False)
    # Decision references, place, family supervisor: may name people, so sealed.
    note_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    note = EncryptedField("note_enc")

    # Current tests only (corrected and voided versions stay in the table, out of durations).
    tests: Mapped[list[DrugTest]] = relationship(
        primaryjoin="and_(DrugProgramme.id == DrugTest.programme_id, "
        "DrugTest.voided_at.is_(None), DrugTest.superseded_by_id.is_(None))",
        order_by="DrugTest.tested_on",
        lazy="selectin",
        viewonly=True,
    )
    # What the programme page lists: current tests and voided ones (shown struck through).
    recorded_tests: Mapped[list[DrugTest]] = relationship(
        primaryjoin="and_(DrugProgramme.id == DrugTest.programme_id, "
        "DrugTest.superseded_by_id.is_(None))",
        order_by="DrugTest.tested_on",
        lazy="selectin",
        viewonly=True,
    )
    recorded_by: Mapped[User] = relationship(lazy="joined")

    @property
    def stage(self) -> ProgrammeStage:
        """Escalated, completed, under way, or waiting for the commune's decision."""
        if self.escalated_on is not None:
            return ProgrammeStage.ESCALATED
        if self.completed_on is not None:
            return ProgrammeStage.COMPLETED
        if self.decision_on is None:
            return ProgrammeStage.AWAITING_DECISION
        return ProgrammeStage.IN_PROGRESS


class DrugTest(Correctable, EncryptedModel, Base):
    """A drug test taken during an enrolment: date and result code only."""

    __tablename__ = "drug_tests"

    id: Mapped[intpk]
    programme_id: Mapped[int] = mapped_column(BigId, ForeignKey("drug_programmes.id"), index=True)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), index=True)
    tested_on: Mapped[dt.date] = mapped_column(Date)
    result: Mapped[DrugTestResult] = mapped_column(value_enum(DrugTestResult, 10))
    recorded_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[timestamp]
    is_break_glass: Mapped[bool] = mapped_column(default=False)

    programme: Mapped[DrugProgramme] = relationship(viewonly=True)

    def encryption_person_id(self) -> int | None:
        """The enrolled person's id (a test row holds the programme, not the person)."""
        from sqlalchemy.orm import object_session

        programme = object_session(self).get(DrugProgramme, self.programme_id)
        return programme.person_id if programme else None


class NoContactDecision(enum.StrEnum):
    """The commune chairperson's decision on a request."""

    GRANTED = "granted"
    REFUSED = "refused"


class NoContactStatus(enum.StrEnum):
    """Where an order stands at a given moment (computed, never stored)."""

    REQUESTED = "requested"
    GRANTED = "granted"
    REFUSED = "refused"
    EXPIRED = "expired"


class NoContactOrder(EncryptedModel, Base):
    """A request for a no-contact order (Law 13/2022 Art. 23) and the decision on it.

    The chairperson decides within 12 hours of the request; a granted order lasts at most
    3 days each time (rules dv.no_contact.decision and .validity); a new period is a new row.
    """

    __tablename__ = "no_contact_orders"
    __table_args__ = (
        CheckConstraint("(decision IS NULL) = (decided_at IS NULL)", name="decided_at"),
        CheckConstraint(
            "decision IS NULL OR decision = 'refused' OR "
            "(valid_from IS NOT NULL AND valid_until IS NOT NULL AND valid_until > valid_from)",
            name="validity",
        ),
    )

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), index=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    decision: Mapped[NoContactDecision | None] = mapped_column(value_enum(NoContactDecision, 10))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    valid_from: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    valid_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    recorded_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    decision_recorded_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[timestamp]
    is_break_glass: Mapped[bool] = mapped_column(default=False)
    # Who must keep away from whom, and where: sealed under the case person's key.
    details_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    details = EncryptedField("details_enc")

    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id], lazy="joined")

    def status(self, now: dt.datetime) -> NoContactStatus:
        """Requested, granted (in force or not yet), refused, or expired at `now`."""
        if self.decision is None:
            return NoContactStatus.REQUESTED
        if self.decision == NoContactDecision.REFUSED:
            return NoContactStatus.REFUSED
        if self.valid_until is not None and now >= self.valid_until:
            return NoContactStatus.EXPIRED
        return NoContactStatus.GRANTED
