"""Report exports: protected tables as CSV and XLSX, and password-protected lists of people."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import re
import secrets
import threading
import traceback
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import msoffcrypto
from flask import Flask, abort, current_app, has_request_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from msoffcrypto.format.ooxml import OOXMLFile
from openpyxl import Workbook
from sqlalchemy import func

from casemgr.audit import record
from casemgr.auth.models import User
from casemgr.cases.models import Case
from casemgr.cases.queries import visible_cases
from casemgr.cases.workflow import STATUS_LABELS
from casemgr.clock import utcnow
from casemgr.extensions import db
from casemgr.org.models import Unit
from casemgr.reports.queries import Period
from casemgr.reports.tables import SEX_LABELS, Table

log = logging.getLogger(__name__)

JOB_ID = re.compile(r"[A-Za-z0-9_-]{16,64}\Z")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_csv(table: Table) -> bytes:
    """The published table as CSV (UTF-8 with a BOM, so spreadsheet programs read diacritics)."""
    _refuse_internal([table])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([table.title])
    writer.writerow(table.header())
    for label, cells in table.published_rows():
        writer.writerow([label, *cells])
    for note in table.notes:
        writer.writerow([note])
    return ("\ufeff" + buffer.getvalue()).encode()


def table_xlsx(tables: list[Table]) -> bytes:
    """The published tables as one workbook, a sheet each; hidden cells are text ("<5", "x")."""
    _refuse_internal(tables)
    workbook = Workbook()
    workbook.remove(workbook.active)
    for number, table in enumerate(tables, start=1):
        sheet = workbook.create_sheet(f"{number}")
        sheet.append([table.title])
        sheet.append(table.header())
        for label, cells in table.published_rows():
            sheet.append([label, *(int(c) if c.isdigit() else c for c in cells)])
        for note in table.notes:
            sheet.append([note])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _refuse_internal(tables: list[Table]) -> None:
    # Real counts (the monitoring view) are never written to a file.
    if any(table.internal for table in tables):
        raise ValueError("an internal monitoring table is never exported")


def record_export(user: User, what: str, file_format: str) -> None:
    """Every export is an audit event: which report and format, never a value."""
    record("report.export", actor=user, object_type="report", reason=f"{what} {file_format}")


# Lists that identify people ------------------------------------------------------------------

RUNNING, DONE, FAILED = "running", "done", "failed"
# Why a job failed, as a code in its state file and a sentence in the user's language on its
# page. Neither holds a value from the data, the password or an exception's message.
FAILURE_REASONS = {
    "too_large": _l(
        "The list has more cases than one file may hold. Choose a shorter period or one "
        "target group, and try again."
    ),
    "storage": _l("The file could not be saved on the server. Please try again later."),
    "encryption": _l("The file could not be protected with its password. Please try again."),
    "interrupted": _l(
        "The export stopped before it finished (the server may have restarted). Please try again."
    ),
    "internal": _l("The export failed because of an error in the application. Please try again."),
}
STALE_MINUTES = 10  # a running job not heard from for this long has died with its thread
MAX_ROWS = 50_000  # one protected workbook; larger lists must be narrowed by the filters


class JobFailure(Exception):
    """A job ends as failed for a reason the user can act on (a FAILURE_REASONS code)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Job:
    """A person-list export running in the background; its state is a JSON file beside it."""

    id: str
    folder: Path

    @property
    def state_file(self) -> Path:
        return self.folder / f"{self.id}.json"

    @property
    def data_file(self) -> Path:
        return self.folder / f"{self.id}.xlsx"

    def state(self) -> dict | None:
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return None

    def write(self, **changes) -> None:
        state = (self.state() or {}) | changes | {"updated_at": utcnow().isoformat()}
        temporary = self.state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(state))
        temporary.replace(self.state_file)  # readers never see half a file

    def fail(self, reason: str) -> None:
        """End the job as failed, with a reason code (never a value or a message)."""
        self.write(status=FAILED, reason=reason if reason in FAILURE_REASONS else "internal")

    def current_state(self, now: dt.datetime | None = None) -> dict:
        """The state, with a running job that has not moved for STALE_MINUTES ended as
        failed: its thread died with its process, and the job must end all the same."""
        state = self.state() or {}
        if state.get("status") == RUNNING:
            moved = dt.datetime.fromisoformat(state.get("updated_at") or state["started_at"])
            if (now or utcnow()) - moved > dt.timedelta(minutes=STALE_MINUTES):
                self.fail("interrupted")
                state = self.state() or {}
        return state


def failure_message(state: dict) -> str:
    """The sentence that tells the user why their job failed, in their language."""
    return str(FAILURE_REASONS.get(state.get("reason") or "", FAILURE_REASONS["internal"]))


def export_folder(app: Flask) -> Path:
    folder = Path(app.config.get("REPORTS_EXPORT_DIR") or Path(app.instance_path) / "exports")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def find_job(user: User, job_id: str | None) -> Job | None:
    """The user's own job by id (None for a malformed, unknown or someone else's id)."""
    if not job_id or not JOB_ID.match(job_id):
        return None
    remove_expired(current_app)  # an expired file is gone before anyone can ask for it
    job = Job(job_id, export_folder(current_app))
    state = job.state()
    if state is None or state.get("user_id") != user.id:
        return None
    return job


def refuse_job(user: User) -> NoReturn:
    """404 for an unknown, expired or someone else's export, recorded like any refusal."""
    record(
        "report.export", actor=user, object_type="report", outcome="denied", reason="unknown job"
    )
    abort(404)


