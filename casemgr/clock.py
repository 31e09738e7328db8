"""One clock: moments are stored in UTC; every date a person sees or enters is a Viet Nam date.

`today()` is the only "today" in the app: pages, form defaults, filters, report periods and
deadlines all ask it. Nothing else calls `date.today()` or `datetime.now()` (a test walks the
source for them), so freezing time in a test freezes the whole app.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> dt.datetime:
    """The current moment as an aware UTC datetime."""
    return dt.datetime.now(dt.UTC)


def local_date(moment: dt.datetime) -> dt.date:
    """The date in Viet Nam at an aware moment."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware (UTC) moment")
    return moment.astimezone(LOCAL_TZ).date()


def today() -> dt.date:
    """Today's date in Viet Nam."""
    return local_date(utcnow())


def local_midnight(day: dt.date) -> dt.datetime:
    """The first moment of a Viet Nam day, as an aware UTC moment (start of a date filter)."""
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=LOCAL_TZ).astimezone(dt.UTC)


def end_of_local_day(day: dt.date) -> dt.datetime:
    """The last second of a Viet Nam day, as an aware UTC moment (a deadline "by that day")."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=LOCAL_TZ).astimezone(dt.UTC)
