"""Dated legal rules, local days off, and deadline tracking (filled in by the programme issue).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 08:00:00

"""

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
