"""API for hotlines and partners: send an intake report, read back its number and status only."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import NotFound

from casemgr.api.access import intake_limit, rate_key, token_access
from casemgr.api.blueprint import bp
from casemgr.api.common import Refused, documented, invalid
from casemgr.api.schemas import IntakeReportSchema, IntakeStatusSchema
from casemgr.extensions import limiter
from casemgr.intake import services
from casemgr.intake.queries import unit_for_intake
from casemgr.tokens.models import TokenScope

STATUS_EXAMPLE = {"number": "TN-C01-2026-0007", "status": "received"}


@bp.route("/intake/reports", methods=["POST"])
@limiter.limit(intake_limit, key_func=rate_key)
@token_access(TokenScope.INTAKE)
@bp.arguments(IntakeReportSchema, example={
    "unit_code": "DEMO-C01", "source": "hotline", "is_emergency": True,
    "situation": "Trẻ khoảng 8 tuổi bị đánh, có vết bầm trên tay.",
    "location": "Thôn 3, gần trường tiểu học", "child_name": "Bé Na",
    "reporter_consents": False})  # fmt: skip
@bp.response(201, IntakeStatusSchema, example=STATUS_EXAMPLE)
@documented(422)
def create_intake_report(data: dict[str, Any]):
    """Send an intake report about a child at risk to a commune office (Decree 56/2017,
    Arts. 25-30, step 1). It lands in the office's intake queue with its deadlines (the 12-hour
    emergency action among them). Only the report's number and status come back."""
    unit = unit_for_intake(data.pop("unit_code"))
    if unit is None:
        invalid("unit_code", _l("No commune office takes reports under this code."))
    source = data.pop("source")
    try:
        report = services.receive_report(
            services.ReportData(**data), unit=unit, source=source, received_by=current_user,
            source_token_id=g.api_token.id,
        )  # fmt: skip
    except services.IntakeInvalid as exc:
        raise Refused(422, {k: [v] for k, v in services.field_messages(exc).items()}) from None
    return {"number": report.number, "status": str(report.status)}, 201


@bp.route("/intake/reports/<string(maxlength=40):number>", methods=["GET"])
@token_access(TokenScope.INTAKE)
@bp.response(200, IntakeStatusSchema, example=STATUS_EXAMPLE)
@documented()
def get_intake_report(number: str):
    """The number and status of a report this token sent (404 for any other)."""
    try:
        found, status = services.report_status(number, source_token_id=g.api_token.id)
    except services.IntakeNotFound:
        raise NotFound() from None
    return {"number": found, "status": str(status)}
