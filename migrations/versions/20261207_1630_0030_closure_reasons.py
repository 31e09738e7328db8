"""Closures record a coded reason: on the case, and in the history entry of the request.

Reviewed by hand: two nullable VARCHAR(30) columns, no data changes, no index, no personal data
in a value (a code from casemgr.cases.closure.ClosureReason; the worker's words stay sealed in
the history's comment).

- `cases.closure_reason`: why the case closes; the closure request sets it, the approval keeps
  it, a declined request or a reopening clears it (as `closed_at`). The report "cases closed"
  counts by it.
- `case_events.closure_reason`: what each closure request said, kept for good in the
  append-only history (a later request or a reopening changes the case's, never this).

Cases closed before this revision have no reason: both columns stay NULL and the pages and
reports say "No reason recorded", never a guessed one.

Both are plain `ALTER TABLE ... ADD COLUMN` (no table copy on SQLite, so the triggers that keep
`case_events` append-only stay in place; PostgreSQL adds a nullable column without a rewrite).
The downgrade drops them the same way (SQLite 3.35+, as in 0018 and 0024), losing the reasons
recorded since.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 16:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("cases", sa.Column("closure_reason", sa.String(length=30), nullable=True))
    op.add_column("case_events", sa.Column("closure_reason", sa.String(length=30), nullable=True))


def downgrade():
    op.drop_column("case_events", "closure_reason")
    op.drop_column("cases", "closure_reason")