def remove_expired(app: Flask, now: dt.datetime | None = None) -> int:
    """Delete every export whose download window has passed (runs before each new export)."""
    now = now or utcnow()
    removed = 0
    for state_file in export_folder(app).glob("*.json"):
        job = Job(state_file.stem, state_file.parent)
        state = job.state() or {}
        expires = state.get("expires_at")
        if expires and dt.datetime.fromisoformat(expires) <= now:
            job.data_file.unlink(missing_ok=True)
            state_file.unlink(missing_ok=True)
            removed += 1
    return removed


def start_person_list(user: User, period: Period, group: str | None) -> tuple[Job, str]:
    """Start a password-protected list of the people whose cases the user sees, opened or
    active in the period. Returns the job and the password, which is shown once and kept
    nowhere: the background thread gets it as an argument and forgets it when it ends."""
    app = current_app._get_current_object()
    remove_expired(app)
    password = generate_password()
    job = Job(secrets.token_urlsafe(24), export_folder(app))
    minutes = app.config.get("REPORTS_EXPORT_MINUTES", 30)
    now = utcnow()
    job.write(
        user_id=user.id,
        status=RUNNING,
        done=0,
        total=0,
        started_at=now.isoformat(),
        expires_at=(now + dt.timedelta(minutes=minutes)).isoformat(),
    )
    record(
        "report.export",
        actor=user,
        object_type="report",
        reason="person list xlsx (password protected)",
    )
    run: Callable = app.config.get("REPORTS_EXPORT_RUNNER") or _in_thread
    # Everything the job needs is read now, as plain values: in its thread there is no
    # request, so `current_user` (which `user` may be) is no one there.
    user_id, locale = user.id, _locale()
    limit = int(app.config.get("REPORTS_PERSON_LIST_MAX_ROWS", MAX_ROWS))

    def work() -> None:
        _write_person_list(app, job, user_id, period, group, password, locale, limit)

    run(app, lambda: run_job(job, work))
    return job, password


def run_job(job: Job, work: Callable[[], None]) -> None:
    """Run a job's work so that it always ends: done by the work, or failed with a reason.

    The log gets the reason, the exception's type and where it was raised, never its message
    (it could quote a value)."""
    try:
        work()
    except Exception as error:  # any failure must reach the user as "failed"
        reason = error.reason if isinstance(error, JobFailure) else "internal"
        cause = error.__cause__ or error  # a JobFailure names the error it stands for
        frames = traceback.extract_tb(cause.__traceback__)
        where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
        log.error("person-list export failed: %s (%s at %s)", reason, type(cause).__name__, where)
        job.fail(reason)
    finally:
        if (job.state() or {}).get("status") == RUNNING:
            job.fail("internal")


def _locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "vi")


def _in_thread(app: Flask, work: Callable[[], None]) -> threading.Thread:
    def target() -> None:
        try:
            work()
        finally:
            with app.app_context():
                db.session.remove()  # the thread's own session, not a request's

    thread = threading.Thread(target=target, name="report-export", daemon=True)
    thread.start()
    return thread


def generate_password() -> str:
    """A password a person can type: 4 groups of 4 letters and digits (~80 bits)."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


def person_list_statement(user: User, period: Period, group: str | None):
    """The cases listed: the user's scope, active at some time in the period."""
    start, end = period.bounds()
    statement = visible_cases(user).where(
        Case.opened_at < end, (Case.closed_at.is_(None)) | (Case.closed_at >= start)
    )
    if group:
        statement = statement.where(Case.group_code == group)
    return statement.order_by(Unit.code, Case.number)


def _write_person_list(
    app: Flask,
    job: Job,
    user_id: int,
    period: Period,
    group: str | None,
    password: str,
    locale: str,
    limit: int,
) -> None:
    # A thread has no request: it opens its own contexts (and session). Run inline (tests),
    # it keeps the request's: a new app context would end the request's session on exit.
    contexts = nullcontext() if has_request_context() else app.test_request_context()
    with contexts, force_locale(locale):
        user = db.session.get(User, user_id)
        statement = person_list_statement(user, period, group)
        total = db.session.scalar(
            statement.order_by(None).with_only_columns(func.count(Case.id.distinct()))
        )
        job.write(total=total)
        if total > limit:
            raise JobFailure("too_large")
        cases = list(db.session.scalars(statement))
        workbook = Workbook()
        sheet = workbook.active
        sheet.append(
            [
                str(_l("Case")),
                str(_l("Name")),
                str(_l("Sex")),
                str(_l("Birth year")),
                str(_l("Target group")),
                str(_l("Status")),
                str(_l("Unit")),
            ]
        )
        for done, case in enumerate(cases, start=1):
            person = case.person
            sex = person.sex.value if person.sex else "unknown"
            sheet.append(
                [
                    case.number,
                    person.display_name(),
                    str(SEX_LABELS.get(sex, sex)),
                    person.birth_year,
                    case.group.label,
                    str(STATUS_LABELS[case.status]),
                    case.unit.name,
                ]
            )
            if done % 500 == 0:
                job.write(done=done)
        plain = io.BytesIO()
        workbook.save(plain)
        plain.seek(0)
        encrypted = io.BytesIO()
        try:
            OOXMLFile(plain).encrypt(password, encrypted)
        except Exception as error:
            raise JobFailure("encryption") from error
        try:
            job.data_file.write_bytes(encrypted.getvalue())
            job.data_file.chmod(0o600)
        except OSError as error:
            raise JobFailure("storage") from error
        job.write(status=DONE, done=len(cases))


def decrypt_xlsx(data: bytes, password: str) -> bytes:
    """Open a protected export (tests and support staff use it)."""
    office = msoffcrypto.OfficeFile(io.BytesIO(data))
    office.load_key(password=password)
    plain = io.BytesIO()
    office.decrypt(plain)
    return plain.getvalue()
