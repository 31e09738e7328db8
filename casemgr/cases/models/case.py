"""The case: one person, one target group, an owning unit and owner, a status in the workflow."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.auth.models import User
from casemgr.cases.closure import ClosureReason
from casemgr.cases.workflow import Status
from casemgr.crypto.fields import EncryptedField, EncryptedModel
from casemgr.db import Base, BigId, UTCDateTime, intpk, timestamp, value_enum
from casemgr.org.models import Unit
from casemgr.people.models import Person
from casemgr.reference.models import SubGroup, TargetGroup


class ProtectionLevel(enum.StrEnum):
    """The three protection levels of the Law on Children, Art. 47 (used for every group)."""

    PREVENTION = "prevention"
    SUPPORT = "support"
    INTERVENTION = "intervention"


class RiskLevel(enum.StrEnum):
    """Risk rating of the latest assessment, stored plainly for reports and deadlines."""

    UNKNOWN = "unknown"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Case(EncryptedModel, Base):
    """A case file. `version` refuses a save based on a stale read (optimistic locking)."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("number"),
        # The scope's arms with the caseload's default sort key (cases.queries.scope_arms): a
        # worker's own cases and a unit's cases are read newest first from the index alone
        # (the id too: PostgreSQL's indexes do not hold the row's key, SQLite's do).
        Index("ix_cases_owner_id_updated_at", "owner_id", "updated_at", "id"),
        Index("ix_cases_unit_id_updated_at", "unit_id", "updated_at", "id"),
        # The supervision dashboard's counts per owner (risk, no contact, overdue) and the
        # compliance table read a unit's cases from this index alone, not the table's rows.
        Index(
            "ix_cases_unit_id_status_counts", "unit_id", "status", "owner_id", "risk_level",
            "opened_at", "last_contact_on", "group_code", "id",
        ),
        # PostgreSQL only: a province-wide subtree's counts per owner (the supervision
        # dashboard, the overdue counts) read the open cases from this small index alone, not
        # the whole table (4 MB against 76 MB at 10^5 cases). SQLite reads them from the index
        # above, and on it this index, which cannot cover `status`, made the dashboard slower.
        Index(
            "ix_cases_open_owner_id", "owner_id", "id",
            postgresql_include=["unit_id", "risk_level", "opened_at", "last_contact_on"],
            postgresql_where=text("status <> 'closed'"),
        ).ddl_if(dialect="postgresql"),
    )  # fmt: skip

    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(String(40))
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"), index=True)
    # No index: five groups, and without statistics (SQLite) the planner would read most cases
    # through it one by one instead of in one pass.
    group_code: Mapped[str] = mapped_column(ForeignKey("target_groups.code"))
    protection_level: Mapped[ProtectionLevel] = mapped_column(value_enum(ProtectionLevel, 20))
    risk_level: Mapped[RiskLevel] = mapped_column(
        value_enum(RiskLevel, 10), default=RiskLevel.UNKNOWN
    )
    status: Mapped[Status] = mapped_column(
        value_enum(Status, 30), default=Status.INTAKE, index=True
    )
    unit_id: Mapped[int] = mapped_column(BigId, ForeignKey("units.id"))
    owner_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    # Who submitted the plan or closure now awaiting approval (never allowed to approve it).
    submitted_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    plan_cycle: Mapped[int] = mapped_column(Integer, default=1)
    opened_at: Mapped[timestamp]
    updated_at: Mapped[timestamp]
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Why the case closes: set by the closure request, kept by its approval, cleared when the
    # request is declined or the case reopened (reports count closed cases by it). Plain, like
    # the status: a code, never the worker's words (sealed in the history's comment).
    closure_reason: Mapped[ClosureReason | None] = mapped_column(value_enum(ClosureReason, 30))
    # The latest current note's date (casemgr.cases.contact keeps it when notes change).
    last_contact_on: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The intake report: how the case came in, what happened (encrypted narrative).
    summary_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    summary = EncryptedField("summary_enc")

    person: Mapped[Person] = relationship(lazy="joined")
    group: Mapped[TargetGroup] = relationship(lazy="joined")
    unit: Mapped[Unit] = relationship(lazy="joined")
    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="joined")
    sub_groups: Mapped[list[SubGroup]] = relationship(
        secondary="case_sub_groups", order_by="SubGroup.code", lazy="selectin"
    )
    co_workers: Mapped[list[User]] = relationship(secondary="case_workers", lazy="selectin")

    __mapper_args__ = {"version_id_col": version}

    def worker_ids(self) -> set[int]:
        """The owner and co-workers."""
        return {self.owner_id, *(user.id for user in self.co_workers)}

    def __repr__(self) -> str:
        return f"<Case {self.id}>"


class CaseSubGroup(Base):
    """A case's sub-groups (a child may be in several of the groups a-o)."""

    __tablename__ = "case_sub_groups"

    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), primary_key=True)
    sub_group_id: Mapped[int] = mapped_column(BigId, ForeignKey("sub_groups.id"), primary_key=True)


class CaseWorker(Base):
    """A co-worker on a case: sees and edits it like the owner."""

    __tablename__ = "case_workers"

    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id"), primary_key=True, index=True
    )


class CaseNumberCounter(Base):
    """The last case number given by a unit in a year (numbers read UNIT-YYYY-NNNN)."""

    __tablename__ = "case_number_counters"

    unit_id: Mapped[int] = mapped_column(BigId, ForeignKey("units.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)
