"""Jobs, the files they produce (sealed), and the runs of scheduled duties: all in the database."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgr.auth.models import User
from casemgr.db import Base, BigId, UTCDateTime, intpk, timestamp, value_enum


class JobStatus(enum.StrEnum):
    """Where a job is: waiting in the queue, running (with progress), done, or failed."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(Base):
    """One piece of long work started by a user (or the system), run by a worker.

    `key` is the random name the job page and its download use (never the row id). `params`
    holds the job's inputs as JSON: filters and ids, never a value of case data. A password
    the user was shown once (person lists) is kept sealed in `sealed_secret` only until the
    file is written, so a retry after a killed worker can still protect the file with it.
    """

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_heartbeat_at", "status", "heartbeat_at"),)

    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(43), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    status: Mapped[JobStatus] = mapped_column(value_enum(JobStatus, 10), default=JobStatus.QUEUED)
    params: Mapped[str] = mapped_column(Text, default="{}")
    sealed_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str | None] = mapped_column(String(40))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[timestamp]
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.status}>"


class JobFile(Base):
    """A job's output, sealed (AES-256-GCM, bound to its row) until `expires_at`, then purged.

    Written in the same transaction that marks the job done: a worker killed before that
    commit leaves no row, so no half file can ever be downloaded."""

    __tablename__ = "job_files"

    id: Mapped[intpk]
    job_id: Mapped[int] = mapped_column(BigId, ForeignKey("jobs.id"), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    mimetype: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[timestamp]
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


class DutyRun(Base):
    """One run of a scheduled duty for one period (`slot`, the period's start).

    The unique (duty, slot) pair is the lock: of several workers reaching the same period,
    only the one whose insert succeeds runs the duty."""

    __tablename__ = "duty_runs"
    __table_args__ = (UniqueConstraint("duty", "slot"),)

    id: Mapped[intpk]
    duty: Mapped[str] = mapped_column(String(40))
    slot: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    worker: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[timestamp]
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(10), default="running")
    # Named counts and codes as JSON ({"alerts": 12}, a failure's first problem kind), never
    # a value: worded in the reader's language when shown (jobs.wording).
    detail: Mapped[str | None] = mapped_column(String(200))
