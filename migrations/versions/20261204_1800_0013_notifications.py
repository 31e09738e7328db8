"""Notifications: the in-app notification centre.

Reviewed by hand: plain columns only (recipient, kind code, case id, two UTC moments); no text,
no personal data: the page says the kind in the reader's language with the case number.
Downgrade drops the table, nothing else.

Revision ID: 0013
Revises: 0015
Create Date: 2026-12-04 18:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0015"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TABLE = "notifications"
KINDS = (
    "plan_approved",
    "plan_returned",
    "closure_approved",
    "closure_declined",
    "referral_answered",
    "transfer_accepted",
    "transfer_declined",
    "case_assigned",
    "case_reassigned",
    "break_glass",
)


def upgrade():
    op.create_table(
        TABLE,
        sa.Column("id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column(
            "kind",
            sa.Enum(*KINDS, name="notificationkind", native_enum=False, length=30),
            nullable=False,
        ),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f(f"fk_{TABLE}_user_id_users")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f(f"fk_{TABLE}_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{TABLE}")),
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{TABLE}_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "ix_notifications_user_id_read_at", ["user_id", "read_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_user_id_read_at")
        batch_op.drop_index(batch_op.f(f"ix_{TABLE}_case_id"))
    op.drop_table(TABLE)
