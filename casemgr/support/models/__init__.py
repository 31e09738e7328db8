"""Support models, split by aggregate: catalogue and deliveries, trafficking status, points,
referrals."""

from casemgr.support.models.catalogue import ServiceDelivery, ServiceType
from casemgr.support.models.points import ServicePoint, ServicePointGroup, ServicePointKind
from casemgr.support.models.referrals import Referral, ReferralStatus
from casemgr.support.models.trafficking import (
    DecidingAuthority,
    DocumentKind,
    Location,
    TraffickingStatus,
    TraffickingStatusDocument,
    VictimStatus,
)

__all__ = [
    "DecidingAuthority",
    "DocumentKind",
    "Location",
    "Referral",
    "ReferralStatus",
    "ServiceDelivery",
    "ServicePoint",
    "ServicePointGroup",
    "ServicePointKind",
    "ServiceType",
    "TraffickingStatus",
    "TraffickingStatusDocument",
    "VictimStatus",
]
