"""Fixtures for API tests: the support world (a trafficking case with a referral, a service and
a note) and tokens for its users."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from casemgr.cases import services as case_services
from casemgr.cases.models import Case, NoteKind
from casemgr.clock import today
from casemgr.people.relations import ConsentGiver
from casemgr.support import referrals
from casemgr.support import services as support_services
from casemgr.support.models import Referral
from casemgr.tokens.services import create_token
from tests.cases.conftest import Casework, casework  # noqa: F401
from tests.support.conftest import DAY, Support, consent, support  # noqa: F401
from tests.support.test_pages import _identified, _type


def token_for(user, scopes=("read", "write"), days: int = 30) -> str:
    """A new token's value for the user."""
    _token, value = create_token(
        user, name="test", scopes=list(scopes), expires_on=today() + dt.timedelta(days=days),
        today=today(),
    )  # fmt: skip
    return value


def bearer(value: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}", **headers}


@dataclass
class World:
    """The support world with one referral, one service delivered and one note on its case."""

    support: Support
    cw: Casework
    case: Case
    referral: Referral
    service_type_id: int
    partner_id: int


@pytest.fixture
def world(db, support) -> World:  # noqa: F811
    cw = support.cw
    case = support.case
    access = cw.access(cw.worker, case)
    _identified(support)
    consent(cw.worker, case, ConsentGiver.SUBJECT)
    service_type = _type(db, "b")
    referral = referrals.send_referral(
        cw.worker, case, access, partner=support.shelter, service_type=service_type,
        reason="Cần nơi ở an toàn", sent_on=DAY,
    )  # fmt: skip
    support_services.deliver_service(
        cw.worker, case, access, service_type=service_type, delivered_on=DAY,
        provider="Trung tâm CTXH", note="Đã hỗ trợ",
    )  # fmt: skip
    case_services.add_note(
        cw.worker, case, access, kind=NoteKind.VISIT, occurred_on=DAY, body="Thăm nhà."
    )
    db.session.commit()
    return World(support, cw, case, referral, service_type.id, support.shelter.id)
