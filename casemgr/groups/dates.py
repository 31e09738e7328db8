"""Due and end dates of group records, computed from the dated rules (never stored)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from casemgr.groups import rulebook
from casemgr.groups.models import DrugProgramme, DrugProgrammeKind, NoContactOrder
from casemgr.rules import local_date

# How long each management form lasts from the commune's decision.
TERM_RULES = {
    DrugProgrammeKind.ILLEGAL_USE: "drugs.illegal_use_management",
    DrugProgrammeKind.POST_REHAB: "drugs.post_rehab_management",
}


@dataclass(frozen=True)
class Term:
    """A shortest and longest duration in months, and the date their rules apply from."""

    min_months: int
    max_months: int
    rules_from: dt.date


def _term(prefix: str, on: dt.date) -> Term:
    low, high = rulebook.rule(f"{prefix}.min", on), rulebook.rule(f"{prefix}.max", on)
    since = max(low.valid_from, high.valid_from)
    return Term(rulebook.months_of(low), rulebook.months_of(high), since)


def voluntary_term(registered_on: dt.date) -> Term:
    """The voluntary rehabilitation term allowed for a registration on that day."""
    return _term("drugs.voluntary_rehab", registered_on)


def compulsory_term(registered_on: dt.date) -> Term:
    """The compulsory rehabilitation term under the rules of the enrolment's time."""
    return _term("drugs.compulsory_rehab", registered_on)


@dataclass(frozen=True)
class ProgrammeDates:
    """What the page and the task lists show for one enrolment."""

    decision_due: dt.date | None  # voluntary rehabilitation: 3 working days
    end: dt.date | None  # planned end of the term, from the decision
    earliest_end: dt.date | None  # voluntary: the shortest term
    latest_end: dt.date | None  # voluntary: the longest term
    term: Term | None  # voluntary: the allowed range
    compulsory: Term | None  # after an escalation

    def decision_late(self, programme: DrugProgramme, today: dt.date) -> bool:
        """Whether the decision is still awaited after its due date, or came after it."""
        if self.decision_due is None:
            return False
        decided = programme.decision_on
        return (decided or today) > self.decision_due


def programme_dates(programme: DrugProgramme, unit_path: str | None = None) -> ProgrammeDates:
    """Decision due date and term end of an enrolment, by the rules of its registration date."""
    on = programme.registered_on
    decision_due = end = earliest = latest = term = None
    if programme.kind == DrugProgrammeKind.VOLUNTARY_REHAB:
        decision_due = rulebook.due_date(
            "drugs.commune_decision", programme.registered_on, on=on, unit_path=unit_path
        )
        term = voluntary_term(on)
        if programme.decision_on is not None:
            start = programme.decision_on
            earliest = rulebook.add_months(start, term.min_months)
            latest = rulebook.add_months(start, term.max_months)
            end = rulebook.add_months(start, programme.planned_months or term.max_months)
    elif programme.decision_on is not None:
        end = rulebook.due_date(TERM_RULES[programme.kind], programme.decision_on, on=on)
    compulsory = compulsory_term(on) if programme.escalated_on is not None else None
    return ProgrammeDates(decision_due, end, earliest, latest, term, compulsory)


def no_contact_decision_due(order: NoContactOrder) -> dt.datetime:
    """When the chairperson must have decided: 12 hours after the request (rule of its day)."""
    return rulebook.due_at(
        "dv.no_contact.decision", order.requested_at, on=local_date(order.requested_at)
    )


def no_contact_latest_end(order: NoContactOrder, valid_from: dt.datetime) -> dt.datetime:
    """The longest an order starting at `valid_from` may last (3 days each time)."""
    return rulebook.due_at("dv.no_contact.validity", valid_from, on=local_date(order.requested_at))
