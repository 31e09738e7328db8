"""Deadline sources for "My tasks" and the overdue lists: drug-programme decisions and term
ends, no-contact decisions and orders running out (registered with casemgr.rules.tasks)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import lazyload

from casemgr.auth.models import User
from casemgr.cases.models import Case
from casemgr.clock import end_of_local_day
from casemgr.extensions import db
from casemgr.groups import dates
from casemgr.groups.models import DrugProgramme, DrugProgrammeKind, NoContactOrder
from casemgr.org.models import Unit
from casemgr.rules.tasks import Task, register_deadline_source


def _programmes(case_ids: Select) -> Select:
    return (
        select(DrugProgramme, Case.number, Unit.path)
        .join(Case, Case.id == DrugProgramme.case_id)
        .join(Unit, Unit.id == Case.unit_id)
        .where(
            DrugProgramme.case_id.in_(case_ids),
            DrugProgramme.completed_on.is_(None),
            DrugProgramme.escalated_on.is_(None),
        )
        .options(lazyload(DrugProgramme.tests))  # tests are not deadlines: one query, not two
    )


@register_deadline_source
def drug_programme_deadlines(user: User, now: dt.datetime, case_ids: Select) -> Iterable[Task]:
    """Voluntary registrations awaiting the commune's decision (3 working days), and terms
    under way until their end (one query)."""
    for programme, number, path in db.session.execute(_programmes(case_ids)):
        computed = dates.programme_dates(programme, path)
        if programme.decision_on is None:
            if programme.kind == DrugProgrammeKind.VOLUNTARY_REHAB:
                yield Task(
                    programme.case_id,
                    number,
                    "drugs.commune_decision",
                    end_of_local_day(computed.decision_due),
                    _l("Commune decision on voluntary rehabilitation"),
                )
        elif computed.end is not None:
            yield Task(
                programme.case_id,
                number,
                "drugs.programme_end",
                end_of_local_day(computed.end),
                _l("Drug programme term ends"),
            )


@register_deadline_source
def no_contact_deadlines(user: User, now: dt.datetime, case_ids: Select) -> Iterable[Task]:
    """Requests still undecided (12 hours) and granted orders still in force, which end on
    their own after at most 3 days (one query)."""
    statement = (
        select(NoContactOrder, Case.number)
        .join(Case, Case.id == NoContactOrder.case_id)
        .where(
            NoContactOrder.case_id.in_(case_ids),
            NoContactOrder.decision.is_(None) | (NoContactOrder.valid_until > now),
        )
    )
    for order, number in db.session.execute(statement):
        if order.decision is None:
            yield Task(
                order.case_id,
                number,
                "dv.no_contact.decision",
                dates.no_contact_decision_due(order),
                _l("Decision on a no-contact order"),
            )
        else:
            yield Task(
                order.case_id,
                number,
                "dv.no_contact.expiry",
                order.valid_until,
                _l("No-contact order ends: renew if still needed"),
            )
