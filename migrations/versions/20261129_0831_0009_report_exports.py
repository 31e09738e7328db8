"""Export jobs for long report and list exports (filled in by the reports issue).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 08:30:00

"""

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
