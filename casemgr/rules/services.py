"""Dated rules: the version in force on a date, deadlines computed from it, and the verbs that
add rule versions, local days off and emergency actions (audited; they flush, never commit)."""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from casemgr.audit import record
from casemgr.auth.models import User
from casemgr.clock import LOCAL_TZ, end_of_local_day, local_date, utcnow
from casemgr.extensions import db
from casemgr.org.models import Unit
from casemgr.rules.calendar import LOCAL_DAYS_KEY, add_working_days, forget_local_days
from casemgr.rules.models import DatedRule, DayOff, DurationUnit, EmergencyAction, EmergencyMeasure
from casemgr.rules.seed import SEED_RULES

if TYPE_CHECKING:  # the cases package may import this one: no import cycle at run time
    from casemgr.cases.models import Case
    from casemgr.cases.policy import CaseAccess

_CACHE_KEY = "casemgr.rules.versions"
MAX_AMOUNT = 1000  # no rule runs longer than 1000 of its units; beyond is a typing error


class RuleError(ValueError):
    """A rule change that breaks a rule; the code (str) names which, for the view to translate."""


class NoRuleInForce(LookupError):
    """No version of the rule applies on the date asked (the date is before its first version)."""

    def __init__(self, key: str, on: dt.date):
        super().__init__(f"no version of rule {key!r} is in force on {on.isoformat()}")
        self.key = key
        self.on = on


@dataclass(frozen=True)
class RuleVersion:
    """A plain copy of one DatedRule row: safe to keep after a commit expires the ORM objects."""

    id: int
    key: str
    valid_from: dt.date
    amount: int
    unit: DurationUnit


def rule_versions() -> dict[str, list[RuleVersion]]:
    """Every rule's versions, oldest first; read once per database session (a small table).

    Services that add a version drop the copy; a rollback drops it too (see the listener
    below), and a new request has a new session, so it never outlives the data it copies.
    """
    info = db.session.info
    cached = info.get(_CACHE_KEY)
    if cached is None:
        cached = {}
        for row in db.session.execute(
            select(
                DatedRule.id,
                DatedRule.key,
                DatedRule.valid_from,
                DatedRule.amount,
                DatedRule.unit,
            ).order_by(DatedRule.key, DatedRule.valid_from)
        ):
            cached.setdefault(row.key, []).append(RuleVersion(*row))
        info[_CACHE_KEY] = cached
    return cached


def _forget_rule_versions() -> None:
    db.session.info.pop(_CACHE_KEY, None)


@event.listens_for(Session, "after_flush")
def _forget_after_change(session: Session, flush_context) -> None:
    # A version or day off written by this flush: the copies are stale from here on, also for
    # listeners that recompute stored deadlines before the service forgets them itself.
    changed = (*session.new, *session.deleted)
    if any(isinstance(obj, DatedRule) for obj in changed):
        session.info.pop(_CACHE_KEY, None)
    if any(isinstance(obj, DayOff) for obj in changed):
        session.info.pop(LOCAL_DAYS_KEY, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, previous_transaction) -> None:
    # A rolled-back version or day off must not live on in the session's copies.
    session.info.pop(_CACHE_KEY, None)
    session.info.pop(LOCAL_DAYS_KEY, None)


def _version_in_force(key: str, on: dt.date) -> RuleVersion:
    if isinstance(on, dt.datetime):  # a datetime is a date too: refuse the ambiguity
        raise TypeError("pass a local date; use clock.local_date(moment)")
    found = None
    for version in rule_versions().get(key, ()):
        if version.valid_from > on:
            break
        found = version
    if found is None:
        raise NoRuleInForce(key, on)
    return found


