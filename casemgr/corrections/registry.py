"""The correctable kinds of record: which model, which fields a correction may change, and
whether the record belongs to a case or to a person (which decides the policy check)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from casemgr.cases.models import CaseNote, PlanAction
from casemgr.groups.models import DrugTest
from casemgr.people.relations import Consent, Relative
from casemgr.support.models import ServiceDelivery


@dataclass(frozen=True)
class Kind:
    """One kind of correctable record."""

    name: str
    model: type
    fields: tuple[str, ...]
    on_case: bool  # a case record (policy: the case) or a person record (policy: the person)
    label: object


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("relative", Relative, ("relationship_kind", "name", "phone", "is_guardian"), False,
             _l("Relative")),
        Kind("consent", Consent, ("scope", "given_by", "relative_id", "given_on"), False,
             _l("Consent")),
        Kind("drug_test", DrugTest, ("tested_on", "result"), True, _l("Drug test")),
        Kind("service", ServiceDelivery,
             ("service_type_id", "delivered_on", "partner_id", "provider", "quantity",
              "amount_vnd", "note"), True, _l("Service delivered")),
        Kind("note", CaseNote, ("kind", "occurred_on", "body"), True, _l("Note")),
        Kind("plan_action", PlanAction, ("goal", "action", "responsible", "due_on"), True,
             _l("Plan action")),
    )
}  # fmt: skip

BY_MODEL: dict[type, Kind] = {kind.model: kind for kind in KINDS.values()}


def kind_of(record: object) -> Kind:
    """The registry entry of a record."""
    return BY_MODEL[type(record)]
