"""A referral on the demo province, so that the walk and the accessibility test reach its letter."""

from __future__ import annotations

from sqlalchemy import select

from casemgr import clock
from casemgr.auth.models import User
from casemgr.cases.models import Case
from casemgr.cases.policy import case_access
from casemgr.clock import utcnow
from casemgr.extensions import db
from casemgr.support import queries, referrals
from casemgr.support.catalogue import load_service_catalogue
from casemgr.support.models import Referral, ServiceType


def send_demo_referral(username: str) -> Referral:
    """One referral from the first of the user's demo cases they may still change."""
    worker = db.session.scalar(select(User).where(User.username == username))
    if not db.session.scalar(select(ServiceType.id).limit(1)):
        load_service_catalogue()  # a served demo loads no catalogue of its own
    today = clock.today()
    for case in db.session.scalars(
        select(Case).where(Case.owner_id == worker.id).order_by(Case.id)
    ):
        access = case_access(worker, case, None, utcnow())
        offered = queries.offered_services(case, today)
        if access.can_write and offered and not queries.missing_referral_consents(case, today):
            return referrals.send_referral(
                worker,
                case,
                access,
                partner=queries.partners(case.group_code)[0],
                service_type=offered[0],
                reason="[DEMO] Cần hỗ trợ.",
                sent_on=today,
            )
    raise LookupError(f"no demo case of {username} can be referred")
