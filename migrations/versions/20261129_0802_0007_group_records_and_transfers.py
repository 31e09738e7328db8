"""Group-specific records and transfers between units.

Reviewed by hand: enums stored by value (VARCHAR, no native type); encrypted values are
LargeBinary columns named *_enc (sealed under the case person's key, bound to table, column
and row); each record carries person_id for that key. case_transfers keeps every request with
the units and owners before and after; a partial unique index allows one open request per case
(same WHERE clause on SQLite and PostgreSQL). drug_programmes and no_contact_orders carry check
constraints on their date pairs. No data to migrate: the tables are new.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 08:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    referred = target.split(".")[0]
    return sa.ForeignKeyConstraint(
        [column], [target], name=op.f(f"fk_{table}_{column}_{referred}")
    )


def _enum(name: str, length: int, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=length)


def upgrade():
    op.create_table(
        "case_transfers",
        sa.Column("id", ID, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column(
            "status",
            _enum("transferstatus", 20, "requested", "accepted", "declined", "cancelled"),
            nullable=False,
        ),
        sa.Column("from_unit_id", ID, nullable=False),
        sa.Column("to_unit_id", ID, nullable=False),
        sa.Column("from_owner_id", ID, nullable=False),
        sa.Column("to_owner_id", ID, nullable=True),
        sa.Column("requested_by_id", ID, nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", ID, nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consent_overridden", sa.Boolean(), nullable=False),
        sa.Column("reason_enc", sa.LargeBinary(), nullable=True),
        sa.Column("override_reason_enc", sa.LargeBinary(), nullable=True),
        sa.Column("decline_reason_enc", sa.LargeBinary(), nullable=True),
        _fk("case_transfers", "case_id", "cases.id"),
        _fk("case_transfers", "person_id", "persons.id"),
        _fk("case_transfers", "from_unit_id", "units.id"),
        _fk("case_transfers", "to_unit_id", "units.id"),
        _fk("case_transfers", "from_owner_id", "users.id"),
        _fk("case_transfers", "to_owner_id", "users.id"),
        _fk("case_transfers", "requested_by_id", "users.id"),
        _fk("case_transfers", "decided_by_id", "users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_transfers")),
    )
    with op.batch_alter_table("case_transfers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_transfers_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_case_transfers_to_unit_id"), ["to_unit_id"], unique=False
        )
        batch_op.create_index(
            "uq_case_transfers_open_case_id",
            ["case_id"],
            unique=True,
            sqlite_where=sa.text("status = 'requested'"),
            postgresql_where=sa.text("status = 'requested'"),
        )

    op.create_table(
        "drug_programmes",
        sa.Column("id", ID, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column(
            "kind",
            _enum("drugprogrammekind", 20, "voluntary_rehab", "illegal_use", "post_rehab"),
            nullable=False,
        ),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("decision_on", sa.Date(), nullable=True),
        sa.Column("planned_months", sa.Integer(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("escalated_on", sa.Date(), nullable=True),
        sa.Column(
            "escalation_reason",
            _enum("escalationreason", 20, "not_registered", "quit", "relapse"),
            nullable=True,
        ),
        sa.Column("recorded_by_id", ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_break_glass", sa.Boolean(), nullable=False),
        sa.Column("note_enc", sa.LargeBinary(), nullable=True),
        sa.CheckConstraint(
            "planned_months IS NULL OR planned_months > 0",
            name=op.f("ck_drug_programmes_planned_months"),
        ),
        sa.CheckConstraint(
            "(escalated_on IS NULL) = (escalation_reason IS NULL)",
            name=op.f("ck_drug_programmes_escalation_reason"),
        ),
        _fk("drug_programmes", "case_id", "cases.id"),
        _fk("drug_programmes", "person_id", "persons.id"),
        _fk("drug_programmes", "recorded_by_id", "users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drug_programmes")),
    )
    with op.batch_alter_table("drug_programmes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_drug_programmes_case_id"), ["case_id"], unique=False)

    op.create_table(
        "drug_tests",
        sa.Column("id", ID, nullable=False),
        sa.Column("programme_id", ID, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("tested_on", sa.Date(), nullable=False),
        sa.Column(
            "result",
            _enum("drugtestresult", 10, "positive", "negative", "refused"),
            nullable=False,
        ),
        sa.Column("recorded_by_id", ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_break_glass", sa.Boolean(), nullable=False),
        _fk("drug_tests", "programme_id", "drug_programmes.id"),
        _fk("drug_tests", "case_id", "cases.id"),
        _fk("drug_tests", "recorded_by_id", "users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drug_tests")),
    )
    with op.batch_alter_table("drug_tests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_drug_tests_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_drug_tests_programme_id"), ["programme_id"], unique=False
        )

    op.create_table(
        "no_contact_orders",
        sa.Column("id", ID, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "decision", _enum("nocontactdecision", 10, "granted", "refused"), nullable=True
        ),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_by_id", ID, nullable=False),
        sa.Column("decision_recorded_by_id", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_break_glass", sa.Boolean(), nullable=False),
        sa.Column("details_enc", sa.LargeBinary(), nullable=True),
        sa.CheckConstraint(
            "(decision IS NULL) = (decided_at IS NULL)",
            name=op.f("ck_no_contact_orders_decided_at"),
        ),
        sa.CheckConstraint(
            "decision IS NULL OR decision = 'refused' OR "
            "(valid_from IS NOT NULL AND valid_until IS NOT NULL AND valid_until > valid_from)",
            name=op.f("ck_no_contact_orders_validity"),
        ),
        _fk("no_contact_orders", "case_id", "cases.id"),
        _fk("no_contact_orders", "person_id", "persons.id"),
        _fk("no_contact_orders", "recorded_by_id", "users.id"),
        _fk("no_contact_orders", "decision_recorded_by_id", "users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_no_contact_orders")),
    )
    with op.batch_alter_table("no_contact_orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_no_contact_orders_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_no_contact_orders_valid_until"), ["valid_until"], unique=False
        )


def downgrade():
    for table, indexes in (
        ("no_contact_orders", ("ix_no_contact_orders_valid_until", "ix_no_contact_orders_case_id")),
        ("drug_tests", ("ix_drug_tests_programme_id", "ix_drug_tests_case_id")),
        ("drug_programmes", ("ix_drug_programmes_case_id",)),
        (
            "case_transfers",
            (
                "uq_case_transfers_open_case_id",
                "ix_case_transfers_to_unit_id",
                "ix_case_transfers_case_id",
            ),
        ),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for index in indexes:
                batch_op.drop_index(batch_op.f(index) if index.startswith("ix_") else index)
        op.drop_table(table)
