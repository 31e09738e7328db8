"""Dated rules: the version in force on a date, deadlines from it, new versions, the seed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from casemgr.audit.models import AuditEvent
from casemgr.rules import DurationUnit, NoRuleInForce, deadline, rule_in_force, services
from casemgr.rules.models import DatedRule
from casemgr.rules.seed import RULE_LABELS, SEED_RULES
from tests.rules.conftest import local

D = dt.date


def test_every_seeded_rule_is_there_with_its_source(db):
    keys = set(db.session.scalars(select(DatedRule.key).distinct()))
    assert {seed.key for seed in SEED_RULES} <= keys
    assert set(RULE_LABELS) == {seed.key for seed in SEED_RULES}
    checked = {r.key for r in db.session.scalars(select(DatedRule).where(DatedRule.needs_check))}
    assert {"trafficking.police_verification", "drugs.post_rehab_management"} <= checked
    assert all(r.source for r in db.session.scalars(select(DatedRule)))


def test_seeding_again_adds_nothing(db):
    before = db.session.scalar(select(func.count()).select_from(DatedRule))
    assert services.seed_rules() == 0
    assert db.session.scalar(select(func.count()).select_from(DatedRule)) == before


@pytest.mark.parametrize(
    ("key", "on", "amount", "unit"),
    [
        ("child.emergency_action", D(2026, 1, 1), 12, DurationUnit.HOURS),
        ("child.plan_draft", D(2026, 1, 1), 5, DurationUnit.WORKING_DAYS),
        ("trafficking.essential_support", D(2026, 1, 1), 120, DurationUnit.DAYS),
        ("drugs.commune_decision", D(2026, 1, 1), 3, DurationUnit.WORKING_DAYS),
        ("drugs.compulsory_rehab.min", D(2026, 6, 30), 6, DurationUnit.MONTHS),
        ("drugs.compulsory_rehab.min", D(2026, 7, 1), 24, DurationUnit.MONTHS),
        ("drugs.compulsory_rehab.max", D(2026, 6, 30), 24, DurationUnit.MONTHS),
        ("drugs.compulsory_rehab.max", D(2026, 7, 1), 36, DurationUnit.MONTHS),
        ("dv.no_contact.validity", D(2026, 1, 1), 3, DurationUnit.DAYS),
        ("referral.answer", D(2026, 1, 1), 5, DurationUnit.WORKING_DAYS),
    ],
)
def test_rule_in_force(db, key, on, amount, unit):
    rule = rule_in_force(key, on)
    assert (rule.amount, rule.unit) == (amount, unit)


def test_no_version_before_the_first_or_for_an_unknown_key(db):
    with pytest.raises(NoRuleInForce, match=r"trafficking\.essential_support.*2025-06-30"):
        rule_in_force("trafficking.essential_support", D(2025, 6, 30))
    with pytest.raises(NoRuleInForce, match=r"no\.such"):
        rule_in_force("no.such", D(2026, 1, 1))
    with pytest.raises(TypeError):
        rule_in_force("child.plan_draft", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))


def test_a_drug_case_keeps_the_durations_of_the_day_it_was_opened(db):
    # Opened on 30 June 2026 (local): the old 6-24 months; on 1 July 2026: 24-36 months.
    before, after = local(2026, 6, 30, 9, 0), local(2026, 7, 1, 9, 0)
    assert deadline("drugs.compulsory_rehab.min", before) == local(2026, 12, 30, 9, 0)
    assert deadline("drugs.compulsory_rehab.max", before) == local(2028, 6, 30, 9, 0)
    assert deadline("drugs.compulsory_rehab.min", after) == local(2028, 7, 1, 9, 0)
    assert deadline("drugs.compulsory_rehab.max", after) == local(2029, 7, 1, 9, 0)
    # The switch follows the local date: 1 July 02:00 in Viet Nam is still 30 June in UTC.
    early = local(2026, 7, 1, 2, 0)
    assert early.date() == D(2026, 6, 30)
    assert deadline("drugs.compulsory_rehab.min", early) == local(2028, 7, 1, 2, 0)
    # `on` picks the version explicitly (e.g. the date of the court decision).
    assert deadline("drugs.compulsory_rehab.min", after, on=D(2026, 6, 30)) == local(
        2027, 1, 1, 9, 0
    )


def test_deadlines_in_each_unit(db):
    intake = local(2027, 2, 1, 9, 30)  # Monday before Tết 2027
    assert deadline("child.emergency_action", intake) == local(2027, 2, 1, 21, 30)
    # 5 working days: Tue 2, Wed 3, (Tết Thu 4 - Wed 10), Thu 11, Fri 12, Mon 15, end of day.
    assert deadline("child.plan_draft", intake) == local(2027, 2, 15, 23, 59, 59)
    assert deadline("trafficking.essential_support", intake) == local(2027, 6, 1, 9, 30)
    assert deadline("dv.no_contact.validity", intake) == local(2027, 2, 4, 9, 30)
    assert deadline("drugs.illegal_use_management", intake) == local(2028, 2, 1, 9, 30)
    # Months end on the month's last day when the start's day does not exist there.
    assert deadline("drugs.voluntary_rehab.min", local(2026, 8, 31, 8, 0)) == local(
        2027, 2, 28, 8, 0
    )
    # 3 working days from Thursday 29 April 2027: 30 April, 1 May (and its Monday) are off.
    assert deadline("drugs.commune_decision", local(2027, 4, 29, 15, 0)) == local(
        2027, 5, 6, 23, 59, 59
    )
    assert deadline("child.plan_draft", intake).tzinfo == dt.UTC


def test_a_new_version_applies_from_its_date_and_leaves_the_old_one(db, casework):
    sent = local(2027, 1, 4, 10, 0)  # a Monday
    assert deadline("referral.answer", sent) == local(2027, 1, 11, 23, 59, 59)
    old = rule_in_force("referral.answer", D(2027, 1, 4))
    rule = services.add_rule_version(
        casework.admin,
        key="referral.answer",
        valid_from=D(2027, 1, 5),
        amount=10,
        unit=DurationUnit.WORKING_DAYS,
        source="Provincial decision (synthetic)",
    )
    assert deadline("referral.answer", sent) == local(2027, 1, 11, 23, 59, 59)
    assert deadline("referral.answer", local(2027, 1, 5, 10, 0)) == local(2027, 1, 19, 23, 59, 59)
    assert (old.amount, old.valid_from) == (5, D(2017, 7, 1))
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "rule.add_version", AuditEvent.object_id == str(rule.id)
        )
    )
    assert event.actor_id == casework.admin.id
    assert "amount" in event.fields and "Provincial" not in (event.reason or "")


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"valid_from": D(2026, 7, 1)}, "not after the latest version"),
        ({"valid_from": D(2020, 1, 1)}, "not after the latest version"),
        ({"key": "no.such"}, "unknown rule"),
        ({"amount": 0}, "amount out of range"),
        ({"source": " "}, "source required"),
    ],
)
def test_versions_are_only_ever_added_after_the_latest(db, casework, changes, error):
    values = {
        "key": "drugs.compulsory_rehab.min",
        "valid_from": D(2030, 1, 1),
        "amount": 12,
        "unit": DurationUnit.MONTHS,
        "source": "Synthetic",
        **changes,
    }
    with pytest.raises(services.RuleError, match=error):
        services.add_rule_version(casework.admin, **values)


def test_naive_moments_are_refused(db):
    with pytest.raises(ValueError, match="naive"):
        deadline("child.plan_draft", dt.datetime(2027, 2, 1, 9, 0))


def test_a_rolled_back_version_is_forgotten(db, casework):
    sent = local(2031, 1, 6, 10, 0)
    before = deadline("referral.answer", sent)
    savepoint = db.session.begin_nested()
    services.add_rule_version(
        casework.admin,
        key="referral.answer",
        valid_from=D(2031, 1, 1),
        amount=20,
        unit=DurationUnit.WORKING_DAYS,
        source="Synthetic",
    )
    assert deadline("referral.answer", sent) > before
    savepoint.rollback()
    assert deadline("referral.answer", sent) == before
    assert rule_in_force("referral.answer", D(2031, 1, 6)).amount == 5
