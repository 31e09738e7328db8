"""JSON API v1: personal access tokens over the same services, loaders and policy as the screens."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the API (routes by resource), its OpenAPI document and its token checks."""
    from casemgr.api import access, audit, cases, docs, intake, persons, support, tasks  # noqa: F401
    from casemgr.api.blueprint import api, bp, id_schema
    from casemgr.web.ids import IdConverter

    app.config.setdefault("API_TITLE", "casemgr API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.url_map.converters["id"] = IdConverter
    api.init_app(app)
    api.register_converter(IdConverter, id_schema)
    api.register_blueprint(bp)
    app.extensions["casemgr.api"] = api
    app.register_blueprint(docs.bp)
    access.init_app(app)