def rule_in_force(key: str, on: dt.date) -> DatedRule:
    """The version of rule `key` in force on `on`: the one whose `valid_from` is the latest <= on.

    Raises NoRuleInForce for an unknown key or a date before the rule's first version.
    """
    # From the session's identity map when loaded: no query per call.
    return db.session.get(DatedRule, _version_in_force(key, on).id)


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """The same clock time `months` later; the 31st becomes the month's last day when needed."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, month_calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def apply_duration(
    start: dt.datetime, amount: int, unit: DurationUnit, *, unit_path: str | None = None
) -> dt.datetime:
    """The moment `amount` `unit` after `start` (aware), as an aware UTC datetime.

    Hours are exact. Calendar days, months and years keep the local clock time (12 months from
    10:00 on 31 March ends at 10:00 on 31 March next year). Working days end at the close of
    the n-th working day after the start's local date (23:59:59 local), so 5 working days from
    a Friday intake run to the end of the next Friday, later across holidays or days off.
    """
    if start.tzinfo is None:
        raise ValueError("naive datetime: pass an aware (UTC) moment")
    if unit == DurationUnit.HOURS:
        return (start + dt.timedelta(hours=amount)).astimezone(dt.UTC)
    if unit == DurationUnit.WORKING_DAYS:
        due_day = add_working_days(local_date(start), amount, unit_path=unit_path)
        return end_of_local_day(due_day)
    local = start.astimezone(LOCAL_TZ)
    if unit == DurationUnit.DAYS:
        local = local + dt.timedelta(days=amount)
    elif unit == DurationUnit.MONTHS:
        local = add_months(local, amount)
    elif unit == DurationUnit.YEARS:
        local = add_months(local, 12 * amount)
    else:  # pragma: no cover - the enum is closed
        raise ValueError(f"unknown unit {unit}")
    return local.astimezone(dt.UTC)


def deadline(
    key: str,
    start: dt.datetime,
    *,
    on: dt.date | None = None,
    unit_path: str | None = None,
) -> dt.datetime:
    """When something that started at `start` is due under rule `key` (aware UTC).

    `on` picks the rule's version; by default the start's local date, so a case keeps the
    durations of the day it was opened. `unit_path` applies that unit's local days off.
    """
    rule = _version_in_force(key, on if on is not None else local_date(start))
    return apply_duration(start, rule.amount, rule.unit, unit_path=unit_path)


def seed_rules() -> int:
    """Insert the seeded versions that are missing (idempotent); return how many were added.

    An existing (key, valid_from) is never changed: a version, once there, is history.
    """
    existing = {
        tuple(row) for row in db.session.execute(select(DatedRule.key, DatedRule.valid_from))
    }
    added = 0
    for seed in SEED_RULES:
        if (seed.key, seed.valid_from) in existing:
            continue
        db.session.add(
            DatedRule(
                key=seed.key,
                valid_from=seed.valid_from,
                amount=seed.amount,
                unit=seed.unit,
                source=seed.source,
                needs_check=seed.needs_check,
            )
        )
        added += 1
    db.session.flush()
    _forget_rule_versions()
    return added


def add_rule_version(
    actor: User | None,
    *,
    key: str,
    valid_from: dt.date,
    amount: int,
    unit: DurationUnit,
    source: str,
    needs_check: bool = False,
) -> DatedRule:
    """Add a version of an existing rule from `valid_from`, after its latest version's start.

    Older versions stay as they are: cases opened before `valid_from` keep them.
    """
    versions = rule_versions().get(key)
    if not versions:
        raise RuleError("unknown rule")
    if valid_from <= versions[-1].valid_from:
        raise RuleError("not after the latest version")
    if not 0 < amount <= MAX_AMOUNT:
        raise RuleError("amount out of range")
    source = source.strip()
    if not source:
        raise RuleError("source required")
    rule = DatedRule(
        key=key,
        valid_from=valid_from,
        amount=amount,
        unit=DurationUnit(unit),
        source=source,
        needs_check=needs_check,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(rule)
    db.session.flush()
    _forget_rule_versions()
    _deadlines().refresh_all()  # the stored due dates follow the new version
    record(
        "rule.add_version",
        actor=actor,
        object_type="dated_rule",
        object_id=rule.id,
        fields=["key", "valid_from", "amount", "unit", "source", "needs_check"],
    )
    return rule


def add_day_off(
    actor: User | None,
    *,
    day: dt.date,
    reason: str,
    unit: Unit | None = None,
    is_working_day: bool = False,
) -> DayOff:
    """Add a local day off (or, with `is_working_day`, a weekend day worked) for a unit's
    subtree, or everywhere when `unit` is None. One entry per day and unit."""
    reason = reason.strip()
    if not reason:
        raise RuleError("reason required")
    unit_id = unit.id if unit else None
    clash = db.session.scalar(
        select(DayOff.id).where(
            DayOff.day == day,
            DayOff.unit_id.is_(None) if unit_id is None else DayOff.unit_id == unit_id,
        )
    )
    if clash is not None:
        raise RuleError("day already listed")
    entry = DayOff(
        day=day,
        reason=reason,
        unit_id=unit_id,
        is_working_day=is_working_day,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(entry)
    db.session.flush()
    forget_local_days()
    _deadlines().refresh_due_from(day)  # working-day counts across it move
    record(
        "calendar.add_day",
        actor=actor,
        object_type="day_off",
        object_id=entry.id,
        fields=["day", "reason", "unit_id", "is_working_day"],
    )
    return entry


def remove_day_off(actor: User | None, entry: DayOff, *, today: dt.date | None = None) -> None:
    """Remove a local entry that has not come yet (a past one shaped deadlines: it stays)."""
    today = today or local_date(utcnow())
    if entry.day <= today:
        raise RuleError("day already passed")
    entry_id = entry.id
    removed_day = entry.day
    db.session.delete(entry)
    db.session.flush()
    forget_local_days()
    _deadlines().refresh_due_from(removed_day)
    record("calendar.remove_day", actor=actor, object_type="day_off", object_id=entry_id)


def _deadlines():
    # Imported late: the stored deadlines read the cases package, which may import this one.
    from casemgr.rules import deadlines

    return deadlines


# A clock a few minutes fast on the worker's phone must not refuse a true time.
FUTURE_TOLERANCE = dt.timedelta(minutes=10)


def record_emergency_action(
    actor: User,
    case: Case,
    access: CaseAccess,
    *,
    measure: EmergencyMeasure,
    taken_at: dt.datetime,
    now: dt.datetime | None = None,
) -> EmergencyAction:
    """Record the emergency action taken to protect the child of a case (ends its 12-hour task).

    Details go in an encrypted case note; this keeps only the measure and the time.
    """
    if not access.can_write:
        raise RuleError("read only")
    if case.group_code != "child":
        raise RuleError("not a child case")
    if taken_at.tzinfo is None:
        raise ValueError("naive datetime: pass an aware moment")
    if taken_at > (now or utcnow()) + FUTURE_TOLERANCE:
        raise RuleError("in the future")
    action = EmergencyAction(
        case_id=case.id,
        measure=EmergencyMeasure(measure),
        taken_at=taken_at,
        recorded_by_id=actor.id,
        is_break_glass=access.is_break_glass,
    )
    db.session.add(action)
    db.session.flush()
    record(
        "case.emergency_action",
        actor=actor,
        object_type="emergency_action",
        object_id=action.id,
        case_id=case.id,
        fields=["measure", "taken_at"],
        is_break_glass=access.is_break_glass,
    )
    return action
