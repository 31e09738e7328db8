"""Dated legal rules, Viet Nam's working-day calendar, stored deadlines and tasks.

Other packages use:
    from casemgr.rules import deadline, rule_in_force, is_working_day, add_working_days
    from casemgr.rules.deadlines import Due, register_deadline_source, overdue_clause
"""

from casemgr.clock import local_date
from casemgr.rules.calendar import add_working_days, is_working_day, working_days_between
from casemgr.rules.models import DatedRule, DurationUnit
from casemgr.rules.services import NoRuleInForce, deadline, rule_in_force

__all__ = [
    "DatedRule",
    "DurationUnit",
    "NoRuleInForce",
    "add_working_days",
    "deadline",
    "is_working_day",
    "local_date",
    "rule_in_force",
    "working_days_between",
]
