"""The rules seeded at installation, from DOMAIN.md §2, with their sources and labels."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from flask_babel import lazy_gettext as _l

from casemgr.rules.models import DurationUnit as U


class SeedRule(NamedTuple):
    key: str
    valid_from: dt.date
    amount: int
    unit: U
    source: str
    needs_check: bool = False


D = dt.date
CHILD = "Decree 56/2017/ND-CP (Law on Children 102/2016/QH13), in force 1 July 2017"
TRAFFICKING = "Law 53/2024/QH15 and Decree 162/2025/ND-CP, in force 1 July 2025"
DRUGS = "Law 73/2021/QH14 with Decrees 105/2021 and 116/2021, in force 1 January 2022"
DRUGS_2026 = "Law 120/2025 amending the drug law, durations in force 1 July 2026"
VIOLENCE = "Law 13/2022/QH15 and Decree 76/2023/ND-CP, in force 1 July 2023"

SEED_RULES: tuple[SeedRule, ...] = (
    SeedRule("child.emergency_action", D(2017, 7, 1), 12, U.HOURS,
             f"{CHILD}, Art. 25: emergency action for a child at serious risk"),
    SeedRule("child.plan_draft", D(2017, 7, 1), 5, U.WORKING_DAYS,
             f"{CHILD}, Art. 26: case plan drafted (form 04)"),
    SeedRule("trafficking.essential_support", D(2025, 7, 1), 120, U.DAYS,
             f"{TRAFFICKING}: essential needs and shelter, extendable"),
    SeedRule("trafficking.police_verification", D(2025, 7, 1), 3, U.DAYS,
             f"{TRAFFICKING}: initial verification with the police", needs_check=True),
    SeedRule("drugs.commune_decision", D(2022, 1, 1), 3, U.WORKING_DAYS,
             f"{DRUGS}: commune chairperson decides on voluntary rehabilitation"),
    SeedRule("drugs.voluntary_rehab.min", D(2022, 1, 1), 6, U.MONTHS,
             f"{DRUGS}: voluntary rehabilitation at home or in the community"),
    SeedRule("drugs.voluntary_rehab.max", D(2022, 1, 1), 12, U.MONTHS,
             f"{DRUGS}: voluntary rehabilitation at home or in the community"),
    SeedRule("drugs.illegal_use_management", D(2022, 1, 1), 1, U.YEARS,
             f"{DRUGS}: management of illegal users, from the commune decision"),
    SeedRule("drugs.post_rehab_management", D(2022, 1, 1), 1, U.YEARS,
             f"{DRUGS}: post-rehabilitation management at the place of residence",
             needs_check=True),
    SeedRule("drugs.compulsory_rehab.min", D(2022, 1, 1), 6, U.MONTHS,
             f"{DRUGS}: compulsory rehabilitation term"),
    SeedRule("drugs.compulsory_rehab.min", D(2026, 7, 1), 24, U.MONTHS,
             f"{DRUGS_2026}: compulsory rehabilitation term"),
    SeedRule("drugs.compulsory_rehab.max", D(2022, 1, 1), 24, U.MONTHS,
             f"{DRUGS}: compulsory rehabilitation term"),
    SeedRule("drugs.compulsory_rehab.max", D(2026, 7, 1), 36, U.MONTHS,
             f"{DRUGS_2026}: compulsory rehabilitation term"),
    SeedRule("dv.no_contact.decision", D(2023, 7, 1), 12, U.HOURS,
             f"{VIOLENCE}: commune chairperson decides on a no-contact order"),
    SeedRule("dv.no_contact.validity", D(2023, 7, 1), 3, U.DAYS,
             f"{VIOLENCE}: a no-contact order lasts up to 3 days each time"),
    SeedRule("referral.answer", D(2017, 7, 1), 5, U.WORKING_DAYS,
             "casemgr default: a referral is overdue without an answer (configurable)"),
)  # fmt: skip

# The seeded sources are stored in English (a stable citation); pages show them in the user's
# language through this table. Sources typed by a supervisor for a new version are shown as
# typed. tests/rules checks that every seeded source has its entry here.
SOURCE_LABELS = {
    f"{CHILD}, Art. 25: emergency action for a child at serious risk": _l(
        "Decree 56/2017/ND-CP (Law on Children 102/2016/QH13), in force 1 July 2017, Art. 25: "
        "emergency action for a child at serious risk"
    ),
    f"{CHILD}, Art. 26: case plan drafted (form 04)": _l(
        "Decree 56/2017/ND-CP (Law on Children 102/2016/QH13), in force 1 July 2017, Art. 26: "
        "case plan drafted (form 04)"
    ),
    f"{TRAFFICKING}: essential needs and shelter, extendable": _l(
        "Law 53/2024/QH15 and Decree 162/2025/ND-CP, in force 1 July 2025: essential needs and "
        "shelter, extendable"
    ),
    f"{TRAFFICKING}: initial verification with the police": _l(
        "Law 53/2024/QH15 and Decree 162/2025/ND-CP, in force 1 July 2025: initial verification "
        "with the police"
    ),
    f"{DRUGS}: commune chairperson decides on voluntary rehabilitation": _l(
        "Law 73/2021/QH14 with Decrees 105/2021 and 116/2021, in force 1 January 2022: commune "
        "chairperson decides on voluntary rehabilitation"
    ),
    f"{DRUGS}: voluntary rehabilitation at home or in the community": _l(
        "Law 73/2021/QH14 with Decrees 105/2021 and 116/2021, in force 1 January 2022: voluntary "
        "rehabilitation at home or in the community"
    ),
    f"{DRUGS}: management of illegal users, from the commune decision": _l(
        "Law 73/2021/QH14 with Decrees 105/2021 and 116/2021, in force 1 January 2022: "
        "management of illegal users, from the commune decision"
    ),
    f"{DRUGS}: post-rehabilitation management at the place of residence": _l(
        "Law 73/2021/QH14 with Decrees 105/2021 and 116/2021, in force 1 January 2022: "
        "post-rehabilitation management at the place of residence"
    ),
    f"{DRUGS}: compulsory rehabilitation term": _l(
        "Law 73/2021/QH14 with Decrees 105/2021 and 116/2021, in force 1 January 2022: "
        "compulsory rehabilitation term"
    ),
    f"{DRUGS_2026}: compulsory rehabilitation term": _l(
        "Law 120/2025 amending the drug law, durations in force 1 July 2026: compulsory "
        "rehabilitation term"
    ),
    f"{VIOLENCE}: commune chairperson decides on a no-contact order": _l(
        "Law 13/2022/QH15 and Decree 76/2023/ND-CP, in force 1 July 2023: commune chairperson "
        "decides on a no-contact order"
    ),
    f"{VIOLENCE}: a no-contact order lasts up to 3 days each time": _l(
        "Law 13/2022/QH15 and Decree 76/2023/ND-CP, in force 1 July 2023: a no-contact order "
        "lasts up to 3 days each time"
    ),
    "casemgr default: a referral is overdue without an answer (configurable)": _l(
        "casemgr default: a referral is overdue without an answer (configurable)"
    ),
}


def source_label(source: str | None) -> str:
    """A rule version's legal source in the user's language (seeded ones), else as typed."""
    if not source:
        return ""
    label = SOURCE_LABELS.get(source)
    return str(label) if label is not None else source


RULE_LABELS = {
    "child.emergency_action": _l("Child: emergency action after intake"),
    "child.plan_draft": _l("Child: case plan drafted after intake"),
    "trafficking.essential_support": _l("Trafficking: essential needs and shelter support"),
    "trafficking.police_verification": _l("Trafficking: initial verification with the police"),
    "drugs.commune_decision": _l("Drugs: commune decision on voluntary rehabilitation"),
    "drugs.voluntary_rehab.min": _l("Drugs: voluntary rehabilitation, shortest term"),
    "drugs.voluntary_rehab.max": _l("Drugs: voluntary rehabilitation, longest term"),
    "drugs.illegal_use_management": _l("Drugs: management of illegal use"),
    "drugs.post_rehab_management": _l("Drugs: post-rehabilitation management"),
    "drugs.compulsory_rehab.min": _l("Drugs: compulsory rehabilitation, shortest term"),
    "drugs.compulsory_rehab.max": _l("Drugs: compulsory rehabilitation, longest term"),
    "dv.no_contact.decision": _l("Violence: decision on a no-contact order"),
    "dv.no_contact.validity": _l("Violence: validity of a no-contact order"),
    "referral.answer": _l("Referral: answer from the receiving organisation"),
}
