"""When a partner's answer to a referral is due, stored as a deadline of its case.

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
from sqlalchemy import select

from casemgr.clock import end_of_local_day
from casemgr.extensions import db
from casemgr.rules import NoRuleInForce, add_working_days, deadline, local_date
from casemgr.rules.deadlines import Due, due_by_end_of, register_deadline_source
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


@register_deadline_source(kinds={TASK_KIND: _l("Referral answer")}, watches=(Referral,))
def referral_answers(case_ids: list[int]) -> Iterable[Due]:
    """The partner's answer to each referral, due by the end of its day and met on the day it
    was recorded (one query). A referral closed without a recorded answer has none."""
    statement = select(
        Referral.id, Referral.case_id, Referral.status, Referral.answer_due_on, Referral.answered_on
    ).where(Referral.case_id.in_(case_ids))
    for referral_id, case_id, status, due_on, answered_on in db.session.execute(statement):
        if status != ReferralStatus.SENT and answered_on is None:
            continue
        yield Due(
            case_id, TASK_KIND, due_by_end_of(due_on), due_by_end_of(answered_on), referral_id
        )
