"""What the database keeps about keys: key checks, wrapped data keys, blind-index entries."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from casemgr.db import Base, BigId, UTCDateTime, intpk, timestamp


class KeyCheck(Base):
    """Proof of which keys this database was written with: the app refuses other keys."""

    __tablename__ = "key_checks"

    key_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # master, index or secret
    # HMAC of a constant under a key derived from the key itself (keyring.check_mac).
    check_mac: Mapped[bytes] = mapped_column(LargeBinary(32))
    # "retired" once nothing needs the key any more: only then may it leave the key file.
    state: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[timestamp]


class DataKey(Base):
    """One person's data key, stored only wrapped by a master key (AES-GCM, bound to both ids)."""

    __tablename__ = "data_keys"

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"), unique=True)
    # nonce (12) || encrypted key (32) || tag (16); NULL once destroyed (crypto-shredding).
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary(60))
    master_key_id: Mapped[str] = mapped_column(String(40), index=True)
    created_at: Mapped[timestamp]
    destroyed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class BlindIndexEntry(Base):
    """A truncated keyed hash of one normalised value of one row, under one index key."""

    __tablename__ = "blind_index_entries"
    __table_args__ = (
        # row_id last: a lookup is index-only, and checking one more term of a known row is a
        # single probe (see blind.candidates).
        Index("ix_blind_index_entries_lookup", "index_name", "key_id", "value", "row_id"),
        Index("ix_blind_index_entries_row", "table_name", "row_id"),
    )

    id: Mapped[intpk]
    table_name: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[int] = mapped_column(BigId)
    index_name: Mapped[str] = mapped_column(String(40))
    key_id: Mapped[str] = mapped_column(String(40))
    value: Mapped[int] = mapped_column(Integer)


class IndexJob(Base):
    """Progress of filling one table's entries under a pending index key (resumable)."""

    __tablename__ = "index_jobs"

    key_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    table_name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_row_id: Mapped[int] = mapped_column(BigId, default=0)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
