"""Audit trail: append-only enforcement on PostgreSQL, archive anchors, alerts.

Written by hand. On PostgreSQL:
- a trigger refuses UPDATE, DELETE and TRUNCATE on audit_events and audit_anchors, for every
  role including superusers (who can only get round it by disabling triggers, which the
  chain and the signed checkpoints then expose);
- the one exception is casemgr_audit_archive(), a SECURITY DEFINER function owned by the
  schema owner: it records a signed anchor and deletes the events up to it. The trigger lets a
  DELETE through only when it runs as the table owner, inside that function (a transaction
  flag), and for rows at or before an anchor. EXECUTE is revoked from PUBLIC; the DBA grants
  it to a dedicated maintenance role (docs/audit.md);
- UPDATE, DELETE and TRUNCATE are revoked from PUBLIC on both tables (the app role's grants
  are in docs/audit.md: SELECT and INSERT only).
On SQLite the tables are created and nothing else (a file database has no roles).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 07:20:00

"""

from alembic import op
import sqlalchemy as sa


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

REFUSE_FUNCTION = """
CREATE FUNCTION casemgr_audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    table_owner name;
    anchor_seq bigint;
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_events'
       AND current_setting('casemgr.audit_purge', true) = 'on' THEN
        SELECT pg_get_userbyid(relowner) INTO table_owner FROM pg_class WHERE oid = TG_RELID;
        EXECUTE format('SELECT coalesce(max(seq), 0) FROM %I.audit_anchors', TG_TABLE_SCHEMA)
            INTO anchor_seq;
        IF current_user = table_owner AND OLD.seq <= anchor_seq THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'casemgr: % on % refused, the audit trail is append-only',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$
"""

ARCHIVE_FUNCTION = """
CREATE FUNCTION casemgr_audit_archive(
    p_seq bigint, p_mac bytea, p_first_seq bigint, p_archive_name varchar,
    p_archive_sha256 varchar, p_archived_at timestamptz, p_key_id varchar, p_signature bytea
) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
    removed bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM audit_events WHERE seq = p_seq AND mac = p_mac) THEN
        RAISE EXCEPTION 'casemgr: no event % with that MAC to anchor the archive on', p_seq;
    END IF;
    INSERT INTO audit_anchors (seq, mac, first_seq, archive_name, archive_sha256,
                               archived_at, key_id, signature)
    VALUES (p_seq, p_mac, p_first_seq, p_archive_name, p_archive_sha256,
            p_archived_at, p_key_id, p_signature);
    PERFORM set_config('casemgr.audit_purge', 'on', true);
    DELETE FROM audit_events WHERE seq <= p_seq;
    GET DIAGNOSTICS removed = ROW_COUNT;
    PERFORM set_config('casemgr.audit_purge', 'off', true);
    RETURN removed;
END
$$
"""

ARCHIVE_SIGNATURE = (
    "casemgr_audit_archive(bigint, bytea, bigint, varchar, varchar, timestamptz, varchar, bytea)"
)


def upgrade():
    op.create_table(
        "audit_anchors",
        sa.Column("seq", BigId, autoincrement=False, nullable=False),
        sa.Column("mac", sa.LargeBinary(length=32), nullable=False),
        sa.Column("first_seq", BigId, nullable=False),
        sa.Column("archive_name", sa.String(length=200), nullable=False),
        sa.Column("archive_sha256", sa.String(length=64), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_anchors")),
    )
    op.create_table(
        "audit_alerts",
        sa.Column("id", BigId, nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "volume",
                "off_hours",
                "denials",
                "integrity",
                "break_glass",
                name="alertkind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("open", "reviewed", name="alertstatus", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("actor_id", BigId, nullable=True),
        sa.Column("actor_name", sa.String(length=64), nullable=True),
        sa.Column("case_id", BigId, nullable=True),
        sa.Column("client_addr", sa.String(length=64), nullable=True),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("measure", sa.Integer(), nullable=True),
        sa.Column("first_seq", BigId, nullable=False),
        sa.Column("last_seq", BigId, nullable=False),
        sa.Column("code", sa.String(length=40), nullable=True),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by_id", BigId, nullable=True),
        sa.Column("reviewed_by_name", sa.String(length=64), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_comment", sa.String(length=1000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_alerts")),
        sa.UniqueConstraint("key", name=op.f("uq_audit_alerts_key")),
    )
    with op.batch_alter_table("audit_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_alerts_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(
            "ix_audit_alerts_status_detected", ["status", "detected_at"], unique=False
        )
    op.create_table(
        "audit_alert_scan_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", BigId, nullable=False),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_alert_scan_state")),
    )

    if op.get_bind().dialect.name != "postgresql":
        return
    schema = op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one()
    op.execute(REFUSE_FUNCTION)
    op.execute(ARCHIVE_FUNCTION.replace("{schema}", f'"{schema}"'))
    op.execute(f"REVOKE ALL ON FUNCTION {ARCHIVE_SIGNATURE} FROM PUBLIC")
    for table in ("audit_events", "audit_anchors"):
        op.execute(
            f"CREATE TRIGGER {table}_refuse_change BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION casemgr_audit_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_refuse_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION casemgr_audit_refuse_change()"
        )
        op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM PUBLIC")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in ("audit_events", "audit_anchors"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_refuse_truncate ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_refuse_change ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {ARCHIVE_SIGNATURE}")
        op.execute("DROP FUNCTION IF EXISTS casemgr_audit_refuse_change()")
    op.drop_table("audit_alert_scan_state")
    with op.batch_alter_table("audit_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_alerts_status_detected")
        batch_op.drop_index(batch_op.f("ix_audit_alerts_actor_id"))
    op.drop_table("audit_alerts")
    op.drop_table("audit_anchors")
