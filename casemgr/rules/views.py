"""Rules pages: administrators list rules and add versions and local days off; workers see
their tasks and supervisors the overdue deadlines of their units."""

from __future__ import annotations

from flask import Blueprint, render_template

from casemgr.auth.roles import Action
from casemgr.rules import queries
from casemgr.rules.seed import RULE_LABELS
from casemgr.web.access import requires
from casemgr.web.pagination import paginate

bp = Blueprint("rules", __name__, url_prefix="/rules")


@bp.route("/")
@requires(Action.MANAGE_REFERENCE_DATA)
def index():
    page = paginate(queries.rule_keys())
    return render_template(
        "rules/index.html",
        page=page,
        versions=queries.versions_of(page.items),
        rule_labels=RULE_LABELS,
    )
