"""The auditor's workspace: event search, who accessed a case, user activity, CSV export, alerts.

Only metadata appears here (ids, case numbers, usernames, actions, outcomes, times, addresses),
never case content. Every page is itself audited.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import ColumnElement, select

from casemgr.audit import alerts as alert_service
from casemgr.audit import labels, queries
from casemgr.audit.caserefs import case_ids_for, case_numbers
from casemgr.audit.forms import (
    ALERT_KIND_LABELS,
    ALERT_STATUS_LABELS,
    OUTCOME_LABELS,
    AlertFilterForm,
    CaseLookupForm,
    EventSearchForm,
    ReviewForm,
    ScanForm,
)
from casemgr.audit.models import AlertKind, AlertStatus, AuditAlert, Outcome
from casemgr.audit.recorder import record
from casemgr.auth.models import User
from casemgr.auth.roles import Action
from casemgr.extensions import db
from casemgr.supervision.queries import alert_scope
from casemgr.web.access import requires, user_may
from casemgr.web.ids import id_arg
from casemgr.web.pagination import paginate

bp = Blueprint("audit", __name__, url_prefix="/audit")
# One table of labels for every page that shows audit events (codes stay beside the labels).
bp.add_app_template_filter(labels.action_cell, "audit_action")
bp.add_app_template_filter(labels.reason_label, "audit_reason")
bp.add_app_template_filter(labels.object_cell, "audit_object")
bp.add_app_template_filter(labels.fields_cell, "audit_fields")

CSV_COLUMNS = (
    "seq",
    "occurred_at_utc",
    "actor_id",
    "actor_name",
    "actor_roles",
    "action",
    "object_type",
    "object_id",
    "case_id",
    "case_number",
    "fields",
    "client_addr",
    "request_id",
    "channel",
    "outcome",
    "reason",
    "is_break_glass",
)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _criteria(form: EventSearchForm) -> queries.EventFilter:
    case_ids = case_ids_for(form.case.data) if form.case.data else None
    return queries.EventFilter(
        user=(form.user.data or "").strip() or None,
        case_ids=case_ids,
        action=form.action.data or None,
        outcome=Outcome(form.outcome.data) if form.outcome.data else None,
        date_from=form.date_from.data,
        date_to=form.date_to.data,
        client_addr=form.client_addr.data or None,
        break_glass=bool(form.break_glass.data),
        seq_from=form.seq_from.data,
        seq_to=form.seq_to.data,
    )


def _search_args() -> dict[str, str]:
    """The search criteria of this request, for the pager's and export's links."""
    return {k: v for k, v in request.args.items() if k not in ("page", "upto") and v}


def _page_context(page) -> dict:
    return {
        "page": page,
        "numbers": case_numbers(event.case_id for event in page.items),
        "outcome_labels": OUTCOME_LABELS,
    }


@bp.route("/events")
@requires(Action.VIEW_AUDIT)
def events():
    form = EventSearchForm(request.args)
    valid = not request.args or form.validate()
    criteria = _criteria(form) if valid else queries.EventFilter(seq_to=-1)
    record(
        "audit.search",
        actor=current_user,
        object_type="audit_event",
        fields=criteria.used() if valid else [],
        outcome=Outcome.ALLOWED if valid else Outcome.DENIED,
        reason=None if valid else "invalid criteria",
    )
    # The list is read as it was when its first page was shown, newest first: its later pages
    # stay the same while new events (this auditor's own searches among them) are appended.
    asked = id_arg("upto")  # an event's number, bounded like a record id
    upto = asked
    if upto is not None:
        wanted = criteria.seq_to if criteria.seq_to is not None else upto
        criteria = dataclasses.replace(criteria, seq_to=min(wanted, upto))
    page = paginate(queries.search_events(criteria, _zone()))
    if upto is None and page.items:
        upto = page.items[0].seq if page.page == 1 else None
    if valid and criteria.user and not queries.account_exists(criteria.user):
        form.user.description = _(
            "No account has this username or number today: only events recorded under it "
            "are listed."
        )
    search_args = _search_args()
    return render_template(
        "audit/events.html",
        form=form,
        search_args=search_args,
        pager_args={**search_args, "upto": upto} if upto is not None else search_args,
        upto=asked,
        case_ids=criteria.case_ids if valid else None,  # the case the filter was read as
        case_labels=case_numbers(criteria.case_ids or ()) if valid else {},
        may_export=valid and user_may(current_user, Action.EXPORT_AUDIT),  # as export() checks
        **_page_context(page),
    )


@bp.route("/export.csv")
@requires(Action.EXPORT_AUDIT)
def export():
    form = EventSearchForm(request.args)
    if request.args and not form.validate():
        abort(400)
    criteria = _criteria(form)
    zone = _zone()
    # Audited before the first byte is sent: if this event cannot be kept, nothing is exported.
    record("audit.export", actor=current_user, object_type="audit_event", fields=criteria.used())

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for batch in queries.export_batches(criteria, zone):
            numbers = case_numbers(event.case_id for event in batch)
            for event in batch:
                writer.writerow(_csv_row(event, numbers))
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    response = Response(stream_with_context(rows()), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=audit-events.csv"
    return response


def _csv_cell(value) -> str:
    text = "" if value is None else str(value)
    # Spreadsheets run cells that start with these as formulas (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_row(event, numbers: dict[int, str]) -> list[str]:
    values = (
        event.seq,
        event.occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        event.actor_id,
        event.actor_name,
        event.actor_roles,
        event.action,
        event.object_type,
        event.object_id,
        event.case_id,
        numbers.get(event.case_id),
        event.fields,
        event.client_addr,
        event.request_id,
        event.channel,
        str(event.outcome),
        event.reason,
        "1" if event.is_break_glass else "0",
    )
    return [_csv_cell(value) for value in values]


@bp.route("/cases")
@requires(Action.VIEW_AUDIT)
def case_access():
    """Who accessed a case: one line per user, then every event, newest first."""
    form = CaseLookupForm(request.args)
    if not form.case.data:
        record("audit.case_access", actor=current_user, object_type="case")
        return render_template("audit/case_access.html", form=form, case_ids=None)
    if not form.validate():  # too long for a number or id: said under the field
        record(
            "audit.case_access",
            actor=current_user,
            object_type="case",
            outcome=Outcome.DENIED,
            reason="invalid criteria",
        )
        return render_template("audit/case_access.html", form=form, case_ids=None)
    case_ids = case_ids_for(form.case.data)
    record(
        "audit.case_access",
        actor=current_user,
        object_type="case",
        object_id=",".join(map(str, case_ids))[:64] or None,
        outcome=Outcome.ALLOWED if case_ids else Outcome.DENIED,
        reason=None if case_ids else "unknown case",
    )
    page = paginate(queries.search_events(queries.EventFilter(case_ids=case_ids), _zone()))
    return render_template(
        "audit/case_access.html",
        form=form,
        case_ids=case_ids,
        summary=queries.who_accessed(case_ids) if case_ids else [],
        case_labels=case_numbers(case_ids),
        search_args=_search_args(),
        **_page_context(page),
    )


@bp.route("/users/<int:user_id>")
@requires(Action.VIEW_AUDIT)
def user_activity(user_id: int):
    record("audit.user_activity", actor=current_user, object_type="user", object_id=user_id)
    counts, cases, name = queries.user_activity(user_id)
    if name is None and db.session.get(User, user_id) is None:
        abort(404)  # no such user, and no event names that id
    page = paginate(queries.search_events(queries.EventFilter(user=str(user_id)), _zone()))
    return render_template(
        "audit/user_activity.html",
        user_id=user_id,
        username=name,
        counts=counts,
        distinct_cases=cases,
        **_page_context(page),
    )


def _alert_scope(user) -> ColumnElement[bool] | None:
    """Auditors see every alert; supervisors those about users of their units' subtrees, and
    those about cases of those units (a break-glass use by someone from elsewhere)."""
    return alert_scope(user)  # one rule, shared with the home page's counts


def _load_alert(alert_id: int) -> AuditAlert:
    """The alert if the user may see it; 404 otherwise (no existence leak)."""
    scope = _alert_scope(current_user)
    statement = select(AuditAlert).where(AuditAlert.id == alert_id)
    if scope is not None:
        statement = statement.where(scope)
    alert = db.session.scalar(statement)
    if alert is None:
        record(
            "audit.alert_view",
            actor=current_user,
            object_type="audit_alert",
            object_id=alert_id,
            outcome=Outcome.DENIED,
            reason="out of scope",
        )
        abort(404)
    return alert


@bp.route("/alerts")
@requires(Action.REVIEW_ALERTS)
def alerts():
    form = AlertFilterForm(request.args)
    form.validate()  # an unknown status or kind: the default (it was a 500)
    status_value = "open" if form.status.errors else form.status.data or "open"
    status = None if status_value == "all" else AlertStatus(status_value)
    kind = AlertKind(form.kind.data) if form.kind.data and not form.kind.errors else None
    scope = _alert_scope(current_user)
    record("audit.alerts", actor=current_user, object_type="audit_alert")
    page = paginate(queries.alerts(status, kind, scope))
    return render_template(
        "audit/alerts.html",
        form=form,
        page=page,
        open_counts=queries.open_alert_counts(scope),
        numbers=case_numbers(alert.case_id for alert in page.items),
        kind_labels=ALERT_KIND_LABELS,
        status_labels=ALERT_STATUS_LABELS,
        scan_form=ScanForm(),
        search_args=_search_args(),
    )


@bp.route("/alerts/<int:alert_id>")
@requires(Action.REVIEW_ALERTS)
def alert_detail(alert_id: int):
    alert = _load_alert(alert_id)
    record("audit.alert_view", actor=current_user, object_type="audit_alert", object_id=alert.id)
    return _render_alert(alert, ReviewForm())


def _render_alert(alert: AuditAlert, form: ReviewForm):
    return render_template(
        "audit/alert.html",
        alert=alert,
        form=form,
        numbers=case_numbers([alert.case_id]),
        kind_labels=ALERT_KIND_LABELS,
        status_labels=ALERT_STATUS_LABELS,
        may_review=alert.status == AlertStatus.OPEN and alert.actor_id != current_user.id,
        may_view_events=user_may(current_user, Action.VIEW_AUDIT),
    )


@bp.route("/alerts/<int:alert_id>/review", methods=["POST"])
@requires(Action.REVIEW_ALERTS)
def review_alert(alert_id: int):
    alert = _load_alert(alert_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        return _render_alert(alert, form), 400
    try:
        alert_service.review_alert(current_user, alert, form.comment.data)
    except alert_service.AlertError:
        abort(403)
    flash(_("Alert marked as reviewed."), "success")
    return redirect(url_for("audit.alert_detail", alert_id=alert.id))


@bp.route("/alerts/scan", methods=["POST"])
@requires(Action.REVIEW_ALERTS)
def scan_alerts():
    if not ScanForm().validate_on_submit():
        abort(400)
    result = alert_service.scan_for_alerts()
    record("audit.scan", actor=current_user, object_type="audit_alert", reason=f"{result.total}")
    flash(_("%(n)d new alerts.", n=result.total), "info")
    return redirect(url_for("audit.alerts"))
