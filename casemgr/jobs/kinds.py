"""The kinds of jobs: each wraps an existing service of its domain and reports progress.

person_list and report_workbook (reports), rewrap_keys and reindex (crypto.rotation: both
resumable, since they pick up what is not yet done), erasure (people, once confirmed).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack

from flask import current_app, has_request_context
from flask_babel import force_locale
from sqlalchemy import delete, select

from casemgr.auth.models import User
from casemgr.auth.roles import PERMISSIONS, Action
from casemgr.crypto import rotation
from casemgr.extensions import db
from casemgr.jobs.models import Job, JobFile
from casemgr.jobs.runner import Progress, job_kind
from casemgr.jobs.services import JobFailure, NothingToDo, Output, job_params, job_secret
from casemgr.people import services as people_services
from casemgr.people.models import ErasureRequest
from casemgr.reports import exports, forms
from casemgr.reports import services as report_services

PERSON_LIST, REPORT_WORKBOOK = "person_list", "report_workbook"
REWRAP_KEYS, REINDEX, ERASURE = "rewrap_keys", "reindex", "erasure"
BATCH = 1000


def _owner(job: Job, action: Action | None = None) -> User:
    """The user who started the job, if they still may (disabled since, or role withdrawn)."""
    user = db.session.get(User, job.user_id) if job.user_id else None
    allowed = action is None or any(action in PERMISSIONS[r] for r in user.role_set() if user)
    if user is None or not user.is_enabled or not allowed:
        raise JobFailure("not_allowed")
    return user


def _in_language(job: Job) -> ExitStack:
    # Labels in the file are in the language of the user who asked; a worker has no request.
    stack = ExitStack()
    if not has_request_context():
        stack.enter_context(current_app.test_request_context())
    stack.enter_context(force_locale(job_params(job).get("locale", "vi")))
    return stack


def _query(job: Job):
    # The filters were valid when the job started; refused now, the job fails rather than
    # build a report that was not asked for.
    try:
        return forms.parse(job_params(job).get("filters", {}), report_services.target_groups())
    except forms.InvalidFilters:
        raise JobFailure("internal") from None


@job_kind(PERSON_LIST)
def person_list(job: Job, progress: Progress) -> Output:
    user = _owner(job, Action.EXPORT_PERSON_LISTS)
    password = job_secret(job)
    if password is None:  # purged: a retry a day later cannot protect the file any more
        raise JobFailure("interrupted")
    _report, query = _query(job)
    limit = int(current_app.config.get("REPORTS_PERSON_LIST_MAX_ROWS", exports.MAX_ROWS))
    with _in_language(job):
        try:
            data = exports.person_list_workbook(
                user, query.period, query.group, password, limit, progress
            )
        except exports.ListTooLarge:
            raise JobFailure("too_large") from None
        except exports.ProtectionFailed as error:
            raise JobFailure("encryption") from error
    minutes = current_app.config.get("REPORTS_EXPORT_MINUTES", 30)
    return Output("person-list.xlsx", exports.XLSX_TYPE, data, minutes)


@job_kind(REPORT_WORKBOOK)
def report_workbook(job: Job, progress: Progress) -> Output:
    """The full provincial report: every table of the period in one workbook."""
    user = _owner(job, Action.VIEW_REPORTS)
    _report, query = _query(job)
    with _in_language(job):
        total = report_services.full_report_size()
        built = []

        def one_more() -> None:
            built.append(1)
            progress(len(built), total)

        tables = report_services.all_tables(user, query, on_table=one_more)
        data = exports.table_xlsx(tables)
    minutes = current_app.config.get("REPORTS_EXPORT_MINUTES", 30)
    name = f"report-provincial-{query.period.year}.xlsx"
    return Output(name, exports.XLSX_TYPE, data, minutes)


def _committer() -> Callable[[], None]:
    """Commit each batch in a worker (resumable); only flush in immediate mode (the caller's
    transaction, tests)."""
    from casemgr.jobs.queue import huey

    return db.session.flush if huey.immediate else db.session.commit


@job_kind(REWRAP_KEYS)
def rewrap_keys(job: Job, progress: Progress) -> None:
    """Re-wrap the data keys left on an older master key (after `keys rotate` added one)."""
    _owner(job, Action.MANAGE_BACKGROUND_WORK)
    ring = current_app.extensions["casemgr.keyring"]
    ring.refresh()  # the new master key is in the key file since this worker started
    total = rotation.pending_rewrap(db.session, ring)
    if total == 0:
        raise NothingToDo
    done = [0]

    def batch(count: int) -> None:
        done[0] += count
        progress(done[0], total)

    progress(0, total)
    rotation.rewrap_all(db.session, ring, batch_size=BATCH, commit=_committer(), on_batch=batch)


@job_kind(REINDEX)
def reindex(job: Job, progress: Progress) -> None:
    """Fill the blind indexes under the pending index key (after `keys rotate-index`)."""
    _owner(job, Action.MANAGE_BACKGROUND_WORK)
    ring = current_app.extensions["casemgr.keyring"]
    ring.refresh()
    pending = ring.pending_index
    if pending is None:
        raise NothingToDo
    total = rotation.index_rows_total(db.session)
    done = [0]

    def batch(count: int) -> None:
        done[0] += count
        progress(done[0], total)

    progress(0, total)
    rotation.reindex_all(
        db.session, ring, pending.id, batch_size=BATCH, commit=_committer(), on_batch=batch
    )


def key_work_pending(kind: str) -> bool:
    """Whether a kind of key work has something to do (the form refuses a start otherwise)."""
    ring = current_app.extensions["casemgr.keyring"]
    ring.refresh()  # the operator changed the key file since this process started
    if kind == REINDEX:
        return ring.pending_index is not None
    return rotation.pending_rewrap(db.session, ring) > 0


@job_kind(ERASURE)
def erasure(job: Job, progress: Progress) -> None:
    """Carry out a confirmed erasure, and drop every person list still downloadable (one
    could name the person; they are sealed under the app's key, not the person's)."""
    actor = _owner(job, Action.CONFIRM_ERASURE)
    request = db.session.get(ErasureRequest, job_params(job).get("request_id"))
    if request is None:
        raise JobFailure("internal")
    progress(0, 1)
    people_services.carry_out_erasure(actor, request)
    lists = select(Job.id).where(Job.kind == PERSON_LIST)
    db.session.execute(delete(JobFile).where(JobFile.job_id.in_(lists)))
    progress(1, 1)
