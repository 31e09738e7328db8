"""Fixtures of the background-work tests: the notification world (a canary case) and reports."""

from __future__ import annotations

from tests.cases.conftest import casework  # noqa: F401
from tests.notifications.conftest import world  # noqa: F401
from tests.reports.conftest import province  # noqa: F401
from tests.support.conftest import support  # noqa: F401
