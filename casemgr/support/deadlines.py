"""When a partner's answer to a referral is due, and unanswered referrals as tasks.

The answer period is the dated rule `referral.answer` (5 working days as seeded; supervisors
add versions on the rules pages), counted on Viet Nam's working-day calendar with the
sending unit's local days off. Without any version in force, the setting
REFERRAL_ANSWER_WORKING_DAYS is used on the same calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from casemgr.auth.models import User
from casemgr.cases.models import Case
from casemgr.clock import end_of_local_day
from casemgr.extensions import db
from casemgr.rules import NoRuleInForce, add_working_days, deadline, local_date
from casemgr.rules.tasks import Task, register_deadline_source
from casemgr.support.models import Referral, ReferralStatus

RULE_KEY = "referral.answer"
DEFAULT_WORKING_DAYS = 5
TASK_KIND = "referral.answer"


def referral_answer_due(sent_on: dt.date, unit_path: str | None = None) -> dt.date:
    """The last day on which the partner's answer is on time, by the rule in force on the
    day the referral was sent (a later version does not move it)."""
    # Noon local time: any moment of the day gives the same local date and working days.
    start = end_of_local_day(sent_on) - dt.timedelta(hours=12)
    try:
        return local_date(deadline(RULE_KEY, start, on=sent_on, unit_path=unit_path))
    except NoRuleInForce:
        days = int(current_app.config.get("REFERRAL_ANSWER_WORKING_DAYS", DEFAULT_WORKING_DAYS))
        return add_working_days(sent_on, days, unit_path=unit_path)


@register_deadline_source
def referral_answers(user: User, now: dt.datetime, case_ids: Select) -> Iterable[Task]:
    """Referrals of the cases in scope still waiting for the partner's answer (one query)."""
    statement = (
        select(Referral.case_id, Case.number, Referral.answer_due_on)
        .join(Case, Case.id == Referral.case_id)
        .where(Referral.case_id.in_(case_ids), Referral.status == ReferralStatus.SENT)
    )
    for case_id, number, due_on in db.session.execute(statement):
        yield Task(case_id, number, TASK_KIND, end_of_local_day(due_on), _l("Referral answer"))
