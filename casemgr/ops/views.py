"""/readyz for the load balancer and /metrics for Prometheus (allowed addresses or a token)."""

from __future__ import annotations

import hmac
from ipaddress import ip_address, ip_network

from flask import Blueprint, abort, current_app, request

from casemgr.ops import health, metrics
from casemgr.web.access import public

bp = Blueprint("ops", __name__)


@bp.route("/readyz")
@public
def readyz():
    """200 when the database, the keys and the schema are ready; 503 and the failed checks."""
    checks = health.readiness()
    if all(checks.values()):
        return {"status": "ready"}
    return {"status": "unavailable", "failed": sorted(k for k, ok in checks.items() if not ok)}, 503


def metrics_allowed() -> bool:
    """A bearer token equal to the setting, or a client address in an allowed network."""
    token = current_app.config["CASEMGR_METRICS_TOKEN"]
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    if (
        token
        and scheme.lower() == "bearer"
        and hmac.compare_digest(offered.encode(), token.encode())
    ):
        return True
    try:
        address = ip_address(request.remote_addr or "")
    except ValueError:
        return False
    networks = current_app.config["CASEMGR_METRICS_ALLOWED"]
    return any(address in ip_network(net, strict=False) for net in networks)


@bp.route("/metrics")
@public
def metrics_page():
    """The metrics in Prometheus' text format; 404 to anyone not allowed (nothing to learn)."""
    if not metrics_allowed():
        abort(404)
    body, content_type = metrics.exposition()
    return body, 200, {"Content-Type": content_type}
