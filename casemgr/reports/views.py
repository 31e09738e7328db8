"""Report pages: the provincial tables and charts, their exports, and protected person lists."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casemgr.auth.roles import Action
from casemgr.reports import exports, filters, services
from casemgr.reports.tables import DIMENSION_LABELS, MEASURE_LABELS
from casemgr.web.access import requires, user_may

bp = Blueprint("reports", __name__, url_prefix="/reports")

PER_PAGE = 25
SVG_TYPE = "image/svg+xml"


def _asked():
    groups = services.target_groups()
    report, query = filters.parse(request.args, {g.code for g in groups})
    return report, query, groups


@bp.get("/")
@requires(Action.VIEW_REPORTS)
def index():
    report, query, groups = _asked()
    table = services.report_table(current_user, report, query)
    return render_template(
        "reports/index.html",
        **_page_of(table, report, query, groups),
        targets=services.targets_table(current_user, query.period.year),
        may_list_people=user_may(current_user, Action.EXPORT_PERSON_LISTS),
        has_trend=services.has_trend(table),
    )


@bp.get("/monitoring")
@requires(Action.VIEW_REPORTS)
def monitoring():
    # Real counts for the viewer's own scope: internal, so no chart, no export link, no file.
    report, query, groups = _asked()
    table = services.monitoring_table(current_user, report, query)
    return render_template("reports/monitoring.html", **_page_of(table, report, query, groups))


def _page_of(table, report: str, query, groups) -> dict:
    """What the report and monitoring pages share: the table's page of rows and the filters."""
    page = max(1, request.args.get("page", 1, type=int) or 1)
    n_rows = len(table.row_keys)
    pages = max(1, -(-n_rows // PER_PAGE))
    page = min(page, pages)
    return {
        "table": table,
        "shown": range((page - 1) * PER_PAGE, min(n_rows, page * PER_PAGE)),
        "page": page,
        "pages": pages,
        "args": filters.query_args(report, query),
        "report": report,
        "query": query,
        "groups": groups,
        "reports": [
            (r, MEASURE_LABELS.get(r) or _("Deadline compliance")) for r in filters.REPORTS
        ],
        "dimensions": [(d.value, DIMENSION_LABELS[d]) for d in filters.CHOOSABLE],
    }


@bp.get("/chart.svg")
@requires(Action.VIEW_REPORTS)
def chart():
    report, query, _groups = _asked()
    table = services.report_table(current_user, report, query)
    return Response(services.bar_svg(table), mimetype=SVG_TYPE)


@bp.get("/trend.svg")
@requires(Action.VIEW_REPORTS)
def trend():
    report, query, _groups = _asked()
    table = services.report_table(current_user, report, query)
    return Response(services.trend_svg(table), mimetype=SVG_TYPE)


@bp.get("/export")
@requires(Action.VIEW_REPORTS)
def export():
    report, query, _groups = _asked()
    file_format = request.args.get("format", "csv")
    if file_format == "csv":
        table = services.report_table(current_user, report, query)
        data, mimetype = exports.table_csv(table), "text/csv"
    elif file_format == "xlsx":
        data, mimetype = (
            exports.table_xlsx([services.report_table(current_user, report, query)]),
            exports.XLSX_TYPE,
        )
    elif file_format == "full.xlsx":
        data, mimetype = (
            exports.table_xlsx(services.all_tables(current_user, query)),
            exports.XLSX_TYPE,
        )
        report = "provincial"
    else:
        abort(404)
    exports.record_export(current_user, report, file_format)
    extension = "csv" if file_format == "csv" else "xlsx"
    name = f"report-{report}-{query.period.year}.{extension}"
    return Response(
        data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.post("/person-list")
@requires(Action.EXPORT_PERSON_LISTS)
def person_list():
    # The filters come from the form the report page posts (the same names as its GET).
    if request.form.get("confirm") != "1":
        abort(400)  # the user must acknowledge that the list names people
    groups = services.target_groups()
    _report, query = filters.parse(request.form, {g.code for g in groups})
    job, password = exports.start_person_list(current_user, query.period, query.group)
    # The password is in this page only: never in a URL, a log or the audit trail.
    return render_template(
        "reports/person_list_started.html",
        password=password,
        status_url=url_for("reports.export_status", job=job.id),
    )


@bp.get("/exports/status")
@requires(Action.EXPORT_PERSON_LISTS)
def export_status():
    job = exports.find_job(current_user, request.args.get("job"))
    if job is None:
        exports.refuse_job(current_user)
    state = job.current_state()
    response = Response(
        render_template(
            "reports/export_status.html",
            job=job,
            state=state,
            failure=exports.failure_message(state) if state.get("status") == exports.FAILED else "",
        )
    )
    if state.get("status") == exports.RUNNING:
        # The page reloads itself while the export runs: an HTTP refresh, no script.
        response.headers["Refresh"] = "2"
    return response


@bp.get("/exports/download")
@requires(Action.EXPORT_PERSON_LISTS)
def export_download():
    job = exports.find_job(current_user, request.args.get("job"))
    if (
        job is None
        or (job.state() or {}).get("status") != exports.DONE
        or not job.data_file.exists()
    ):
        exports.refuse_job(current_user)
    exports.record_export(current_user, "person list", "download")
    return send_file(
        job.data_file,
        mimetype=exports.XLSX_TYPE,
        as_attachment=True,
        download_name="person-list.xlsx",
        max_age=0,
    )
