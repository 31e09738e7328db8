"""Intake reports: reports received about a child at risk, and their per-unit numbering.

Written by hand and reviewed. Two new tables, nothing else changes:
- intake_reports: number (unique), the commune office (units), channel, status, two plain
  flags (emergency, reporter's consent), received/recorded/decided times, who received and
  decided (users), the API token id that filed it (no foreign key: tokens are another
  package's), the two deadlines stored at intake, the case it became (cases) and a version
  for optimistic locking. The eight *_enc columns hold AES-GCM values sealed by the app
  (crypto.sealedtext, bound to table, column and row): no plaintext column, no personal
  data in any plain column. Indexes: unit, status, emergency deadline, case, token.
- intake_number_counters: (unit, year) -> last number given.
Downgrade drops both tables (and every report in them).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 21:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
SEALED = (
    "child_name_enc",
    "child_details_enc",
    "location_enc",
    "situation_enc",
    "carers_enc",
    "reporter_name_enc",
    "reporter_contact_enc",
    "dismissal_reason_enc",
)


def upgrade():
    op.create_table(
        "intake_reports",
        sa.Column("id", ID, nullable=False),
        sa.Column("number", sa.String(length=60), nullable=False),
        sa.Column("unit_id", ID, nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "hotline", "partner", "walk_in", "phone",
                name="intakesource", native_enum=False, length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "received", "accepted", "dismissed",
                name="intakestatus", native_enum=False, length=20,
            ),
            nullable=False,
        ),
        sa.Column("is_emergency", sa.Boolean(), nullable=False),
        sa.Column("reporter_consents", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_by_id", ID, nullable=False),
        sa.Column("source_token_id", ID, nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("emergency_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("plan_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", ID, nullable=True),
        sa.Column("case_id", ID, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.LargeBinary(), nullable=True) for name in SEALED),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_intake_reports_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["received_by_id"], ["users.id"], name=op.f("fk_intake_reports_received_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_intake_reports_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_intake_reports_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_reports")),
        sa.UniqueConstraint("number", name=op.f("uq_intake_reports_number")),
    )  # fmt: skip
    with op.batch_alter_table("intake_reports", schema=None) as batch_op:
        for column in ("unit_id", "status", "emergency_due_at", "case_id", "source_token_id"):
            batch_op.create_index(batch_op.f(f"ix_intake_reports_{column}"), [column])
    op.create_table(
        "intake_number_counters",
        sa.Column("unit_id", ID, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_intake_number_counters_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("unit_id", "year", name=op.f("pk_intake_number_counters")),
    )


def downgrade():
    op.drop_table("intake_number_counters")
    with op.batch_alter_table("intake_reports", schema=None) as batch_op:
        for column in ("source_token_id", "case_id", "emergency_due_at", "status", "unit_id"):
            batch_op.drop_index(batch_op.f(f"ix_intake_reports_{column}"))
    op.drop_table("intake_reports")
