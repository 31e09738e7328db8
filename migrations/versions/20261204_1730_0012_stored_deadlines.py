"""Stored deadlines: one row per deadline of a case, read by every view of "due" and "overdue".

Reviewed by hand: plain columns only (kind code, ids, UTC moments, a local date, a flag), no
personal data. The rows are derived from cases, plan actions, referrals, drug programmes,
no-contact orders and the dated rules: after upgrading, `flask --app wsgi casemgr deadlines recompute` fills the
table (the app keeps it up to date from then on). Downgrading drops the table, nothing else.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 17:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TABLE = "deadlines"


def upgrade():
    op.create_table(
        TABLE,
        sa.Column("id", ID, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("object_id", ID, nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("met_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lapses", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f(f"fk_{TABLE}_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{TABLE}")),
        sa.UniqueConstraint(
            "case_id", "kind", "object_id", name=op.f(f"uq_{TABLE}_case_id_kind_object_id")
        ),
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{TABLE}_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f(f"ix_{TABLE}_due_at"), ["due_at"], unique=False)


def downgrade():
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f(f"ix_{TABLE}_due_at"))
        batch_op.drop_index(batch_op.f(f"ix_{TABLE}_case_id"))
    op.drop_table(TABLE)
