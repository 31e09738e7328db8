"""The caseload's scope indexes also hold the case id, so a page of ids comes from them alone.

Reviewed by hand: two indexes of `cases` rebuilt with one more column; no data changes, no
personal data (ids, owners, units and times only).

The caseload reads the ids of its page from each arm of the user's scope, newest first: a
worker's own cases by `(owner_id, updated_at)` and a supervisor's units by `(unit_id,
updated_at)`. SQLite's indexes hold the row id, so it already read them alone. PostgreSQL's do
not: it visited every one of the arm's rows in the table to fetch the id, 1,659 scattered rows
for a worker holding 1,659 cases (2.5 ms of the database's CPU on each caseload page at 10^5
cases). With `id` as the last column, the ids come from the index, in the page's order.

The rebuild took 2.5 s at 10^5 cases (both indexes), during which writes to `cases` wait: run the
upgrade in the maintenance window, and `VACUUM ANALYZE cases` after it on PostgreSQL (an
index-only scan needs the visibility map).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 23:30:00

"""

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_cases_owner_id_updated_at": "owner_id",
    "ix_cases_unit_id_updated_at": "unit_id",
}


def upgrade():
    for name, column in INDEXES.items():
        op.drop_index(name, table_name="cases")
        op.create_index(name, "cases", [column, "updated_at", "id"])


def downgrade():
    for name, column in INDEXES.items():
        op.drop_index(name, table_name="cases")
        op.create_index(name, "cases", [column, "updated_at"])
