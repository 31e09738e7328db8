"""gunicorn settings for casemgr: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Values can be changed without editing this file through the environment variables named below
(docs/deploy.md). Prometheus multiprocess mode: PROMETHEUS_MULTIPROC_DIR must name an empty
folder writable by the service (the systemd unit gives /run/casemgr/metrics); it is emptied when
the master starts, and a worker that exits has its live values removed.
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Workers are processes: each holds its own database pool (5 connections by default).
workers = int(os.environ.get("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 8)))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_class = "gthread"
# Connections one worker holds at once: its threads' plus as many kept alive (idle). With
# gunicorn's default of 1,000 one worker could take every keep-alive connection of the proxy
# (or of wrk) and serve them all on its one core while the others idled: the same page gave
# 59 or 137 req/s from one run to the next on 2 cores (docs/performance.md). A worker at its
# limit stops accepting and the others take the next connections; a worker closes a
# connection rather than keep more than `threads` of them idle, so a full worker frees a
# place as soon as a request ends.
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", 2 * threads))
# Exports and reports run in the request: allow a minute before a worker is killed.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (slow leaks in libraries); jitter so they do not all restart.
# 0 never recycles them (the bench: see bench/server.py).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# Request line and headers: limits below gunicorn's defaults are not needed; bodies are held to
# the app's limits (MAX_CONTENT_LENGTH) and the proxy's client_max_body_size.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# No runtime control socket (gunicornc): systemd starts, reloads (HUP) and stops the service.
control_socket_disable = True

# Logs: the app writes one JSON access line per request itself (casemgr.ops.logs: endpoint,
# path without the query string, status, duration, request id), so gunicorn's own access log is
# off. If it is ever turned on, this format has no query string (%(U)s is the path alone) and
# no client address, user agent or referrer.
accesslog = None
access_log_format = "%(m)s %(U)s %(s)s %(B)s %(M)sms %({x-request-id}o)s"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
    },
    "handlers": {
        "error_console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        },
    },
    # The root logger is left without handlers here: the app installs its own (with the
    # request id) in each worker; gunicorn's access lines go nowhere (the app writes its own).
    "root": {"level": "INFO", "handlers": []},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
    },
}


def on_starting(server) -> None:
    """Clear the metrics folder: values left by an earlier run would be added to this one's."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        for stale in path.glob("*.db"):  # only prometheus_client's files, nothing else
            stale.unlink()


def child_exit(server, worker) -> None:
    """A worker exited: remove its live gauges from the metrics (counters are kept)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
