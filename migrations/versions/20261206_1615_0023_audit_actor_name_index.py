"""Audit search by username: an index on lower(actor_name) with the chain's order.

Reviewed by hand: one index, no data changes, no personal data (usernames are already in the
audit rows; the index only orders them).

The auditor's search by user (`/audit/events?user=<username>`, casemgr.audit.queries) matches
`lower(actor_name)` and shows the newest events first. No index served it, so both the count
and the page read the whole chain: 0.16 s and 0.34 s at 10^6 events on PostgreSQL, and under
the 50-user load test that read queued every other page. `(lower(actor_name), seq)` answers
the count from the index and the page by reading the index backwards, 50 rows.

On a large production chain PostgreSQL builds the index while the table stays readable but
refuses appends (a few seconds per 10^6 events); run the upgrade in the maintenance window.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 16:15:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_audit_events_actor_name_seq",
        "audit_events",
        [sa.func.lower(sa.text("actor_name")), "seq"],
    )


def downgrade():
    op.drop_index("ix_audit_events_actor_name_seq", table_name="audit_events")
