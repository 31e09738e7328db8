"""The target groups each service point serves.

Reviewed by hand: one new table, no data changes, no personal data (service point ids and
target group codes only).

`service_point_groups` lists the target groups a partner serves; the referral and service
forms offer a partner only for cases of those groups. Existing points get no rows: a point with
no groups recorded is still offered to every group (marked as such in the lists) until an
office records its groups, so nothing a worker can do today is lost by the upgrade.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 14:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "service_point_groups",
        sa.Column("service_point_id", ID, nullable=False),
        sa.Column("group_code", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_point_id"],
            ["service_points.id"],
            name=op.f("fk_service_point_groups_service_point_id_service_points"),
        ),
        sa.ForeignKeyConstraint(
            ["group_code"],
            ["target_groups.code"],
            name=op.f("fk_service_point_groups_group_code_target_groups"),
        ),
        sa.PrimaryKeyConstraint(
            "service_point_id", "group_code", name=op.f("pk_service_point_groups")
        ),
    )


def downgrade():
    op.drop_table("service_point_groups")
