"""Case history: one append-only table of case events (opened, co-workers, reassignments,
transfers, workflow moves, corrections).

Written by hand and reviewed:
- case_events: plain facts (kind, actor, time, code, from/to user and unit) and a reason sealed
  under the case person's key (LargeBinary, bound to table, column and row by the app);
- on both databases a trigger refuses UPDATE and DELETE of a row (PostgreSQL also TRUNCATE):
  the history is appended, never rewritten;
- existing cases get their history back from what the database already holds. Who opened a
  case was never stored: it is the first owner, i.e. the `from` owner of its earliest
  reassignment or transfer request, else its owner today; the opening unit likewise is the
  `from` unit of its earliest transfer, else its unit today. Reassignments, transfers and
  workflow moves are copied with their plain facts. Old sealed texts stay where they were
  sealed (a ciphertext is bound to its table and row and cannot be copied here).
Downgrade drops the table (and on PostgreSQL the trigger function).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 17:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TABLE = "case_events"
KINDS = (
    "opened",
    "co_worker_added",
    "co_worker_removed",
    "reassigned",
    "transfer_requested",
    "transfer_cancelled",
    "transfer_accepted",
    "transfer_declined",
    "transition",
    "corrected",
)

PG_FUNCTION = """
CREATE FUNCTION casemgr_case_history_refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'casemgr: % on % refused, the case history is append-only',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$
"""
PG_TRIGGERS = (
    "CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events "
    "FOR EACH ROW EXECUTE FUNCTION casemgr_case_history_refuse()",
    "CREATE TRIGGER case_events_no_truncate BEFORE TRUNCATE ON case_events "
    "FOR EACH STATEMENT EXECUTE FUNCTION casemgr_case_history_refuse()",
)
SQLITE_TRIGGERS = tuple(
    f"CREATE TRIGGER case_events_no_{op_name.lower()} BEFORE {op_name} ON case_events "
    "BEGIN SELECT RAISE(ABORT, 'casemgr: the case history is append-only'); END"
    for op_name in ("UPDATE", "DELETE")
)


def _fk(column: str, target: str) -> sa.ForeignKeyConstraint:
    referred = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=op.f(f"fk_{TABLE}_{column}_{referred}"))


def upgrade():
    op.create_table(
        TABLE,
        sa.Column("id", ID, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("kind", sa.Enum(*KINDS, name="caseeventkind", native_enum=False, length=30),
                  nullable=False),
        sa.Column("actor_id", ID, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("code", sa.String(length=200), nullable=True),
        sa.Column("from_user_id", ID, nullable=True),
        sa.Column("to_user_id", ID, nullable=True),
        sa.Column("from_unit_id", ID, nullable=True),
        sa.Column("to_unit_id", ID, nullable=True),
        sa.Column("is_break_glass", sa.Boolean(), nullable=False),
        sa.Column("reason_enc", sa.LargeBinary(), nullable=True),
        _fk("case_id", "cases.id"),
        _fk("person_id", "persons.id"),
        _fk("actor_id", "users.id"),
        _fk("from_user_id", "users.id"),
        _fk("to_user_id", "users.id"),
        _fk("from_unit_id", "units.id"),
        _fk("to_unit_id", "units.id"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{TABLE}")),
    )  # fmt: skip
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{TABLE}_case_id"), ["case_id"], unique=False)
    _backfill(op.get_bind())
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for statement in PG_TRIGGERS:
            op.execute(statement)
        op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON case_events FROM PUBLIC")
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade():
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f(f"ix_{TABLE}_case_id"))
    op.drop_table(TABLE)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION casemgr_case_history_refuse()")


def _backfill(bind) -> None:
    meta = sa.MetaData()
    cases = sa.Table("cases", meta, autoload_with=bind)
    moves = sa.Table("case_reassignments", meta, autoload_with=bind)
    transfers = sa.Table("case_transfers", meta, autoload_with=bind)
    transitions = sa.Table("case_transitions", meta, autoload_with=bind)
    events = sa.Table(TABLE, meta, autoload_with=bind)
    persons = dict(bind.execute(sa.select(cases.c.id, cases.c.person_id)).all())
    rows: list[dict] = []

    def add(case_id, kind, actor, at, **extra) -> None:
        rows.append({"case_id": case_id, "person_id": persons[case_id], "kind": kind,
                     "actor_id": actor, "occurred_at": at, "is_break_glass": False, "code": None,
                     "from_user_id": None, "to_user_id": None, "from_unit_id": None,
                     "to_unit_id": None, **extra})  # fmt: skip

    first_owner: dict[int, tuple] = {}  # case id -> (time, owner before the first change)
    first_unit: dict[int, int] = {}  # case id -> unit before its first transfer
    for m in bind.execute(sa.select(moves).order_by(moves.c.reassigned_at, moves.c.id)).mappings():
        add(m["case_id"], "reassigned", m["actor_id"], m["reassigned_at"],
            code=m["reason_code"], from_user_id=m["from_owner_id"], to_user_id=m["to_owner_id"])  # fmt: skip
        first_owner.setdefault(m["case_id"], (m["reassigned_at"], m["from_owner_id"]))
    by_time = sa.select(transfers).order_by(transfers.c.requested_at, transfers.c.id)
    for t in bind.execute(by_time).mappings():
        add(t["case_id"], "transfer_requested", t["requested_by_id"], t["requested_at"],
            from_user_id=t["from_owner_id"], from_unit_id=t["from_unit_id"],
            to_unit_id=t["to_unit_id"])  # fmt: skip
        if t["status"] != "requested" and t["decided_by_id"] is not None:
            add(t["case_id"], f"transfer_{t['status']}", t["decided_by_id"], t["decided_at"],
                from_user_id=t["from_owner_id"], to_user_id=t["to_owner_id"],
                from_unit_id=t["from_unit_id"], to_unit_id=t["to_unit_id"])  # fmt: skip
        first_unit.setdefault(t["case_id"], t["from_unit_id"])
        known = first_owner.get(t["case_id"])
        if known is None or t["requested_at"] < known[0]:
            first_owner[t["case_id"]] = (t["requested_at"], t["from_owner_id"])
    for t in bind.execute(sa.select(transitions)).mappings():
        add(t["case_id"], "transition", t["actor_id"], t["occurred_at"],
            code=t["transition"], is_break_glass=bool(t["is_break_glass"]))  # fmt: skip
    for c in bind.execute(sa.select(cases)).mappings():
        opener = first_owner.get(c["id"], (None, c["owner_id"]))[1]
        add(c["id"], "opened", opener, c["opened_at"], to_user_id=opener,
            to_unit_id=first_unit.get(c["id"], c["unit_id"]))  # fmt: skip
    if rows:
        bind.execute(events.insert(), rows)
