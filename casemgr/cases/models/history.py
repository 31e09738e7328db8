"""The case history: one append-only row per change of who holds the case, where, or how far.

Services write a CaseEvent in the same flush as the change it records; the timeline reads them.
Rows are never updated or deleted: the ORM refuses it here, the database by trigger (migration
0011). The free-text reason is sealed under the case person's data key like a note; the
`code` says which transition, reason code or fields, and is never personal data.
"""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, LargeBinary, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from casemgr.auth.models import User
from casemgr.cases.closure import ClosureReason
from casemgr.crypto.fields import EncryptedField, EncryptedModel
from casemgr.db import Base, BigId, intpk, timestamp, value_enum
from casemgr.org.models import Unit


class CaseEventKind(enum.StrEnum):
    """What happened to the case (workflow moves carry their transition name in `code`)."""

    OPENED = "opened"
    CO_WORKER_ADDED = "co_worker_added"
    CO_WORKER_REMOVED = "co_worker_removed"
    REASSIGNED = "reassigned"
    TRANSFER_REQUESTED = "transfer_requested"
    TRANSFER_CANCELLED = "transfer_cancelled"
    TRANSFER_ACCEPTED = "transfer_accepted"
    TRANSFER_DECLINED = "transfer_declined"
    TRANSITION = "transition"
    CORRECTED = "corrected"
    VOIDED = "voided"


class CaseEvent(EncryptedModel, Base):
    """One entry of a case's history: who, when, what, between whom or which units, and why."""

    __tablename__ = "case_events"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), index=True)
    # The case person's data key seals the reason (erasing the person erases it too).
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"))
    kind: Mapped[CaseEventKind] = mapped_column(value_enum(CaseEventKind, 30))
    actor_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    occurred_at: Mapped[timestamp]
    # Plain and never personal: a transition name, a reason code, or changed field names.
    # Indexed: the worker's home finds the plans returned for changes by their code.
    code: Mapped[str | None] = mapped_column(String(200), index=True)
    from_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    to_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    from_unit_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("units.id"))
    to_unit_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("units.id"))
    is_break_glass: Mapped[bool] = mapped_column(default=False)
    # The coded reason a closure request gave (request_closure moves only; plain, as on the
    # case, which a later request or a reopening changes while this entry keeps what was said).
    closure_reason: Mapped[ClosureReason | None] = mapped_column(value_enum(ClosureReason, 30))
    reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    reason = EncryptedField("reason_enc")

    actor: Mapped[User] = relationship(foreign_keys=[actor_id], lazy="joined")
    from_user: Mapped[User | None] = relationship(foreign_keys=[from_user_id], lazy="joined")
    to_user: Mapped[User | None] = relationship(foreign_keys=[to_user_id], lazy="joined")
    from_unit: Mapped[Unit | None] = relationship(foreign_keys=[from_unit_id], lazy="joined")
    to_unit: Mapped[Unit | None] = relationship(foreign_keys=[to_unit_id], lazy="joined")

    @property
    def transition(self) -> str | None:
        """The workflow move's name (for readers of the workflow log; None for other kinds)."""
        return self.code if self.kind == CaseEventKind.TRANSITION else None

    def fields(self) -> list[str]:
        """The field names a correction changed (empty for other kinds)."""
        if self.kind != CaseEventKind.CORRECTED or not self.code:
            return []
        # A record's correction reads "<kind>:<new row id>:<fields>"; the case's own, "<fields>".
        return self.code.rsplit(":", 1)[-1].split(",")

    @property
    def record_kind(self) -> str | None:
        """Which kind of record a correction or void touched (None for the case's own)."""
        if self.kind not in (CaseEventKind.CORRECTED, CaseEventKind.VOIDED) or not self.code:
            return None
        return self.code.split(":", 1)[0] if ":" in self.code else None

    def __repr__(self) -> str:
        return f"<CaseEvent {self.id} {self.kind}>"


class HistoryRewrite(RuntimeError):
    """An attempt to change or remove an entry of a case's history."""


@event.listens_for(Session, "before_flush")
def _refuse_rewrites(session: Session, flush_context, instances) -> None:
    # The database refuses too (triggers); this names the mistake before it gets there.
    for obj in session.deleted:
        if isinstance(obj, CaseEvent):
            raise HistoryRewrite("case history is append-only: no delete")
    for obj in session.dirty:
        if isinstance(obj, CaseEvent) and session.is_modified(obj, include_collections=False):
            raise HistoryRewrite("case history is append-only: no update")
