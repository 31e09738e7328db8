"""Field encryption: key checks, data keys, blind-index entries, persons, attachments, erasure.

Written and reviewed by hand: enums are VARCHARs by value (no native types, so the same schema
on SQLite and PostgreSQL); ciphertexts are LargeBinary (bytea / BLOB); persons and the rows
sealed under their keys get their ids before insert, from the serial sequence on PostgreSQL
(see casemgr/crypto/ids.py), so the id columns stay ordinary serial / rowid columns.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 07:21:00

"""

from alembic import op
import sqlalchemy as sa


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "key_checks",
        sa.Column("key_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("check_mac", sa.LargeBinary(length=32), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_key_checks")),
    )

    op.create_table(
        "persons",
        sa.Column("id", BigId, nullable=False),
        sa.Column(
            "sex",
            sa.Enum("male", "female", "unknown", name="sex", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("birth_year", sa.SmallInteger(), nullable=True),
        sa.Column("area_id", BigId, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("surname_enc", sa.LargeBinary(), nullable=True),
        sa.Column("middle_name_enc", sa.LargeBinary(), nullable=True),
        sa.Column("given_name_enc", sa.LargeBinary(), nullable=True),
        sa.Column("national_id_enc", sa.LargeBinary(), nullable=True),
        sa.Column("phone_enc", sa.LargeBinary(), nullable=True),
        sa.Column("street_address_enc", sa.LargeBinary(), nullable=True),
        sa.Column("note_enc", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_persons_area_id_areas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
    )
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_persons_area_id"), ["area_id"], unique=False)

    op.create_table(
        "data_keys",
        sa.Column("id", BigId, nullable=False),
        sa.Column("person_id", BigId, nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(length=60), nullable=True),
        sa.Column("master_key_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_data_keys_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_keys")),
        sa.UniqueConstraint("person_id", name=op.f("uq_data_keys_person_id")),
    )
    with op.batch_alter_table("data_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_data_keys_master_key_id"), ["master_key_id"], unique=False
        )

    op.create_table(
        "blind_index_entries",
        sa.Column("id", BigId, nullable=False),
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("row_id", BigId, nullable=False),
        sa.Column("index_name", sa.String(length=40), nullable=False),
        sa.Column("key_id", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blind_index_entries")),
    )
    with op.batch_alter_table("blind_index_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_blind_index_entries_lookup",
            ["index_name", "key_id", "value", "row_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_blind_index_entries_row", ["table_name", "row_id"], unique=False
        )

    op.create_table(
        "index_jobs",
        sa.Column("key_id", sa.String(length=40), nullable=False),
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("last_row_id", BigId, nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key_id", "table_name", name=op.f("pk_index_jobs")),
    )

    op.create_table(
        "attachments",
        sa.Column("id", BigId, nullable=False),
        sa.Column("person_id", BigId, nullable=False),
        sa.Column("case_id", BigId, nullable=True),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_by_id", BigId, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filename_enc", sa.LargeBinary(), nullable=True),
        sa.Column("content_enc", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_attachments_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_attachments_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachments_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_attachments_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "erasure_requests",
        sa.Column("id", BigId, nullable=False),
        sa.Column("person_id", BigId, nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "subject_request",
                "consent_withdrawn",
                "entered_in_error",
                "legal_order",
                "retention_expired",
                name="erasurereason",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "confirmed",
                "cancelled",
                name="erasurestatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("requested_by_id", BigId, nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", BigId, nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "decided_by_id IS NULL OR decided_by_id <> requested_by_id",
            name=op.f("ck_erasure_requests_four_eyes"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_erasure_requests_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_erasure_requests_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_erasure_requests_requested_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_requests")),
    )
    with op.batch_alter_table("erasure_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_erasure_requests_person_id"), ["person_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("erasure_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_erasure_requests_person_id"))
    op.drop_table("erasure_requests")
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachments_person_id"))
        batch_op.drop_index(batch_op.f("ix_attachments_case_id"))
    op.drop_table("attachments")
    op.drop_table("index_jobs")
    with op.batch_alter_table("blind_index_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_blind_index_entries_row")
        batch_op.drop_index("ix_blind_index_entries_lookup")
    op.drop_table("blind_index_entries")
    with op.batch_alter_table("data_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_keys_master_key_id"))
    op.drop_table("data_keys")
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_persons_area_id"))
    op.drop_table("persons")
    op.drop_table("key_checks")
