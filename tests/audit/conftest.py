"""Audit test helpers: a settable clock for record(), and an auditor's signed-in client."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from casemgr.audit import recorder

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


class Clock:
    """The time record() stamps events with; set it, or let it run forward by itself."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def at(self, local: dt.datetime) -> Clock:
        """Stop the clock at a Ha Noi wall-clock time."""
        self.now = local.replace(tzinfo=HANOI).astimezone(dt.UTC)
        return self

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)

    def __call__(self) -> dt.datetime:
        # Each event a microsecond after the last: time never runs backwards along the chain.
        self.now += dt.timedelta(microseconds=1)
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(recorder, "utcnow", clock)
    return clock
