"""One pass over the audit events that finds alert patterns (the rules behind alerts.py).

Sliding windows per user (or address) for volume and denials; per-day findings for off-hours
and break-glass activity; one finding per integrity event. Holds no database session: the
caller feeds it events in seq order and stores what it found.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from casemgr.audit.models import AlertKind, Outcome
from casemgr.audit.settings import AuditSettings

HOUR = dt.timedelta(hours=1)
INTEGRITY_ACTIONS = ("crypto.integrity_failure",)
RECOVERY_CODE_ACTION = "auth.mfa_recovery"


def recovery_code_finding(event: Any) -> tuple[str, dict[str, Any]]:
    """The key and fields of the alert for one sign-in with a recovery code."""
    return f"recovery_code:{event.seq}", {
        "kind": AlertKind.RECOVERY_CODE,
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "window_start": event.occurred_at,
        "window_end": event.occurred_at,
        "event_count": 1,
        "first_seq": event.seq,
        "last_seq": event.seq,
    }


def integrity_finding(event: Any) -> tuple[str, dict[str, Any]]:
    """The key and fields of the integrity alert for one failure event."""
    return f"integrity:{event.seq}", {
        "kind": AlertKind.INTEGRITY,
        "code": (event.reason or event.action)[:40],
        "case_id": event.case_id,
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "window_start": event.occurred_at,
        "window_end": event.occurred_at,
        "event_count": 1,
        "first_seq": event.seq,
        "last_seq": event.seq,
    }


@dataclass
class Window:
    """A user's (or address's) recent events, for sliding-window counts."""

    events: deque = field(default_factory=deque)
    cases: Counter = field(default_factory=Counter)


class Scanner:
    """One pass over the events; collects candidate alerts by key."""

    def __init__(self, settings: AuditSettings, from_seq: int) -> None:
        self.settings = settings
        self.from_seq = from_seq  # events after this one may raise alerts; earlier ones are context
        self.volume: dict[int, Window] = {}
        self.denials: dict[str, Window] = {}
        self.sliding: dict[str, dict[str, Any]] = {}  # volume and denial findings
        self.daily: dict[str, dict[str, Any]] = {}  # off-hours and break-glass findings
        self.integrity: dict[str, dict[str, Any]] = {}
        self.denial_span = dt.timedelta(minutes=settings.denial_minutes)

    def local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.settings.timezone)

    def off_hours(self, moment: dt.datetime) -> bool:
        local = self.local(moment)
        minute = local.hour * 60 + local.minute
        return (
            local.weekday() not in self.settings.working_days
            or not self.settings.work_start_minute <= minute < self.settings.work_end_minute
        )

    def feed(self, event: Any) -> None:
        is_new = event.seq > self.from_seq
        opened_case = event.actor_id is not None and event.case_id is not None
        if opened_case and event.outcome == Outcome.ALLOWED:
            self._volume(event, is_new)
        if event.outcome == Outcome.DENIED:
            self._denial(event, is_new)
        if not is_new:
            return
        if event.actor_id is not None and self.off_hours(event.occurred_at):
            day = self.local(event.occurred_at).date()
            self._daily(AlertKind.OFF_HOURS, f"off_hours:{event.actor_id}:{day}", event, day)
        if event.is_break_glass and event.actor_id is not None:
            day = self.local(event.occurred_at).date()
            key = f"break_glass:{event.actor_id}:{event.case_id}:{day}"
            self._daily(AlertKind.BREAK_GLASS, key, event, day)
        if event.action == RECOVERY_CODE_ACTION and event.outcome == Outcome.ALLOWED:
            # Raised at once by the sign-in too; the same key makes the scan find it again.
            key, finding = recovery_code_finding(event)
            self.integrity[key] = finding
        if event.action in INTEGRITY_ACTIONS or (
            event.action == "audit.verify" and event.outcome == Outcome.ERROR
        ):
            key, finding = integrity_finding(event)
            self.integrity[key] = finding

    def _slide(self, window: Window, event: Any, span: dt.timedelta, case: bool) -> None:
        window.events.append(event)
        if case:
            window.cases[event.case_id] += 1
        while window.events and window.events[0].occurred_at <= event.occurred_at - span:
            old = window.events.popleft()
            if case:
                window.cases[old.case_id] -= 1
                if not window.cases[old.case_id]:
                    del window.cases[old.case_id]

    def _volume(self, event: Any, is_new: bool) -> None:
        window = self.volume.setdefault(event.actor_id, Window())
        self._slide(window, event, HOUR, case=True)
        distinct = len(window.cases)
        if is_new and distinct > self.settings.cases_per_hour:
            hour = event.occurred_at.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
            key = f"volume:{event.actor_id}:{hour:%Y%m%dT%H}"
            self._sliding(AlertKind.VOLUME, key, window, event, distinct)

    def _denial(self, event: Any, is_new: bool) -> None:
        subject = f"u{event.actor_id}" if event.actor_id is not None else f"a{event.client_addr}"
        window = self.denials.setdefault(subject, Window())
        self._slide(window, event, self.denial_span, case=False)
        count = len(window.events)
        if is_new and count > self.settings.denials:
            hour = event.occurred_at.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
            key = f"denials:{subject}:{hour:%Y%m%dT%H}"
            self._sliding(AlertKind.DENIALS, key, window, event, count)

    def _sliding(self, kind: AlertKind, key: str, window: Window, event: Any, measure: int) -> None:
        # The first crossing in an hour names the alert; later ones in that hour raise its measure.
        found = self.sliding.get(key)
        if found is not None:
            if measure > found["measure"]:
                found.update(self._window_fields(window, event), measure=measure)
            return
        self.sliding[key] = {
            "kind": kind,
            "actor_id": event.actor_id,
            "actor_name": event.actor_name,
            "client_addr": event.client_addr if event.actor_id is None else None,
            "measure": measure,
            **self._window_fields(window, event),
        }

    @staticmethod
    def _window_fields(window: Window, event: Any) -> dict[str, Any]:
        first = window.events[0]
        return {
            "window_start": first.occurred_at,
            "window_end": event.occurred_at,
            "event_count": len(window.events),
            "first_seq": first.seq,
            "last_seq": event.seq,
        }

    def _daily(self, kind: AlertKind, key: str, event: Any, day: dt.date) -> None:
        self.daily.setdefault(
            key,
            {
                "kind": kind,
                "actor_id": event.actor_id,
                "actor_name": event.actor_name,
                "case_id": event.case_id if kind == AlertKind.BREAK_GLASS else None,
                "day": day,
            },
        )
