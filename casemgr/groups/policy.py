"""Which cases hold which group records: pure predicates shared by services and templates."""

from __future__ import annotations

from casemgr.cases.closure import ClosureReason
from casemgr.cases.models import Case

# Children in group g (addicted to drugs) follow the drug programme too (Law 73/2021 covers
# minors from 12); no-contact orders protect children harmed by violence in the family.
DRUG_CHILD_SUB_GROUPS = frozenset({"g"})


def holds_drug_records(case: Case) -> bool:
    """Whether drug-programme records belong on this case."""
    if case.group_code == "drugs":
        return True
    return case.group_code == "child" and any(
        s.code in DRUG_CHILD_SUB_GROUPS for s in case.sub_groups
    )


def holds_no_contact_orders(case: Case) -> bool:
    """Whether no-contact orders belong on this case (violence survivors, children)."""
    return case.group_code in ("violence", "child")


def has_child_forms(case: Case) -> bool:
    """Whether the child-protection forms 01-06 (Decree 56/2017) apply."""
    return case.group_code == "child"


def closure_reasons(case: Case) -> list[ClosureReason]:
    """The reasons a closure of this case may give, in the order the form lists them: the drug
    programme's own (term completed, compulsory rehabilitation) on cases holding drug records,
    "turned 16" on children's cases, the others on every case."""
    fits = {
        ClosureReason.TERM_COMPLETED: holds_drug_records(case),
        ClosureReason.COMPULSORY_REHAB: holds_drug_records(case),
        ClosureReason.AGED_OUT: case.group_code == "child",
    }
    return [reason for reason in ClosureReason if fits.get(reason, True)]
