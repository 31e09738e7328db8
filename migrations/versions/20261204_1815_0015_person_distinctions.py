"""Person distinctions: pairs of registrations a user stated are different people although
they share a national ID or phone number.

Reviewed by hand: ids, a basis code ("national_id", "phone" or both), the user and a moment; no
personal data. The new blind index `persons.name_variant` (duplicate candidates) needs no
schema change: its entries for persons registered before this revision are written by
`flask --app wsgi casemgr people index-name-variants` (keys are not available to migrations).
Downgrading drops the table, nothing else.

Revision ID: 0015
Revises: 0016
Create Date: 2026-12-04 18:15:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0016"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TABLE = "person_distinctions"


def upgrade():
    op.create_table(
        TABLE,
        sa.Column("id", ID, nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("other_id", ID, nullable=False),
        sa.Column("basis", sa.String(length=40), nullable=False),
        sa.Column("recorded_by_id", ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("person_id < other_id", name=op.f(f"ck_{TABLE}_ordered")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f(f"fk_{TABLE}_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["other_id"], ["persons.id"], name=op.f(f"fk_{TABLE}_other_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f(f"fk_{TABLE}_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{TABLE}")),
        sa.UniqueConstraint("person_id", "other_id", name=op.f(f"uq_{TABLE}_person_id_other_id")),
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{TABLE}_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f(f"ix_{TABLE}_other_id"), ["other_id"], unique=False)


def downgrade():
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f(f"ix_{TABLE}_other_id"))
        batch_op.drop_index(batch_op.f(f"ix_{TABLE}_person_id"))
    op.drop_table(TABLE)
