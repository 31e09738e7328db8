"""Prometheus metrics: request latency by endpoint, errors, audit appends, key operations.

The metrics live in this module, which imports nothing of casemgr, so that any package may count
what it does. Under gunicorn each worker is a process: with PROMETHEUS_MULTIPROC_DIR set (before
the app is imported; see deploy/gunicorn.conf.py) every worker writes its values to files there
and /metrics adds them up. Label values are bounded: an endpoint name, never a raw path.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUEST_SECONDS = Histogram(
    "casemgr_http_request_duration_seconds",
    "Time to answer a request, by endpoint (the route's name, not its path).",
    ["method", "endpoint"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
REQUESTS = Counter(
    "casemgr_http_requests",
    "Requests answered, by endpoint and status code.",
    ["method", "endpoint", "status"],
)
EXCEPTIONS = Counter(
    "casemgr_http_exceptions",
    "Requests that failed with an unhandled exception (answered with the 500 page).",
    ["endpoint"],
)
AUDIT_APPENDS = Counter(
    "casemgr_audit_appends",
    "Audit events appended (in the request's transaction: a rolled-back one counts too).",
    ["outcome"],
)
KEY_OPERATIONS = Counter(
    "casemgr_key_operations",
    "Key operations: data keys wrapped, unwrapped, destroyed; key file reloads and refusals.",
    ["operation"],
)
UNMATCHED = "<unmatched>"  # the endpoint label of a request no route matched (404, 405)


def multiprocess_dir() -> str | None:
    """The folder the gunicorn workers share their values through, if one is set."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def exposition() -> tuple[bytes, str]:
    """The current values in the text format: this process's, or every worker's added up."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def mark_process_dead(pid: int) -> None:
    """Gunicorn's child_exit hook: a dead worker's live gauges go (its counters stay)."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid)
