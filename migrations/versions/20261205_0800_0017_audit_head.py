"""Audit head counter: the last appended seq and MAC, kept outside audit_events.

Reviewed by hand. One new table with one row (id 1), filled here from the log's current head
(or the newest archive anchor, or seq 0 and the genesis MAC when both are empty), so an
existing installation has the evidence from this revision on. record() advances it in the
same transaction as each append. On PostgreSQL a trigger refuses to move it backwards, to
delete its row or to truncate it, for every role (like the trail itself, migration 0002), and
UPDATE on it is not revoked from the app role: the app must advance it. Downgrading drops the
trigger, its function and the table, nothing else.

Revision ID: 0017
Revises: 0013 (the head: the chain runs 0014, 0016, 0015, 0013)
Create Date: 2026-12-05 08:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0013"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TABLE = "audit_head"

GUARD_FUNCTION = """
CREATE FUNCTION casemgr_audit_head_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.id = OLD.id AND NEW.seq >= OLD.seq THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'casemgr: % on % refused, the audit head only moves forward',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade():
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", BigId, nullable=False),
        sa.Column("mac", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{TABLE}")),
    )
    op.execute(
        """
        INSERT INTO audit_head (id, seq, mac)
        SELECT 1, seq, mac FROM (
            SELECT seq, mac FROM audit_events
            UNION ALL SELECT seq, mac FROM audit_anchors
        ) AS known ORDER BY seq DESC LIMIT 1
        """
    )
    op.execute(
        sa.text(
            "INSERT INTO audit_head (id, seq, mac) SELECT 1, 0, :genesis "
            "WHERE NOT EXISTS (SELECT 1 FROM audit_head)"
        ).bindparams(sa.bindparam("genesis", b"\x00" * 32, type_=sa.LargeBinary()))
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(GUARD_FUNCTION)
        op.execute(
            "CREATE TRIGGER casemgr_audit_head_guard BEFORE UPDATE OR DELETE ON audit_head "
            "FOR EACH ROW EXECUTE FUNCTION casemgr_audit_head_guard()"
        )
        op.execute(
            "CREATE TRIGGER casemgr_audit_head_no_truncate BEFORE TRUNCATE ON audit_head "
            "FOR EACH STATEMENT EXECUTE FUNCTION casemgr_audit_head_guard()"
        )
        op.execute("REVOKE DELETE, TRUNCATE ON audit_head FROM PUBLIC")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS casemgr_audit_head_no_truncate ON audit_head")
        op.execute("DROP TRIGGER IF EXISTS casemgr_audit_head_guard ON audit_head")
        op.execute("DROP FUNCTION IF EXISTS casemgr_audit_head_guard()")
    op.drop_table(TABLE)
