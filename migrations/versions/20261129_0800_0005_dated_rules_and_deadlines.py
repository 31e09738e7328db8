"""Dated legal rules, local days off, and emergency actions on child cases.

Reviewed by hand: enums stored by value in checked VARCHARs (non-native, so no database type
to create or drop); rule versions are unique per (key, valid_from) and only ever added;
days_off.unit_id is NULL for an entry that applies everywhere. The rules themselves are seeded
by `flask casemgr init` (casemgr.rules.services.seed_rules), not here, so that a new version of
the seed list reaches existing installations too.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 08:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "dated_rules",
        sa.Column("id", ID, nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column(
            "unit",
            sa.Enum(
                "hours",
                "days",
                "working_days",
                "months",
                "years",
                name="durationunit",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("needs_check", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_dated_rules_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dated_rules")),
        sa.UniqueConstraint("key", "valid_from", name=op.f("uq_dated_rules_key_valid_from")),
    )
    op.create_table(
        "days_off",
        sa.Column("id", ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("unit_id", ID, nullable=True),
        sa.Column("is_working_day", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_days_off_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_days_off_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_days_off")),
    )
    with op.batch_alter_table("days_off", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_days_off_day"), ["day"], unique=False)

    op.create_table(
        "emergency_actions",
        sa.Column("id", ID, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column(
            "measure",
            sa.Enum(
                "separated",
                "safe_placement",
                "medical_care",
                "police",
                "other",
                name="emergencymeasure",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", ID, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_break_glass", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_emergency_actions_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_emergency_actions_recorded_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_actions")),
    )
    with op.batch_alter_table("emergency_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emergency_actions_case_id"), ["case_id"], unique=False)


def downgrade():
    with op.batch_alter_table("emergency_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_actions_case_id"))
    op.drop_table("emergency_actions")
    with op.batch_alter_table("days_off", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_days_off_day"))
    op.drop_table("days_off")
    op.drop_table("dated_rules")
