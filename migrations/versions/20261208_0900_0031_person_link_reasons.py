"""Same-person links record why they were made: `person_links.reason_code`.

Reviewed by hand: one nullable VARCHAR(30) column, no data changes, no index, no personal data
in a value (a code from casemgr.people.relations.LinkReason; the user ticks a confirmation and
chooses the code on the comparison page, and the audit event `person.link` records it too).

Links made before this revision have no reason: the column stays NULL and the person page
says nothing about why, never a guessed reason. A link removed as wrong is deleted (the audit
trail keeps `person.link` and `person.unlink` with their reasons), so no column is needed for
removals.

A plain `ALTER TABLE ... ADD COLUMN` on both databases (no table copy on SQLite; PostgreSQL
adds a nullable column without a rewrite). The downgrade drops it (SQLite 3.35+, as in 0018,
0024 and 0030), losing the reasons recorded since.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-08 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("person_links", sa.Column("reason_code", sa.String(length=30), nullable=True))


def downgrade():
    op.drop_column("person_links", "reason_code")
