"""Jobs: background jobs, their sealed output files, runs of scheduled duties; reminder keys.

Reviewed by hand. New tables `jobs`, `job_files` (sealed bytes, an expiry) and `duty_runs`
(unique duty + period: the lock that runs each duty once per period). `notifications` gains
`deadline_id` (reminders name the deadline they are about; unique per user, kind and
deadline, so a reminder is sent once), `break_glass_grants` gains `ended_at` (the duty that
records the end of a window). No data is changed; no personal data in any new column.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 21:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "jobs",
        sa.Column("id", BigId, nullable=False),
        sa.Column("key", sa.String(length=43), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("user_id", BigId, nullable=True),
        sa.Column("status", sa.Enum("queued", "running", "done", "failed", name="jobstatus",
                                    native_enum=False, length=10), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("sealed_secret", sa.LargeBinary(), nullable=True),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_jobs_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("key", name=op.f("uq_jobs_key")),
    )  # fmt: skip
    op.create_index(op.f("ix_jobs_user_id"), "jobs", ["user_id"])
    op.create_index("ix_jobs_status_heartbeat_at", "jobs", ["status", "heartbeat_at"])
    op.create_table(
        "job_files",
        sa.Column("id", BigId, nullable=False),
        sa.Column("job_id", BigId, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("mimetype", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_job_files_job_id_jobs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_files")),
        sa.UniqueConstraint("job_id", name=op.f("uq_job_files_job_id")),
    )
    op.create_index(op.f("ix_job_files_expires_at"), "job_files", ["expires_at"])
    op.create_table(
        "duty_runs",
        sa.Column("id", BigId, nullable=False),
        sa.Column("duty", sa.String(length=40), nullable=False),
        sa.Column("slot", sa.DateTime(timezone=True), nullable=False),
        sa.Column("worker", sa.String(length=100), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_runs")),
        sa.UniqueConstraint("duty", "slot", name=op.f("uq_duty_runs_duty_slot")),
    )
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("deadline_id", BigId, nullable=True))
        batch.create_foreign_key(
            op.f("fk_notifications_deadline_id_deadlines"), "deadlines", ["deadline_id"], ["id"]
        )
        batch.create_unique_constraint(
            op.f("uq_notifications_user_id_kind_deadline_id"), ["user_id", "kind", "deadline_id"]
        )
    with op.batch_alter_table("break_glass_grants") as batch:
        batch.add_column(sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("break_glass_grants") as batch:
        batch.drop_column("ended_at")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_constraint("uq_notifications_user_id_kind_deadline_id", type_="unique")
        batch.drop_constraint("fk_notifications_deadline_id_deadlines", type_="foreignkey")
        batch.drop_column("deadline_id")
    op.drop_table("duty_runs")
    op.drop_index(op.f("ix_job_files_expires_at"), table_name="job_files")
    op.drop_table("job_files")
    op.drop_index("ix_jobs_status_heartbeat_at", table_name="jobs")
    op.drop_index(op.f("ix_jobs_user_id"), table_name="jobs")
    op.drop_table("jobs")
