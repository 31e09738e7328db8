"""Job pages: a job's progress and file for the user who started it; administrators' overview."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from casemgr.auth.roles import Action
from casemgr.extensions import db
from casemgr.jobs import duties, kinds, queue, services, wording
from casemgr.jobs.forms import KeyWorkForm, RetryForm
from casemgr.jobs.models import Job, JobStatus
from casemgr.web.access import requires, signed_in, user_may
from casemgr.web.forms import field_error

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

KIND_LABELS = {
    "person_list": _l("Protected list"),
    "report_workbook": _l("Full provincial report"),
    "rewrap_keys": _l("Re-wrapping data keys"),
    "reindex": _l("Filling search indexes under a new key"),
    "erasure": _l("Erasure of a person"),
}
REASON_LABELS = {
    "too_large": _l(
        "The list has more cases than one file may hold. Choose a shorter period or one "
        "target group, and try again."
    ),
    "encryption": _l("The file could not be protected with its password. Please try again."),
    "interrupted": _l(
        "The work stopped before it finished (the worker stopped) and could not be resumed. "
        "Please try again."
    ),
    "internal": _l("The work failed because of an error in the application. Please try again."),
    "not_allowed": _l("You are no longer allowed to do this."),
    services.NOTHING_TO_DO: _l("There was nothing to do: no key was waiting for this work."),
}
DUTY_LABELS = {
    "alert_scan": _l("Audit alert scan"),
    "checkpoint": _l("Audit checkpoint"),
    "verify": _l("Full audit chain verification"),
    "reminders": _l("Deadline reminders"),
    "purge_files": _l("Removal of expired files"),
    "end_expired": _l("End of expired emergency access and sessions"),
    "recover_jobs": _l("Recovery of interrupted jobs"),
    "analyze": _l("Query planner statistics"),
}
NO_KEY_PENDING = _l(
    "There is nothing to do: no key is waiting for this work. An operator adds the new key "
    "with the command line first."
)
STATUS_LABELS = {
    JobStatus.QUEUED: _l("Waiting for a worker"),
    JobStatus.RUNNING: _l("Running"),
    JobStatus.DONE: _l("Done"),
    JobStatus.FAILED: _l("Failed"),
}


def _own(key: str) -> Job:
    job = services.own_job(current_user, key)
    if job is None:
        abort(404)  # unknown or someone else's: the same answer
    return job


@bp.get("/<key>")
@signed_in
def detail(key: str):
    job = _own(key)
    response = Response(
        render_template(
            "jobs/detail.html",
            job=job,
            stored=services.live_file(job),
            kind_labels=KIND_LABELS,
            status_labels=STATUS_LABELS,
            reason=REASON_LABELS.get(job.reason or "", REASON_LABELS["internal"]),
            nothing_to_do=job.reason == services.NOTHING_TO_DO,
            background=job.kind in (kinds.REWRAP_KEYS, kinds.REINDEX)
            and user_may(current_user, Action.MANAGE_BACKGROUND_WORK),
        )
    )
    if job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
        # The page reloads itself while the job runs: an HTTP refresh, no script.
        response.headers["Refresh"] = "2"
    return response


@bp.get("/<key>/download")
@signed_in
def download(key: str):
    job = _own(key)
    stored = services.live_file(job)
    if stored is None:
        abort(404)  # not done, expired and purged, or nothing to download
    data = services.download(current_user, job, stored)
    return Response(
        data,
        mimetype=stored.mimetype,
        headers={"Content-Disposition": f'attachment; filename="{stored.name}"'},
    )


@bp.get("/background")
@requires(Action.MANAGE_BACKGROUND_WORK)
def background():
    return _overview(KeyWorkForm(formdata=None))


def _overview(key_form: KeyWorkForm, status: int = 200):
    """Queue length, each duty's last run, failed jobs with their reason, the key-work form."""
    runs = duties.last_runs()
    page = render_template(
        "jobs/background.html",
        broker=queue.broker_name(),
        queue_length=queue.queue_length(),
        duties=[
            (duty.name, DUTY_LABELS[duty.name], wording.period(duties.period_minutes(duty)), run)
            for duty in duties.DUTIES
            for run in [runs.get(duty.name)]
        ],
        duty_outcome=wording.duty_outcome,
        failed=services.failed_jobs(),
        kind_labels=KIND_LABELS,
        reason_labels=REASON_LABELS,
        retry_form=RetryForm(formdata=None),
        key_form=key_form,
    )
    return page, status


@bp.post("/background/retry")
@requires(Action.MANAGE_BACKGROUND_WORK)
def retry():
    form = RetryForm()
    if not form.validate_on_submit():
        abort(400)
    job = db.session.get(Job, form.job_id.data)
    if job is None:
        abort(404)
    if services.retry_job(current_user, job):
        flash(_("The job was sent to the queue again."), "success")
    else:
        flash(_("Only a failed job can be tried again."), "warning")
    return redirect(url_for("jobs.background"))


@bp.post("/background/key-work")
@requires(Action.MANAGE_BACKGROUND_WORK)
def key_work():
    form = KeyWorkForm()
    if not form.validate_on_submit():
        return _overview(form, 400)
    if not kinds.key_work_pending(form.kind.data):
        field_error(form.kind, NO_KEY_PENDING)
        return _overview(form, 400)
    job = services.start_job(current_user, form.kind.data, {})
    return redirect(url_for("jobs.detail", key=job.key))
