"""Field encryption: data keys, key checks and the first encrypted tables (filled in by the encryption issue).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 07:21:00

"""

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
