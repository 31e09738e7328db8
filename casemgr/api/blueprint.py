"""The API blueprint and its OpenAPI generator (flask-smorest); routes live in resource modules."""

from __future__ import annotations

from typing import Any

from flask_smorest import Api, Blueprint

from casemgr.web.ids import MAX_ID, IdConverter


def id_schema(converter: IdConverter) -> dict[str, Any]:
    """The OpenAPI schema of an id path parameter."""
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID}


ID = "id"

bp = Blueprint(
    "api",
    __name__,
    url_prefix="/api/v1",
    description="casemgr JSON API v1 (personal access tokens)",
)


class CasemgrApi(Api):
    """flask-smorest's spec generator without its error handler: the app's own handler answers
    every error, API errors as RFC 9457 problem documents (casemgr/web/problems.py)."""

    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self) -> None:
        pass


SPEC_KWARGS: dict[str, Any] = {
    "info": {
        "description": (
            "The casemgr API. Authenticate with a personal access token "
            "(`Authorization: Bearer cm_...`), made on the Tokens page. The same roles, scope "
            "and audit as the screens apply. Errors are RFC 9457 problem documents."
        )
    },
    "servers": [{"url": "/"}],
    "security": [{"bearerAuth": []}],
    "components": {
        "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "cm_<token>"}
        }
    },
}

api = CasemgrApi(spec_kwargs=SPEC_KWARGS)
