"""Case reassignments by supervisors (the supervision dashboard).

Reviewed by hand: the reason code is stored by value (VARCHAR, no native type); the optional
explanation is a LargeBinary sealed under the case person's key, bound to table, column and
row. No data to migrate: the table is new.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 08:32:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TABLE = "case_reassignments"


def _fk(column: str, target: str) -> sa.ForeignKeyConstraint:
    referred = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=op.f(f"fk_{TABLE}_{column}_{referred}"))


def upgrade():
    reasons = ("workload", "absence", "staff_change", "conflict_of_interest", "other")
    op.create_table(
        TABLE,
        sa.Column("id", ID, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("from_owner_id", ID, nullable=False),
        sa.Column("to_owner_id", ID, nullable=False),
        sa.Column("actor_id", ID, nullable=False),
        sa.Column(
            "reason_code",
            sa.Enum(*reasons, name="reassignreason", native_enum=False, length=30),
            nullable=False,
        ),
        sa.Column("reassigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason_text_enc", sa.LargeBinary(), nullable=True),
        _fk("case_id", "cases.id"),
        _fk("person_id", "persons.id"),
        _fk("from_owner_id", "users.id"),
        _fk("to_owner_id", "users.id"),
        _fk("actor_id", "users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{TABLE}")),
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{TABLE}_case_id"), ["case_id"], unique=False)


def downgrade():
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f(f"ix_{TABLE}_case_id"))
    op.drop_table(TABLE)
