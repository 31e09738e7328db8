"""Intervention models, the areas they serve, enrolments, activities, monitoring visits and
yearly targets.

Reviewed by hand: enums stored by value as checked VARCHARs; no column holds personal data
(activities keep attendance as three counts by sex, no names and no case or person links;
enrolments link a case by id only); actuals are never stored, they are computed from
enrolments, services delivered, activities and visits.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 08:30:00

"""

from alembic import op
import sqlalchemy as sa


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _enum(name, *values, length):
    return sa.Enum(*values, name=name, native_enum=False, length=length)


def _fk(table, column, target, key="id"):
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.{key}"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade():
    op.create_table(
        "intervention_models",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("group_code", sa.String(length=20), nullable=False),
        sa.Column("unit_id", ID, nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_by_id", ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "ends_on IS NULL OR ends_on >= starts_on",
            name=op.f("ck_intervention_models_dates_in_order"),
        ),
        _fk("intervention_models", "group_code", "target_groups", "code"),
        _fk("intervention_models", "unit_id", "units"),
        _fk("intervention_models", "created_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intervention_models")),
    )
    op.create_index(
        op.f("ix_intervention_models_group_code"), "intervention_models", ["group_code"]
    )
    op.create_index(op.f("ix_intervention_models_unit_id"), "intervention_models", ["unit_id"])

    op.create_table(
        "intervention_model_areas",
        sa.Column("model_id", ID, nullable=False),
        sa.Column("area_id", ID, nullable=False),
        _fk("intervention_model_areas", "model_id", "intervention_models"),
        _fk("intervention_model_areas", "area_id", "areas"),
        sa.PrimaryKeyConstraint("model_id", "area_id", name=op.f("pk_intervention_model_areas")),
    )

    op.create_table(
        "enrolments",
        sa.Column("id", ID, nullable=False),
        sa.Column("model_id", ID, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("enrolled_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("enrolled_by_id", ID, nullable=False),
        sa.Column("left_by_id", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "left_on IS NULL OR left_on >= enrolled_on", name=op.f("ck_enrolments_dates_in_order")
        ),
        _fk("enrolments", "model_id", "intervention_models"),
        _fk("enrolments", "case_id", "cases"),
        _fk("enrolments", "enrolled_by_id", "users"),
        _fk("enrolments", "left_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolments")),
    )
    op.create_index(op.f("ix_enrolments_model_id"), "enrolments", ["model_id"])
    op.create_index(op.f("ix_enrolments_case_id"), "enrolments", ["case_id"])

    op.create_table(
        "programme_activities",
        sa.Column("id", ID, nullable=False),
        sa.Column("model_id", ID, nullable=False),
        sa.Column(
            "kind",
            _enum("activitykind", "community_session", "staff_training", length=30),
            nullable=False,
        ),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("area_id", ID, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("men", sa.Integer(), nullable=False),
        sa.Column("women", sa.Integer(), nullable=False),
        sa.Column("unspecified", sa.Integer(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("recorded_by_id", ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "men >= 0 AND women >= 0 AND unspecified >= 0",
            name=op.f("ck_programme_activities_counts"),
        ),
        sa.CheckConstraint("duration_minutes > 0", name=op.f("ck_programme_activities_duration")),
        _fk("programme_activities", "model_id", "intervention_models"),
        _fk("programme_activities", "area_id", "areas"),
        _fk("programme_activities", "recorded_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_activities")),
    )
    op.create_index(op.f("ix_programme_activities_model_id"), "programme_activities", ["model_id"])
    op.create_index(op.f("ix_programme_activities_held_on"), "programme_activities", ["held_on"])

    op.create_table(
        "monitoring_visits",
        sa.Column("id", ID, nullable=False),
        sa.Column("model_id", ID, nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("unit_id", ID, nullable=False),
        sa.Column(
            "finding",
            _enum(
                "finding",
                "satisfactory",
                "needs_improvement",
                "unsatisfactory",
                "not_operating",
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("recorded_by_id", ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("monitoring_visits", "model_id", "intervention_models"),
        _fk("monitoring_visits", "unit_id", "units"),
        _fk("monitoring_visits", "recorded_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_visits")),
    )
    op.create_index(op.f("ix_monitoring_visits_model_id"), "monitoring_visits", ["model_id"])
    op.create_index(op.f("ix_monitoring_visits_visited_on"), "monitoring_visits", ["visited_on"])

    op.create_table(
        "yearly_targets",
        sa.Column("id", ID, nullable=False),
        sa.Column("model_id", ID, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "indicator",
            _enum(
                "indicator",
                "persons_enrolled",
                "persons_assisted",
                "community_sessions",
                "session_participants",
                "staff_trained",
                "monitoring_visits",
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("target", sa.Integer(), nullable=False),
        sa.Column("set_by_id", ID, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("target >= 0", name=op.f("ck_yearly_targets_not_negative")),
        _fk("yearly_targets", "model_id", "intervention_models"),
        _fk("yearly_targets", "set_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_yearly_targets")),
        sa.UniqueConstraint(
            "model_id", "year", "indicator", name=op.f("uq_yearly_targets_model_id_year_indicator")
        ),
    )
    op.create_index(op.f("ix_yearly_targets_model_id"), "yearly_targets", ["model_id"])


def downgrade():
    op.drop_table("yearly_targets")
    op.drop_table("monitoring_visits")
    op.drop_table("programme_activities")
    op.drop_table("enrolments")
    op.drop_table("intervention_model_areas")
    op.drop_table("intervention_models")
