"""Group-specific records and transfers between units (filled in by the programme issue).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 08:00:00

"""

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
