"""Two indexes found by the bench province: the open cases per owner (PostgreSQL), and the
case history's codes.

Reviewed by hand: two new indexes, no data changes, no personal data (ids, owners, units,
dates, risk levels and workflow codes only).

- `ix_cases_open_owner_id`, PostgreSQL only: the open cases' owner and id, with the unit, risk,
  opening and last contact carried along (INCLUDE), for the supervision dashboard's counts per
  owner over a whole province. PostgreSQL read all 10^5 cases from the table (76 MB) for them;
  it now reads this 4 MB index alone (the overdue count per owner: 133 ms to 59 ms). SQLite
  already reads them from `ix_cases_unit_id_status_counts`, and on it a partial index without
  `status` among its columns was chosen yet could not cover the query (the dashboard: 257 ms
  to 460 ms), so it is not built there.
- `ix_case_events_code`: the worker's home lists the plans returned for changes, whose latest
  workflow move is "return_plan". Without the index PostgreSQL read all 744k history events
  of the bench province for them on every home page (42 ms).

Both took under 2 s to build at 10^5 cases, writes to the tables waiting meanwhile; on
PostgreSQL run `VACUUM ANALYZE cases, case_events` after the upgrade (an index-only scan needs
the visibility map).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 11:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_case_events_code", "case_events", ["code"])
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_cases_open_owner_id",
            "cases",
            ["owner_id", "id"],
            postgresql_include=["unit_id", "risk_level", "opened_at", "last_contact_on"],
            postgresql_where=sa.text("status <> 'closed'"),
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_cases_open_owner_id", table_name="cases")
    op.drop_index("ix_case_events_code", table_name="case_events")
