"""Service catalogue, trafficking status history, services delivered, service points, referrals.

Reviewed by hand: enums stored by value as checked VARCHARs; *_enc columns of
trafficking_statuses, service_deliveries and referrals are sealed under the case person's data
key (casemgr.crypto.fields); service_points.address_enc and contact_enc are sealed under a key
derived for that purpose (casemgr.support.sealing), bound to table, column and row. Status rows
are only ever added (history); a status's location is set exactly while being identified.
The catalogue's rows are seed data loaded by `flask casemgr init`, not by this migration.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 08:01:00

"""

from alembic import op
import sqlalchemy as sa


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _enum(name, *values, length):
    return sa.Enum(*values, name=name, native_enum=False, length=length)


def _fk(table, column, target):
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade():
    op.create_table(
        "service_types",
        sa.Column("id", ID, nullable=False),
        sa.Column("group_code", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("name_vi", sa.String(length=300), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_code"],
            ["target_groups.code"],
            name=op.f("fk_service_types_group_code_target_groups"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_types")),
        sa.UniqueConstraint("group_code", "code", name=op.f("uq_service_types_group_code_code")),
    )
    op.create_index(op.f("ix_service_types_group_code"), "service_types", ["group_code"])

    op.create_table(
        "service_points",
        sa.Column("id", ID, nullable=False),
        sa.Column(
            "kind",
            _enum(
                "servicepointkind",
                "shelter",
                "social_protection_centre",
                "health_facility",
                "legal_aid_centre",
                "police",
                "school",
                "vocational_training",
                "ngo",
                "reliable_address",
                "other",
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("area_id", ID, nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("address_enc", sa.LargeBinary(), nullable=True),
        sa.Column("contact_enc", sa.LargeBinary(), nullable=True),
        _fk("service_points", "area_id", "areas"),
        _fk("service_points", "created_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_points")),
    )
    op.create_index(op.f("ix_service_points_area_id"), "service_points", ["area_id"])
    op.create_index(op.f("ix_service_points_kind"), "service_points", ["kind"])

    op.create_table(
        "trafficking_statuses",
        sa.Column("id", ID, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column(
            "status",
            _enum(
                "victimstatus",
                "being_identified",
                "identified",
                "accompanying_minor",
                "foreign_victim",
                length=30,
            ),
            nullable=False,
        ),
        sa.Column(
            "location", _enum("location", "in_viet_nam", "abroad", length=20), nullable=True
        ),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column(
            "decided_by",
            _enum(
                "decidingauthority",
                "police",
                "border_guard",
                "coast_guard",
                "commune_committee",
                "mission_abroad",
                "other",
                length=30,
            ),
            nullable=True,
        ),
        sa.Column("recorded_by_id", ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_break_glass", sa.Boolean(), nullable=False),
        sa.Column("decision_ref_enc", sa.LargeBinary(), nullable=True),
        sa.Column("note_enc", sa.LargeBinary(), nullable=True),
        sa.CheckConstraint(
            "(status = 'being_identified' AND location IS NOT NULL)"
            " OR (status <> 'being_identified' AND location IS NULL)",
            name=op.f("ck_trafficking_statuses_location_only_while_being_identified"),
        ),
        _fk("trafficking_statuses", "case_id", "cases"),
        _fk("trafficking_statuses", "person_id", "persons"),
        _fk("trafficking_statuses", "recorded_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trafficking_statuses")),
    )
    op.create_index(op.f("ix_trafficking_statuses_case_id"), "trafficking_statuses", ["case_id"])

    op.create_table(
        "trafficking_status_documents",
        sa.Column("status_id", ID, nullable=False),
        sa.Column("attachment_id", ID, nullable=False),
        sa.Column("kind", _enum("documentkind", "decision", "evidence", length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["attachments.id"],
            name=op.f("fk_trafficking_status_documents_attachment_id_attachments"),
        ),
        sa.ForeignKeyConstraint(
            ["status_id"],
            ["trafficking_statuses.id"],
            name=op.f("fk_trafficking_status_documents_status_id_trafficking_statuses"),
        ),
        sa.PrimaryKeyConstraint(
            "status_id", "attachment_id", name=op.f("pk_trafficking_status_documents")
        ),
    )
    op.create_index(
        op.f("ix_trafficking_status_documents_attachment_id"),
        "trafficking_status_documents",
        ["attachment_id"],
    )

    op.create_table(
        "service_deliveries",
        sa.Column("id", ID, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("service_type_id", ID, nullable=False),
        sa.Column("partner_id", ID, nullable=True),
        sa.Column("delivered_on", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("amount_vnd", sa.BigInteger(), nullable=True),
        sa.Column("author_id", ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_break_glass", sa.Boolean(), nullable=False),
        sa.Column("provider_enc", sa.LargeBinary(), nullable=True),
        sa.Column("note_enc", sa.LargeBinary(), nullable=True),
        sa.CheckConstraint(
            "amount_vnd IS NULL OR amount_vnd >= 0",
            name=op.f("ck_service_deliveries_amount_not_negative"),
        ),
        sa.CheckConstraint(
            "quantity IS NULL OR quantity > 0",
            name=op.f("ck_service_deliveries_quantity_positive"),
        ),
        _fk("service_deliveries", "author_id", "users"),
        _fk("service_deliveries", "case_id", "cases"),
        _fk("service_deliveries", "partner_id", "service_points"),
        _fk("service_deliveries", "person_id", "persons"),
        _fk("service_deliveries", "service_type_id", "service_types"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_deliveries")),
    )
    op.create_index(op.f("ix_service_deliveries_case_id"), "service_deliveries", ["case_id"])
    op.create_index(
        op.f("ix_service_deliveries_delivered_on"), "service_deliveries", ["delivered_on"]
    )
    op.create_index(
        op.f("ix_service_deliveries_service_type_id"), "service_deliveries", ["service_type_id"]
    )

    op.create_table(
        "referrals",
        sa.Column("id", ID, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("partner_id", ID, nullable=False),
        sa.Column("service_type_id", ID, nullable=False),
        sa.Column(
            "status",
            _enum("referralstatus", "sent", "accepted", "declined", "completed", length=20),
            nullable=False,
        ),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("answer_due_on", sa.Date(), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("sent_by_id", ID, nullable=False),
        sa.Column("answered_by_id", ID, nullable=True),
        sa.Column("completed_by_id", ID, nullable=True),
        sa.Column("consent_overridden", sa.Boolean(), nullable=False),
        sa.Column("override_by_id", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_break_glass", sa.Boolean(), nullable=False),
        sa.Column("reason_enc", sa.LargeBinary(), nullable=True),
        sa.Column("decline_reason_enc", sa.LargeBinary(), nullable=True),
        sa.Column("outcome_enc", sa.LargeBinary(), nullable=True),
        sa.Column("override_reason_enc", sa.LargeBinary(), nullable=True),
        _fk("referrals", "answered_by_id", "users"),
        _fk("referrals", "case_id", "cases"),
        _fk("referrals", "completed_by_id", "users"),
        _fk("referrals", "override_by_id", "users"),
        _fk("referrals", "partner_id", "service_points"),
        _fk("referrals", "person_id", "persons"),
        _fk("referrals", "sent_by_id", "users"),
        _fk("referrals", "service_type_id", "service_types"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    op.create_index(op.f("ix_referrals_case_id"), "referrals", ["case_id"])
    op.create_index(op.f("ix_referrals_partner_id"), "referrals", ["partner_id"])
    # Overdue lists: waiting referrals by their answer deadline.
    op.create_index("ix_referrals_status_answer_due_on", "referrals", ["status", "answer_due_on"])


def downgrade():
    op.drop_table("referrals")
    op.drop_table("service_deliveries")
    op.drop_table("trafficking_status_documents")
    op.drop_table("trafficking_statuses")
    op.drop_table("service_points")
    op.drop_table("service_types")
