"""The OpenAPI document of the API (generated from the code) and its read-only viewer page."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template

from casemgr.web.access import public

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")


@bp.route("/openapi.json")
@public
def openapi_json():
    """The OpenAPI 3 document (public: it describes, it holds no data)."""
    api = current_app.extensions["casemgr.api"]
    return jsonify(api.spec.to_dict())


@bp.route("/docs")
@public
def viewer():
    """Swagger UI, served from the app's own static files, with every "try it" turned off."""
    return render_template("api/docs.html")
