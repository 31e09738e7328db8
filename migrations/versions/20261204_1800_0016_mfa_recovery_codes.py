"""MFA recovery codes: ten single-use codes per user, kept only as keyed hashes.

Reviewed by hand: one new table of ids, a 64-character hex HMAC and two UTC moments; no code
is ever stored in clear. Users enrolled before this revision have no codes until they make
them from their account page. Downgrading drops the table, nothing else.

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-04 18:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TABLE = "mfa_recovery_codes"


def upgrade():
    op.create_table(
        TABLE,
        sa.Column("id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f(f"fk_{TABLE}_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{TABLE}")),
        sa.UniqueConstraint("code_hash", name=op.f(f"uq_{TABLE}_code_hash")),
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{TABLE}_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f(f"ix_{TABLE}_user_id"))
    op.drop_table(TABLE)
