"""Corrections without losing history: void and version columns on six correctable records.

Written by hand and reviewed. On relatives, consents, drug_tests, service_deliveries,
case_notes and plan_actions:
- voided_at, voided_by_id, void_reason_enc: a void marks the row, with who, when and a reason
  sealed under the person's data key (bound to table, column and row by the app);
- replaces_id / superseded_by_id (self references): a correction writes a new row that
  replaces the old one; the old row stays, superseded; corrected_by_id and
  correction_reason_enc (sealed) on the new row say who corrected it and why;
- partial-free: existing rows get NULLs, i.e. they are all current. Nothing is deleted.
Downgrade drops the columns (the superseded and voided rows would then count again: a
downgrade after corrections were made is a data decision, not a schema one).

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-04 18:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TABLES = (
    "relatives",
    "consents",
    "drug_tests",
    "service_deliveries",
    "case_notes",
    "plan_actions",
)


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True))
            batch_op.add_column(sa.Column("void_reason_enc", sa.LargeBinary(), nullable=True))
            batch_op.add_column(
                sa.Column("correction_reason_enc", sa.LargeBinary(), nullable=True)
            )
            for column, target in (
                ("voided_by_id", "users"),
                ("corrected_by_id", "users"),
                ("replaces_id", table),
                ("superseded_by_id", table),
            ):
                batch_op.add_column(sa.Column(column, ID, nullable=True))
                batch_op.create_foreign_key(
                    batch_op.f(f"fk_{table}_{column}_{target}"), target, [column], ["id"]
                )


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, target in (
                ("superseded_by_id", table),
                ("replaces_id", table),
                ("corrected_by_id", "users"),
                ("voided_by_id", "users"),
            ):
                batch_op.drop_constraint(
                    batch_op.f(f"fk_{table}_{column}_{target}"), type_="foreignkey"
                )
                batch_op.drop_column(column)
            batch_op.drop_column("correction_reason_enc")
            batch_op.drop_column("void_reason_enc")
            batch_op.drop_column("voided_at")
