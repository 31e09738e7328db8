"""Reference data, persons' registration facts, relatives, consents, links, and cases.

Reviewed by hand: enums stored by value; encrypted values are LargeBinary columns named
*_enc (sealed by casemgr.crypto.fields, bound to table, column and row); cases.version and
persons.version are optimistic-locking counters; the new NOT NULL columns on persons get
server defaults so that existing rows migrate; attachments.case_id gains its foreign key.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 07:32:12.151681

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():

    op.create_table(
        "ethnicities",
        sa.Column("code", sa.String(length=4), nullable=False),
        sa.Column("name_vi", sa.String(length=300), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_ethnicities")),
    )
    op.create_table(
        "target_groups",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name_vi", sa.String(length=300), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_target_groups")),
    )
    op.create_table(
        "case_number_counters",
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_case_number_counters_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("unit_id", "year", name=op.f("pk_case_number_counters")),
    )
    op.create_table(
        "sub_groups",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("group_code", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name_vi", sa.String(length=300), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_code"],
            ["target_groups.code"],
            name=op.f("fk_sub_groups_group_code_target_groups"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sub_groups")),
        sa.UniqueConstraint("group_code", "code", name=op.f("uq_sub_groups_group_code_code")),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("group_code", sa.String(length=20), nullable=False),
        sa.Column(
            "protection_level",
            sa.Enum(
                "prevention",
                "support",
                "intervention",
                name="protectionlevel",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "risk_level",
            sa.Enum(
                "unknown", "low", "medium", "high", name="risklevel", native_enum=False, length=10
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "intake",
                "verification",
                "initial_assessment",
                "detailed_assessment",
                "plan_drafted",
                "plan_approved",
                "implementation",
                "review",
                "closure_requested",
                "closed",
                name="status",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "submitted_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("plan_cycle", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("summary_enc", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_code"], ["target_groups.code"], name=op.f("fk_cases_group_code_target_groups")
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_cases_owner_id_users")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_cases_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"], ["users.id"], name=op.f("fk_cases_submitted_by_id_users")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_cases_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("number", name=op.f("uq_cases_number")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_group_code"), ["group_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "person_links",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "same_as_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "linked_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("person_id < same_as_id", name=op.f("ck_person_links_ordered")),
        sa.ForeignKeyConstraint(
            ["linked_by_id"], ["users.id"], name=op.f("fk_person_links_linked_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_person_links_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["same_as_id"], ["persons.id"], name=op.f("fk_person_links_same_as_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_links")),
        sa.UniqueConstraint(
            "person_id", "same_as_id", name=op.f("uq_person_links_person_id_same_as_id")
        ),
    )
    with op.batch_alter_table("person_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_links_person_id"), ["person_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_person_links_same_as_id"), ["same_as_id"], unique=False
        )

    op.create_table(
        "relatives",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "relationship_kind",
            sa.Enum(
                "mother",
                "father",
                "grandparent",
                "sibling",
                "spouse",
                "legal_guardian",
                "foster_carer",
                "other",
                name="relationship",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("is_guardian", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name_enc", sa.LargeBinary(), nullable=True),
        sa.Column("phone_enc", sa.LargeBinary(), nullable=True),
        sa.Column("note_enc", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_relatives_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relatives")),
    )
    with op.batch_alter_table("relatives", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_relatives_person_id"), ["person_id"], unique=False)

    op.create_table(
        "assessments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "initial", "detailed", "review", name="assessmentkind", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column(
            "risk_rating",
            sa.Enum(
                "unknown", "low", "medium", "high", name="risklevel", native_enum=False, length=10
            ),
            nullable=False,
        ),
        sa.Column(
            "author_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answers_enc", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_assessments_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_assessments_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_assessments_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
    )
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessments_case_id"), ["case_id"], unique=False)

    op.create_table(
        "break_glass_grants",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "reason_type",
            sa.Enum(
                "emergency",
                "covering",
                "referral",
                name="breakglassreason",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "reviewed_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_outcome", sa.String(length=20), nullable=True),
        sa.Column("reason_enc", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_break_glass_grants_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_break_glass_grants_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["users.id"],
            name=op.f("fk_break_glass_grants_reviewed_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_break_glass_grants_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_break_glass_grants")),
    )
    with op.batch_alter_table("break_glass_grants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_break_glass_grants_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_break_glass_grants_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "case_notes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "visit",
                "meeting",
                "phone",
                "case_conference",
                "other",
                name="notekind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column(
            "author_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_break_glass", sa.Boolean(), nullable=False),
        sa.Column("body_enc", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_case_notes_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_notes_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_case_notes_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_notes")),
    )
    with op.batch_alter_table("case_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_notes_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_sub_groups",
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "sub_group_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_sub_groups_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["sub_group_id"],
            ["sub_groups.id"],
            name=op.f("fk_case_sub_groups_sub_group_id_sub_groups"),
        ),
        sa.PrimaryKeyConstraint("case_id", "sub_group_id", name=op.f("pk_case_sub_groups")),
    )
    op.create_table(
        "case_transitions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("transition", sa.String(length=40), nullable=False),
        sa.Column("from_status", sa.String(length=30), nullable=False),
        sa.Column("to_status", sa.String(length=30), nullable=False),
        sa.Column("actor_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_break_glass", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_case_transitions_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_transitions_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_transitions")),
    )
    with op.batch_alter_table("case_transitions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_transitions_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_workers",
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_workers_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_case_workers_user_id_users")
        ),
        sa.PrimaryKeyConstraint("case_id", "user_id", name=op.f("pk_case_workers")),
    )
    with op.batch_alter_table("case_workers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_workers_user_id"), ["user_id"], unique=False)

    op.create_table(
        "consents",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "scope",
            sa.Enum(
                "case_work",
                "referral",
                "transfer",
                name="consentscope",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "given_by",
            sa.Enum("subject", "guardian", name="consentgiver", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column(
            "relative_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column(
            "recorded_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_consents_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_consents_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["relative_id"], ["relatives.id"], name=op.f("fk_consents_relative_id_relatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consents_person_id"), ["person_id"], unique=False)

    op.create_table(
        "plan_actions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("plan_cycle", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column(
            "author_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("goal_enc", sa.LargeBinary(), nullable=True),
        sa.Column("action_enc", sa.LargeBinary(), nullable=True),
        sa.Column("responsible_enc", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_plan_actions_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_plan_actions_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_plan_actions_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_actions")),
    )
    with op.batch_alter_table("plan_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_actions_case_id"), ["case_id"], unique=False)

    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_attachments_case_id_cases"), "cases", ["case_id"], ["id"]
        )

    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "birth_year_is_estimated", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.add_column(sa.Column("ethnicity_code", sa.String(length=4), nullable=True))
        batch_op.add_column(
            sa.Column("is_pseudonymous", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column(
                "registered_unit_id",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column(
                "registered_by_id",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("date_of_birth_enc", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("uic_enc", sa.LargeBinary(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_persons_registered_unit_id"), ["registered_unit_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_persons_registered_by_id_users"), "users", ["registered_by_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_persons_ethnicity_code_ethnicities"),
            "ethnicities",
            ["ethnicity_code"],
            ["code"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_persons_registered_unit_id_units"),
            "units",
            ["registered_unit_id"],
            ["id"],
        )


def downgrade():

    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_persons_registered_unit_id_units"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_persons_ethnicity_code_ethnicities"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_persons_registered_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_persons_registered_unit_id"))
        batch_op.drop_column("uic_enc")
        batch_op.drop_column("date_of_birth_enc")
        batch_op.drop_column("version")
        batch_op.drop_column("registered_by_id")
        batch_op.drop_column("registered_unit_id")
        batch_op.drop_column("is_pseudonymous")
        batch_op.drop_column("ethnicity_code")
        batch_op.drop_column("birth_year_is_estimated")

    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_attachments_case_id_cases"), type_="foreignkey")

    with op.batch_alter_table("plan_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_actions_case_id"))

    op.drop_table("plan_actions")
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consents_person_id"))

    op.drop_table("consents")
    with op.batch_alter_table("case_workers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_workers_user_id"))

    op.drop_table("case_workers")
    with op.batch_alter_table("case_transitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_transitions_case_id"))

    op.drop_table("case_transitions")
    op.drop_table("case_sub_groups")
    with op.batch_alter_table("case_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_notes_case_id"))

    op.drop_table("case_notes")
    with op.batch_alter_table("break_glass_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_break_glass_grants_user_id"))
        batch_op.drop_index(batch_op.f("ix_break_glass_grants_case_id"))

    op.drop_table("break_glass_grants")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessments_case_id"))

    op.drop_table("assessments")
    with op.batch_alter_table("relatives", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_relatives_person_id"))

    op.drop_table("relatives")
    with op.batch_alter_table("person_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_links_same_as_id"))
        batch_op.drop_index(batch_op.f("ix_person_links_person_id"))

    op.drop_table("person_links")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_unit_id"))
        batch_op.drop_index(batch_op.f("ix_cases_status"))
        batch_op.drop_index(batch_op.f("ix_cases_person_id"))
        batch_op.drop_index(batch_op.f("ix_cases_owner_id"))
        batch_op.drop_index(batch_op.f("ix_cases_group_code"))

    op.drop_table("cases")
    op.drop_table("sub_groups")
    op.drop_table("case_number_counters")
    op.drop_table("target_groups")
    op.drop_table("ethnicities")
