"""Closure reasons: the coded reasons a case closes with, their labels, and the age rule.

A closure request names one reason (stored plainly on the case and in its history, so that the
province can count people closed by reason without decrypting anything) besides the sealed
comment that says it in the worker's words. Which reasons fit which cases is a group rule:
casemgr.groups.policy.closure_reasons.
"""

from __future__ import annotations

import datetime as dt
import enum

from flask_babel import lazy_gettext as _l

from casemgr.web.validators import CHILD_AGE_LIMIT, age_on


class ClosureReason(enum.StrEnum):
    """Why a case closes (Decree 56/2017 step 8 for children: only when no longer at risk)."""

    GOALS_MET = "goals_met"  # the plan's goals met, the person safe and stable
    TERM_COMPLETED = "term_completed"  # drug programme: rehabilitation or management term done
    COMPULSORY_REHAB = "compulsory_rehab"  # drug programme: sent to compulsory rehabilitation
    AGED_OUT = "aged_out"  # a child who turned 16 (Law 102/2016): no longer in the child group
    MOVED_AWAY = "moved_away"  # left the province or Viet Nam (within it: a transfer instead)
    DIED = "died"
    DECLINED = "declined"  # declined further support or withdrew consent
    LOST_CONTACT = "lost_contact"  # not reached after the required attempts
    OTHER = "other"  # said in the comment


CLOSURE_REASON_LABELS = {
    ClosureReason.GOALS_MET: _l("Goals of the plan met: safe and no longer at risk"),
    ClosureReason.TERM_COMPLETED: _l("Completed the rehabilitation or management term"),
    ClosureReason.COMPULSORY_REHAB: _l("Sent to compulsory rehabilitation"),
    ClosureReason.AGED_OUT: _l("Turned 16: no longer in the child group"),
    ClosureReason.MOVED_AWAY: _l("Moved out of the province or left Viet Nam"),
    ClosureReason.DIED: _l("Died"),
    ClosureReason.DECLINED: _l("Declined further support or withdrew consent"),
    ClosureReason.LOST_CONTACT: _l("Lost contact after the required attempts"),
    ClosureReason.OTHER: _l("Other reason (say which in the comment)"),
}
# A case closed before reasons were recorded (migration 0030) has none: said so, never guessed.
NOT_RECORDED = _l("No reason recorded")

# The service's refusal codes (views and the API say them under the reason's field).
REASON_REQUIRED = "closure reason required"
REASON_NOT_FOR_CASE = "closure reason not for this case"
REASON_NOT_ASKED = "closure reason not asked"
NOT_YET_AGED_OUT = "not yet aged out"


def label(reason: str | None) -> str:
    """A stored reason's label in the user's language ("No reason recorded" for none)."""
    if reason is None:
        return str(NOT_RECORDED)
    try:
        return str(CLOSURE_REASON_LABELS[ClosureReason(reason)])
    except ValueError:  # a code this version does not know: shown as stored, never dropped
        return reason


def may_have_aged_out(
    date_of_birth: dt.date | None, birth_year: int | None, estimated: bool, day: dt.date
) -> bool:
    """Whether the person may have turned 16 by `day`: refused only when known not to have (an
    exact date of birth, or a birth year that is not an estimate, says they are younger)."""
    if date_of_birth is not None:
        return age_on(date_of_birth, None, day) >= CHILD_AGE_LIMIT
    if birth_year is not None and not estimated:
        return day.year - birth_year >= CHILD_AGE_LIMIT  # born on 1 January at the earliest
    return True
