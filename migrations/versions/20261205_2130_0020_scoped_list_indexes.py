"""Scoped list indexes: a case's owner and unit with the sort key, deadlines by case and state.

Reviewed by hand: indexes only, no data changes, no personal data.

- `cases (owner_id, updated_at)` and `cases (unit_id, updated_at)`: the caseload reads the
  scope as disjoint arms (by unit, as owner, as co-worker; casemgr.cases.queries.scope_arms),
  each from its own index, with the rows already in the default order (newest change first).
  They replace the single-column indexes on `owner_id` and `unit_id`, whose work they do too.
- `deadlines (case_id, kind, due_at, met_at, lapses)`: every count of open, overdue and
  compliant deadlines joins a case's deadlines and reads only these columns, so the index
  alone answers it. It replaces the single-column index on `case_id`.
- `case_notes (case_id, occurred_on, voided_at, superseded_by_id)`: each case's latest
  current contact (the supervision dashboard's "no contact in N days") from the index alone.
  It replaces the single-column index on `case_id`.
- Dropped: `cases (group_code)` (five values) and `deadlines (due_at)` ("due before now" holds
  for most rows). Without statistics (SQLite has none unless ANALYZE is run) the planner
  chose them and then read most rows one by one through them: the supervision dashboard's
  overdue count took 0.3 s through `due_at` at 10^5 cases, 0.03 s without it.

Downgrading restores the dropped and replaced indexes and drops the new ones.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 21:30:00

"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

# (table, new index, its columns, the single-column index it replaces: its first column)
INDEXES = (
    ("cases", "ix_cases_owner_id_updated_at", ["owner_id", "updated_at"]),
    ("cases", "ix_cases_unit_id_updated_at", ["unit_id", "updated_at"]),
    ("deadlines", "ix_deadlines_case_id_state", ["case_id", "kind", "due_at", "met_at", "lapses"]),
    ("case_notes", "ix_case_notes_case_id_occurred_on",
     ["case_id", "occurred_on", "voided_at", "superseded_by_id"]),
)  # fmt: skip
DROPPED = (("cases", "ix_cases_group_code", ["group_code"]),
           ("deadlines", "ix_deadlines_due_at", ["due_at"]))  # fmt: skip


def upgrade():
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns)
        op.drop_index(f"ix_{table}_{columns[0]}", table_name=table)
    for table, name, _columns in DROPPED:
        op.drop_index(name, table_name=table)


def downgrade():
    for table, name, columns in DROPPED:
        op.create_index(name, table, columns)
    for table, name, columns in reversed(INDEXES):
        op.create_index(f"ix_{table}_{columns[0]}", table, columns[:1])
        op.drop_index(name, table_name=table)
