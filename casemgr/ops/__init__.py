"""Operations: JSON logs with request ids, Prometheus metrics, /readyz, and the proxy setting."""

from __future__ import annotations

import logging
import time
from ipaddress import ip_network
from typing import Any

from flask import Flask, Response, g, got_request_exception, request
from werkzeug.middleware.proxy_fix import ProxyFix

from casemgr.ops import logs, metrics


def _endpoint() -> str:
    return request.endpoint or metrics.UNMATCHED


def count_request(response: Response) -> Response:
    """Observe the request's latency and status under its endpoint's name."""
    started = g.get("started")
    endpoint = _endpoint()
    if started is not None:
        metrics.REQUEST_SECONDS.labels(request.method, endpoint).observe(
            time.perf_counter() - started
        )
    metrics.REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
    return response


def count_exception(sender: Flask, exception: BaseException, **extra: Any) -> None:
    """Count a request that failed with an unhandled exception."""
    metrics.EXCEPTIONS.labels(_endpoint()).inc()


def check_settings(config: dict[str, Any]) -> None:
    """Refuse to start on a setting that would otherwise be ignored or fail at the first request."""
    if config["CASEMGR_LOG_FORMAT"] not in ("json", "text", "off"):
        raise ValueError(
            f"CASEMGR_LOG_FORMAT must be json, text or off, not {config['CASEMGR_LOG_FORMAT']!r}"
        )
    if not isinstance(logging.getLevelName(str(config["CASEMGR_LOG_LEVEL"]).upper()), int):
        raise ValueError(
            "CASEMGR_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, "
            f"not {config['CASEMGR_LOG_LEVEL']!r}"
        )
    for network in config["CASEMGR_METRICS_ALLOWED"]:
        try:
            ip_network(network, strict=False)
        except ValueError:
            raise ValueError(
                f"CASEMGR_METRICS_ALLOWED: {network!r} is not an address or network"
            ) from None
    if config["CASEMGR_TRUSTED_PROXIES"] < 0:
        raise ValueError("CASEMGR_TRUSTED_PROXIES must be 0 (no proxy) or the number of proxies")


def init_app(app: Flask) -> None:
    """Logs first (the request id is taken before anything else runs), then metrics and routes."""
    check_settings(app.config)
    trusted = app.config["CASEMGR_TRUSTED_PROXIES"]
    if trusted:
        # Only as many proxies as are really in front: more would let a client pick its address.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=trusted, x_proto=trusted, x_host=trusted, x_port=trusted
        )
    # after_request hooks run last-registered first: these two, registered before the others,
    # see the final response (after the edge commit).
    app.after_request(count_request)
    logs.init_app(app)
    got_request_exception.connect(count_exception, app, weak=False)
    from casemgr.ops.views import bp

    app.register_blueprint(bp)
