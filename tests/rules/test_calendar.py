"""The working-day calendar: weekends, Vietnamese public holidays, local days off and swaps."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from casemgr.audit.models import AuditEvent
from casemgr.rules import add_working_days, is_working_day, services, working_days_between
from casemgr.rules.calendar import public_holidays, unit_chain

D = dt.date


def test_public_holidays_come_from_the_package():
    tet_2027 = public_holidays(2027)
    # Tết 2027: 29th of the lunar year to the fifth day (Thu 4 - Wed 10 February).
    assert {D(2027, 2, 4) + dt.timedelta(days=i) for i in range(7)} <= tet_2027
    assert D(2027, 4, 30) in tet_2027 and D(2027, 5, 3) in tet_2027  # 1 May on a Saturday
    assert D(2027, 2, 11) not in tet_2027


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (D(2026, 11, 27), 1, D(2026, 11, 30)),  # Friday -> Monday
        (D(2026, 11, 28), 0, D(2026, 11, 28)),  # n = 0 is the start, working day or not
        (D(2026, 11, 28), 1, D(2026, 11, 30)),  # a Saturday start counts from Monday
        (D(2027, 2, 3), 1, D(2027, 2, 11)),  # Tết 2027: Thu 4 - Wed 10 February off
        (D(2027, 2, 1), 5, D(2027, 2, 15)),  # Tue, Wed, [Tết], Thu 11, Fri 12, Mon 15
        (D(2027, 4, 29), 1, D(2027, 5, 4)),  # 30 April (Fri), 1 May (Sat), observed Mon 3 May
        (D(2026, 4, 29), 1, D(2026, 5, 4)),  # 30 April (Thu), 1 May (Fri), then the weekend
        (D(2026, 8, 28), 1, D(2026, 9, 3)),  # bridge Mon 31 Aug, National Day 1-2 September
        (D(2027, 2, 11), -1, D(2027, 2, 3)),  # backwards over Tết
    ],
)
def test_add_working_days(db, start, n, expected):
    assert add_working_days(start, n) == expected


def test_working_days_between(db):
    assert working_days_between(D(2027, 2, 3), D(2027, 2, 11)) == 1
    assert working_days_between(D(2027, 2, 11), D(2027, 2, 3)) == -1
    assert working_days_between(D(2026, 11, 30), D(2026, 12, 4)) == 4
    assert working_days_between(D(2026, 11, 30), D(2026, 11, 30)) == 0


def test_between_is_the_inverse_of_add_over_a_year(db):
    start = D(2026, 12, 31)
    for offset in range(1, 400):
        day = start + dt.timedelta(days=offset)
        if is_working_day(day):
            assert add_working_days(start, working_days_between(start, day)) == day


def test_a_local_day_off_moves_a_deadline(db, casework):
    assert add_working_days(D(2027, 2, 3), 1) == D(2027, 2, 11)
    entry = services.add_day_off(casework.admin, day=D(2027, 2, 11), reason="Provincial festival")
    assert not is_working_day(D(2027, 2, 11))
    assert add_working_days(D(2027, 2, 3), 1) == D(2027, 2, 12)
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "calendar.add_day")
    ).all()[-1]
    assert event.object_id == str(entry.id) and event.actor_id == casework.admin.id
    assert "Provincial" not in (event.reason or "")  # names of fields only, never values


def test_a_units_day_off_applies_to_its_subtree_only(db, casework):
    commune, other, province = casework.commune, casework.other_commune, casework.province
    day = D(2027, 3, 10)  # a Wednesday
    services.add_day_off(casework.admin, day=day, reason="Commune festival", unit=commune)
    assert not is_working_day(day, unit_path=commune.path)
    assert is_working_day(day, unit_path=other.path)
    assert is_working_day(day)  # nationally
    later = D(2027, 3, 11)
    services.add_day_off(casework.admin, day=later, reason="Provincial day", unit=province)
    assert not is_working_day(later, unit_path=commune.path)
    assert not is_working_day(later, unit_path=other.path)
    assert add_working_days(D(2027, 3, 9), 1, unit_path=commune.path) == D(2027, 3, 12)
    assert add_working_days(D(2027, 3, 9), 1, unit_path=other.path) == D(2027, 3, 10)


def test_a_weekend_day_made_a_working_day(db, casework):
    # In 2026 the bridge day Monday 31 August was paid back by working Saturday 22 August.
    saturday = D(2026, 8, 22)
    assert not is_working_day(saturday)
    services.add_day_off(
        casework.admin, day=saturday, reason="Worked for the 31 August bridge", is_working_day=True
    )
    assert is_working_day(saturday)
    assert add_working_days(D(2026, 8, 21), 1) == saturday


def test_the_most_specific_entry_wins(db, casework):
    day = D(2026, 8, 29)  # a Saturday: worked nationally, but not in one commune
    services.add_day_off(casework.admin, day=day, reason="Swap", is_working_day=True)
    services.add_day_off(casework.admin, day=day, reason="Local", unit=casework.commune)
    assert is_working_day(day)
    assert not is_working_day(day, unit_path=casework.commune.path)
    assert unit_chain(casework.commune.path) == (casework.commune.id, casework.province.id, None)


def test_one_entry_per_day_and_unit(db, casework):
    services.add_day_off(casework.admin, day=D(2027, 6, 1), reason="One")
    with pytest.raises(services.RuleError, match="day already listed"):
        services.add_day_off(casework.admin, day=D(2027, 6, 1), reason="Two")
    with pytest.raises(services.RuleError, match="reason required"):
        services.add_day_off(casework.admin, day=D(2027, 6, 2), reason="  ")


def test_only_days_to_come_can_be_removed(db, casework):
    entry = services.add_day_off(casework.admin, day=D(2027, 6, 1), reason="Bridge")
    with pytest.raises(services.RuleError, match="day already passed"):
        services.remove_day_off(casework.admin, entry, today=D(2027, 6, 1))
    assert not is_working_day(D(2027, 6, 1))
    services.remove_day_off(casework.admin, entry, today=D(2027, 5, 31))
    assert is_working_day(D(2027, 6, 1))


def test_absurd_counts_are_refused(db):
    with pytest.raises(ValueError, match="out of range"):
        add_working_days(D(2027, 1, 1), 100_000)
