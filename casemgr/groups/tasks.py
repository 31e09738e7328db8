"""Deadline sources for the stored deadlines (casemgr/rules/deadlines.py): drug-programme
decisions and term ends, no-contact decisions and orders running out."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from casemgr.cases.models import Case
from casemgr.extensions import db
from casemgr.groups import dates
from casemgr.groups.models import DrugProgramme, DrugProgrammeKind, NoContactOrder
from casemgr.org.models import Unit
from casemgr.rules.deadlines import Due, due_by_end_of, register_deadline_source

DRUG_KINDS = {
    "drugs.commune_decision": _l("Commune decision on voluntary rehabilitation"),
    "drugs.programme_end": _l("Drug programme term ends"),
}
NO_CONTACT_KINDS = {
    "dv.no_contact.decision": _l("Decision on a no-contact order"),
    "dv.no_contact.expiry": _l("No-contact order ends: renew if still needed"),
}


@register_deadline_source(kinds=DRUG_KINDS, watches=(DrugProgramme,))
def drug_programme_deadlines(case_ids: list[int]) -> Iterable[Due]:
    """Voluntary registrations: the commune's decision within 3 working days; terms decided:
    their end, met by the completion certificate. An escalated enrolment has none (one query)."""
    statement = (
        select(DrugProgramme, Unit.path)
        .join(Case, Case.id == DrugProgramme.case_id)
        .join(Unit, Unit.id == Case.unit_id)
        .where(DrugProgramme.case_id.in_(case_ids), DrugProgramme.escalated_on.is_(None))
        .options(lazyload(DrugProgramme.tests))  # tests are not deadlines: one query, not two
    )
    for programme, path in db.session.execute(statement):
        computed = dates.programme_dates(programme, path)
        completed = due_by_end_of(programme.completed_on)
        if programme.kind == DrugProgrammeKind.VOLUNTARY_REHAB:
            yield Due(
                programme.case_id,
                "drugs.commune_decision",
                due_by_end_of(computed.decision_due),
                due_by_end_of(programme.decision_on) or completed,
                programme.id,
            )
        if computed.end is not None:
            yield Due(
                programme.case_id,
                "drugs.programme_end",
                due_by_end_of(computed.end),
                completed,
                programme.id,
            )


@register_deadline_source(kinds=NO_CONTACT_KINDS, watches=(NoContactOrder,))
def no_contact_deadlines(case_ids: list[int]) -> Iterable[Due]:
    """Requests: the chairperson's decision within 12 hours; granted orders: a reminder that
    lapses when the order ends on its own after at most 3 days (one query)."""
    statement = select(NoContactOrder).where(NoContactOrder.case_id.in_(case_ids))
    for order in db.session.scalars(statement):
        yield Due(
            order.case_id,
            "dv.no_contact.decision",
            dates.no_contact_decision_due(order),
            order.decided_at,
            order.id,
        )
        if order.decision is not None and order.valid_until is not None:
            yield Due(
                order.case_id,
                "dv.no_contact.expiry",
                order.valid_until,
                None,
                order.id,
                lapses=True,
            )
