"""Cases keep their last contact date; an index answers the supervision dashboard's counts.

Reviewed by hand: one nullable date column filled from the notes already stored, one index;
no personal data (a note's date is plain already, and the column holds only the latest).

`cases.last_contact_on` is the date of the case's latest current note (neither voided nor
superseded), or NULL without one; casemgr.cases.contact keeps it from now on. The dashboard's
"no contact in N days" read the latest note of every open case in scope: one index look-up per
case, 2,800 for a commune at 10^5 cases in the province, and that one statement was a third of
the page. `ix_cases_unit_id_status_counts` holds what the dashboard's counts per owner and its
compliance table read of a unit's cases, so they come from the index alone.

The fill is one UPDATE over the cases (about a second per 10^5 cases); run the upgrade in the
maintenance window on a large database.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 20:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("cases", sa.Column("last_contact_on", sa.Date(), nullable=True))
    op.execute(
        "UPDATE cases SET last_contact_on = ("
        " SELECT max(case_notes.occurred_on) FROM case_notes"
        " WHERE case_notes.case_id = cases.id"
        " AND case_notes.voided_at IS NULL AND case_notes.superseded_by_id IS NULL)"
    )
    op.create_index(
        "ix_cases_unit_id_status_counts",
        "cases",
        ["unit_id", "status", "owner_id", "risk_level", "opened_at", "last_contact_on",
         "group_code", "id"],
    )  # fmt: skip


def downgrade():
    op.drop_index("ix_cases_unit_id_status_counts", table_name="cases")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), as in 0018: no copy of the table.
    op.drop_column("cases", "last_contact_on")
