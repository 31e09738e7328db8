"""Duty outcomes and periods in words, in the reader's language (stored as counts and codes)."""

from __future__ import annotations

import json
from collections.abc import Callable

from flask_babel import gettext as _
from flask_babel import ngettext

# One phrase per named count or code a duty stores (duties.py), in the order shown.
PHRASES: dict[str, Callable[[int | str], str]] = {
    "events": lambda n: ngettext("%(num)d event scanned", "%(num)d events scanned", n),
    "alerts": lambda n: ngettext("%(num)d alert raised", "%(num)d alerts raised", n),
    "head": lambda n: _("signed up to event %(seq)s", seq=n),
    "refused": lambda code: _("not signed: the chain check failed (%(code)s)", code=code),
    "verified": lambda n: ngettext("%(num)d event verified", "%(num)d events verified", n),
    "failed": lambda code: _("verification failed (%(code)s)", code=code),
    "notifications": lambda n: ngettext("%(num)d reminder sent", "%(num)d reminders sent", n),
    "files": lambda n: ngettext("%(num)d file removed", "%(num)d files removed", n),
    "grants": lambda n: ngettext(
        "%(num)d emergency access ended", "%(num)d emergency accesses ended", n
    ),
    "sessions": lambda n: ngettext("%(num)d session ended", "%(num)d sessions ended", n),
    "requeued": lambda n: ngettext(
        "%(num)d job sent back to the queue", "%(num)d jobs sent back to the queue", n
    ),
    "failed_jobs": lambda n: ngettext(
        "%(num)d job ended as failed", "%(num)d jobs ended as failed", n
    ),
    "analysed": lambda n: ngettext("%(num)d table analysed", "%(num)d tables analysed", n),
    "error": lambda code: _("error in the application (%(code)s)", code=code),
}


def duty_outcome(detail: str | None) -> str:
    """A duty run's stored counts in words ("137 events scanned, 3 alerts raised")."""
    if not detail:
        return ""
    try:
        counts = json.loads(detail)
    except ValueError:
        return detail  # a run recorded before counts were stored as JSON
    if not isinstance(counts, dict):
        return detail
    phrases = [PHRASES[name](counts[name]) for name in PHRASES if name in counts]
    return _(", ").join(phrases) if phrases else _("nothing to report")


def period(minutes: float) -> str:
    """How often a duty runs, in words ("daily", "every 5 minutes", "hourly")."""
    whole = round(minutes)
    if whole != minutes:
        return _("every %(num)s minutes", num=round(minutes, 1))
    if whole % 1440 == 0:
        days = whole // 1440
        return _("daily") if days == 1 else _("every %(num)d days", num=days)
    if whole % 60 == 0:
        hours = whole // 60
        return _("hourly") if hours == 1 else _("every %(num)d hours", num=hours)
    if whole == 1:
        return _("every minute")
    return _("every %(num)d minutes", num=whole)
