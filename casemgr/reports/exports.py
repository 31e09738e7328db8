"""Report exports: protected tables as CSV and XLSX, and password-protected lists of people."""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Callable

import msoffcrypto
from flask_babel import lazy_gettext as _l
from msoffcrypto.format.ooxml import OOXMLFile
from openpyxl import Workbook
from sqlalchemy import func

from casemgr.audit import record
from casemgr.auth.models import User
from casemgr.cases.models import Case
from casemgr.cases.queries import visible_cases
from casemgr.cases.workflow import STATUS_LABELS
from casemgr.extensions import db
from casemgr.org.models import Unit
from casemgr.reports.queries import Period
from casemgr.reports.tables import SEX_LABELS, Table

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
    used: set[str] = set()
    for table in tables:
        sheet = workbook.create_sheet(sheet_name(table.sheet_name or table.title, used))
        sheet.append([table.title])
        sheet.append(table.header())
        for label, cells in table.published_rows():
            sheet.append([label, *(int(c) if c.isdigit() else c for c in cells)])
        for note in table.notes:
            sheet.append([note])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


SHEET_NAME_MAX = 31  # Excel's limit on a sheet's name
SHEET_NAME_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def sheet_name(wanted: str, used: set[str]) -> str:
    """A valid sheet name close to `wanted`, unique among `used` (which it joins); Excel
    compares names without case."""
    base = " ".join(wanted.translate(SHEET_NAME_FORBIDDEN).split()).strip("'") or "-"
    name, number = base[:SHEET_NAME_MAX].rstrip(), 1
    while name.casefold() in used:
        number += 1
        suffix = f" ({number})"
        name = base[: SHEET_NAME_MAX - len(suffix)].rstrip() + suffix
    used.add(name.casefold())
    return name


def _refuse_internal(tables: list[Table]) -> None:
    # Real counts (the monitoring view) are never written to a file.
    if any(table.internal for table in tables):
        raise ValueError("an internal monitoring table is never exported")


def record_export(user: User, what: str, file_format: str) -> None:
    """Every export is an audit event: which report and format, never a value."""
    record("report.export", actor=user, object_type="report", reason=f"{what} {file_format}")


# Lists that identify people ------------------------------------------------------------------

MAX_ROWS = 50_000  # one protected workbook; larger lists must be narrowed by the filters


class ListTooLarge(Exception):
    """The list has more cases than one file may hold."""


class ProtectionFailed(Exception):
    """The workbook could not be protected with its password."""


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


def person_list_workbook(
    user: User,
    period: Period,
    group: str | None,
    password: str,
    limit: int = MAX_ROWS,
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """The password-protected list of the people whose cases the user sees, opened or active
    in the period (run by a background job, in the user's language)."""
    statement = person_list_statement(user, period, group)
    total = db.session.scalar(
        statement.order_by(None).with_only_columns(func.count(Case.id.distinct()))
    )
    if progress is not None:
        progress(0, total)
    if total > limit:
        raise ListTooLarge()
    cases = list(db.session.scalars(statement))
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_name(str(_l("People")), set())
    sheet.append(
        [
            str(_l("Case")),
            str(_l("Full name")),
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
        if progress is not None and done % 500 == 0:
            progress(done, total)
    plain = io.BytesIO()
    workbook.save(plain)
    plain.seek(0)
    encrypted = io.BytesIO()
    try:
        OOXMLFile(plain).encrypt(password, encrypted)
    except Exception as error:
        raise ProtectionFailed() from error
    if progress is not None:
        progress(len(cases), total)
    return encrypted.getvalue()


def decrypt_xlsx(data: bytes, password: str) -> bytes:
    """Open a protected export (tests and support staff use it)."""
    office = msoffcrypto.OfficeFile(io.BytesIO(data))
    office.load_key(password=password)
    plain = io.BytesIO()
    office.decrypt(plain)
    return plain.getvalue()
