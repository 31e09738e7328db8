"""One clock: no code asks the machine for "today" or "now" except casemgr/clock.py."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from casemgr import clock

ROOT = Path(__file__).resolve().parent.parent
# date.today() and datetime.now() answer in the machine's zone (UTC on a server), not Viet Nam's.
FORBIDDEN = re.compile(r"\bdate\.today\(\)|\bdatetime\.now\(|\butcnow\(\)\.date\(\)")


def test_only_the_clock_module_reads_the_machine_clock():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("casemgr", "bench")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != ROOT / "casemgr" / "clock.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if FORBIDDEN.search(line)
    ]
    assert offenders == []


# A stored moment (`*_at`) or "now" turned into a date, a year or an hour without the clock
# gives its UTC value: 19:30 UTC on 31 December is 1 January in Viet Nam.
UTC_PART = re.compile(
    r"\b(\w+_at|now)\.(date\(\)|strftime\(|year\b|month\b|day\b|hour\b|weekday\(\))"
)


def test_no_moment_is_read_as_a_utc_date():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder, pattern in (("casemgr", "*.py"), ("bench", "*.py"), ("templates", "*.html"))
        for path in sorted((ROOT / folder).rglob(pattern))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if UTC_PART.search(line)
    ]
    assert offenders == []


def test_today_is_the_viet_nam_date_at_both_ends_of_the_utc_day():
    late_utc = dt.datetime(2026, 3, 1, 19, 30, tzinfo=dt.UTC)  # 02:30 on 2 March in Hà Nội
    assert clock.local_date(late_utc) == dt.date(2026, 3, 2)
    early_utc = dt.datetime(2026, 3, 1, 16, 30, tzinfo=dt.UTC)  # 23:30 on 1 March in Hà Nội
    assert clock.local_date(early_utc) == dt.date(2026, 3, 1)
    assert clock.local_midnight(dt.date(2026, 3, 2)) == dt.datetime(2026, 3, 1, 17, tzinfo=dt.UTC)


def test_times_are_shown_in_the_clocks_zone(app):
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == clock.LOCAL_TZ.key == "Asia/Ho_Chi_Minh"
