"""Who may manage service points and who may see where a confidential one is: pure predicates.

`covers_area` is whether one of the user's units (for a supervisor: their unit subtree) serves
the point's area; queries.covers_area computes it with the same SQL the lists use.
"""

from __future__ import annotations

from casemgr.auth.models import User
from casemgr.auth.roles import Action
from casemgr.cases.policy import CaseAccess
from casemgr.people.relations import ConsentGiver
from casemgr.support.models import Referral, ReferralStatus, ServicePoint
from casemgr.web.access import user_may


def manages_everywhere(user: User) -> bool:
    """Administrators keep the province's reference data, service points included."""
    return user_may(user, Action.MANAGE_REFERENCE_DATA)


def may_manage_point(user: User, covers_area: bool) -> bool:
    """Whether the user may add or change a service point of an area they (do not) cover."""
    if not user_may(user, Action.MANAGE_SERVICE_POINTS):
        return False
    return manages_everywhere(user) or covers_area


def may_see_location(user: User, point: ServicePoint, covers_area: bool) -> bool:
    """Whether the user may read the point's address and contact.

    Public facilities: anyone who may use the directory. A reliable address (DOMAIN.md §2.5):
    only the administrators and the workers and supervisors whose units serve its area.
    """
    if not user_may(user, Action.VIEW_SERVICE_POINTS):
        return False
    return not point.is_confidential or manages_everywhere(user) or covers_area


def letter_refusal(
    access: CaseAccess, referral: Referral, missing: set[ConsentGiver], person_erased: bool
) -> str | None:
    """Why the referral letter may not be printed (None when it may).

    A letter hands the person's name and birth date to the partner, so it needs what the
    referral itself needed: consent to referral in force on the day it is printed from
    everyone who must give it, or the override a supervisor recorded when sending it. A
    declined referral goes nowhere; an erased person has nothing left to share.
    """
    if not access.can_read:
        return "out of scope"
    if person_erased:
        return "person erased"
    if referral.status == ReferralStatus.DECLINED:
        return "declined"
    if missing and not referral.consent_overridden:
        return "consent missing"
    return None
