"""Report pages: the provincial tables and charts, their exports, and protected person lists."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user

from casemgr.auth.roles import Action
from casemgr.jobs import kinds
from casemgr.jobs import services as job_services
from casemgr.reports import exports, filters, forms, services
from casemgr.web.access import requires, user_may
from casemgr.web.pagination import requested_page

bp = Blueprint("reports", __name__, url_prefix="/reports")

PER_PAGE = 25
SVG_TYPE = "image/svg+xml"


def _asked(source=None) -> forms.Asked:
    """The filters of the query string (or of `source`, a posted form with the same names)."""
    return forms.read(request.args if source is None else source, services.target_groups())


@bp.get("/")
@requires(Action.VIEW_REPORTS)
def index():
    return _index_page()


def _index_page(source=None, *, unconfirmed: bool = False):
    """The report page for the filters in `source` (the query string by default); a person
    list asked for without its confirmation comes back with the message under the box."""
    asked = _asked(source)
    if not asked.valid:
        return _refused(asked)
    report, query = asked.report, asked.query
    table = services.report_table(current_user, report, query)
    return render_template(
        "reports/index.html",
        **_page_of(table, asked),
        targets=services.targets_table(current_user, query.period.year),
        may_list_people=user_may(current_user, Action.EXPORT_PERSON_LISTS),
        has_trend=services.has_trend(table),
        unconfirmed=unconfirmed,
    ), (400 if unconfirmed else 200)


def _refused(asked: forms.Asked, template: str = "reports/index.html"):
    """Filters that do not validate: the page again with the message under each refused field
    and the user's choices kept, and no table (nor chart, file or list) built from a guess.
    The charts' and exports' addresses answer the same page: they take the same filters."""
    return render_template(
        template,
        **_page_of(None, asked),
        targets=None,
        may_list_people=False,
        has_trend=False,
        unconfirmed=False,
    ), 400


@bp.get("/monitoring")
@requires(Action.VIEW_REPORTS)
def monitoring():
    # Real counts for the viewer's own scope: internal, so no chart, no export link, no file.
    asked = _asked()
    if not asked.valid:
        return _refused(asked, "reports/monitoring.html")
    table = services.monitoring_table(current_user, asked.report, asked.query)
    return render_template("reports/monitoring.html", **_page_of(table, asked))


def _page_of(table, asked: forms.Asked) -> dict:
    """What the report and monitoring pages share: the table's page of rows and the filters
    (no table when the filters were refused)."""
    rows = table.shown_rows() if table is not None else []
    pages = max(1, -(-len(rows) // PER_PAGE))
    page = min(requested_page(), pages)
    return {
        "table": table,
        "shown": rows[(page - 1) * PER_PAGE : page * PER_PAGE],
        "page": page,
        "pages": pages,
        "args": filters.query_args(asked.report, asked.query) if asked.valid else {},
        "query": asked.query,
        "form": asked.form,
        "year_range": (filters.YEAR_MIN, filters.YEAR_MAX),
    }


@bp.get("/chart.svg")
@requires(Action.VIEW_REPORTS)
def chart():
    asked = _asked()
    if not asked.valid:
        return _refused(asked)
    table = services.report_table(current_user, asked.report, asked.query)
    return Response(services.bar_svg(table), mimetype=SVG_TYPE)


@bp.get("/trend.svg")
@requires(Action.VIEW_REPORTS)
def trend():
    asked = _asked()
    if not asked.valid:
        return _refused(asked)
    table = services.report_table(current_user, asked.report, asked.query)
    return Response(services.trend_svg(table), mimetype=SVG_TYPE)


@bp.get("/export")
@requires(Action.VIEW_REPORTS)
def export():
    asked = _asked()
    if not asked.valid:
        return _refused(asked)
    report, query = asked.report, asked.query
    file_format = request.args.get("format", "csv")
    if file_format == "csv":
        table = services.report_table(current_user, report, query)
        data, mimetype = exports.table_csv(table), "text/csv"
    elif file_format == "xlsx":
        data, mimetype = (
            exports.table_xlsx([services.report_table(current_user, report, query)]),
            exports.XLSX_TYPE,
        )
    else:
        abort(404)
    exports.record_export(current_user, report, file_format)
    extension = "csv" if file_format == "csv" else "xlsx"
    name = f"report-{report}-{query.period.year}.{extension}"
    return Response(
        data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def _job_params(asked: forms.Asked) -> dict:
    return {
        "filters": filters.query_args(asked.report, asked.query),
        "locale": str(get_locale() or "vi"),
    }


@bp.post("/full-report")
@requires(Action.VIEW_REPORTS)
def full_report():
    # The full provincial report is long work: a background job builds the workbook.
    asked = _asked(request.form)
    if not asked.valid:
        return _refused(asked)
    job = job_services.start_job(current_user, kinds.REPORT_WORKBOOK, _job_params(asked))
    exports.record_export(current_user, "provincial", "full.xlsx")
    return redirect(url_for("jobs.detail", key=job.key))


@bp.post("/person-list")
@requires(Action.EXPORT_PERSON_LISTS)
def person_list():
    # The filters come from the form the report page posts (the same names as its GET).
    asked = _asked(request.form)
    if not asked.valid:
        return _refused(asked)
    if request.form.get("confirm") != "1":  # the user must acknowledge that it names people
        return _index_page(request.form, unconfirmed=True)
    password = exports.generate_password()
    job = job_services.start_job(
        current_user, kinds.PERSON_LIST, _job_params(asked), secret=password
    )
    exports.record_export(current_user, "person list", "xlsx (password protected)")
    # Post-redirect-get: a reload of the page that shows the password starts no other job.
    return redirect(url_for("reports.person_list_started", key=job.key))


@bp.get("/person-list/<key>")
@requires(Action.EXPORT_PERSON_LISTS)
def person_list_started(key: str):
    # The password is in this page only, once: never in a URL, a log, a cookie or the audit
    # trail (the job's row keeps it sealed until it is shown and the file is written).
    job = job_services.own_job(current_user, key)
    if job is None or job.kind != kinds.PERSON_LIST:
        abort(404)
    return render_template(
        "reports/person_list_started.html",
        password=job_services.show_secret_once(job),
        status_url=url_for("jobs.detail", key=job.key),
    )
