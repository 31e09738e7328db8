"""API: cases (list with filters and a cursor, read, open, workflow moves) and their notes."""

from __future__ import annotations

import datetime as dt
from typing import Any, NoReturn

from flask_babel import lazy_gettext as _l
from flask_login import current_user

from casemgr.api.access import token_access
from casemgr.api.blueprint import ID, bp
from casemgr.api.common import (
    ETAG_HEADER,
    Refused,
    check_case_date,
    decode_cursor,
    documented,
    encode_cursor,
    etag,
    invalid,
    refuse,
    require_if_match,
)
from casemgr.api.schemas import (
    CaseCreateSchema,
    CaseFilterArgs,
    CaseListSchema,
    CaseSchema,
    CaseUpdateSchema,
    NoteCreateSchema,
    NoteListSchema,
    NoteSchema,
    TransitionSchema,
)
from casemgr.auth.roles import Action
from casemgr.cases import queries, services
from casemgr.cases.dates import CaseDateRefused
from casemgr.cases.models import Case, CaseNote, NoteKind, ProtectionLevel, RiskLevel
from casemgr.cases.policy import CaseAccess, case_access, may_take, may_take_combined
from casemgr.cases.queries import Need
from casemgr.cases.workflow import combined_from, transitions_from
from casemgr.clock import today, utcnow
from casemgr.extensions import db
from casemgr.org.models import Unit
from casemgr.people.access import load_person
from casemgr.people.models import Person
from casemgr.reference import queries as reference
from casemgr.tokens.models import TokenScope
from casemgr.web import validators as v

CASE_EXAMPLE = {
    "id": 7, "number": "C01-2026-0007", "version": 3, "status": "verification",
    "group_code": "child", "protection_level": "support", "risk_level": "medium",
    "unit_id": 3, "owner_id": 12, "person_id": 42, "opened_at": "2026-11-02T03:04:05+00:00",
    "updated_at": "2026-11-03T03:04:05+00:00", "closed_at": None, "closure_reason": None,
    "summary": "Báo tin qua tổng đài 111.", "can_write": True,
    "transitions": ["verify", "close_unfounded"],
}  # fmt: skip


NOTE_EXAMPLE = {
    "id": 9, "kind": "visit", "occurred_on": "2026-12-01", "author_id": 12,
    "created_at": "2026-12-01T03:04:05+00:00", "body": "Thăm gia đình, cháu đã đi học lại.",
}  # fmt: skip


def moves(case: Case, access: CaseAccess) -> list[str]:
    """The workflow moves this user may take now (the case page's buttons)."""
    names = [t.name for t in transitions_from(case.status)
             if may_take(current_user, case, access, t)]  # fmt: skip
    names += [c.name for c in combined_from(case.status)
              if may_take_combined(current_user, case, access, c)]  # fmt: skip
    return names


def case_body(case: Case, access: CaseAccess) -> dict[str, Any]:
    """The case as the API shows it to a reader (who may read its summary)."""
    return {
        "id": case.id,
        "number": case.number,
        "version": case.version,
        "status": str(case.status),
        "group_code": case.group_code,
        "protection_level": str(case.protection_level),
        "risk_level": str(case.risk_level),
        "unit_id": case.unit_id,
        "owner_id": case.owner_id,
        "person_id": case.person_id,
        "opened_at": case.opened_at,
        "updated_at": case.updated_at,
        "closed_at": case.closed_at,
        "closure_reason": case.closure_reason and str(case.closure_reason),
        "summary": case.summary,
        "can_write": access.can_write,
        "transitions": moves(case, access),
    }


@bp.route("/cases", methods=["GET"])
@token_access(TokenScope.READ, Action.VIEW_CASES)
@bp.arguments(CaseFilterArgs, location="query")
@bp.response(
    200,
    CaseListSchema,
    example={
        "items": [
            {
                "id": 7,
                "number": "C01-2026-0007",
                "status": "verification",
                "group_code": "child",
                "risk_level": "medium",
                "unit_id": 3,
                "owner_id": 12,
                "person_id": 42,
                "updated_at": "2026-11-03T03:04:05+00:00",
            }
        ],
        "next_cursor": "djE6Nw",
    },
)
@documented(422)
def list_cases(args: dict[str, Any]):
    """Your caseload and scope, as on the Cases screen, newest first; follow `next_cursor`."""
    after = decode_cursor(args["cursor"])
    # The screen's scoped list of ids (a UNION of the scope's arms), keyed by id for the cursor;
    # the page's cases are loaded by their ids afterwards, as the screen does.
    ids = queries.filtered_caseload(
        current_user, status=args["status"], group=args["group"], risk=args["risk"],
        sort="updated", overdue=args["overdue"],
    )  # fmt: skip
    case_id = ids.selected_columns[0]
    statement = ids.order_by(None).order_by(case_id.desc())
    if after is not None:
        statement = statement.where(case_id < after)
    found = list(db.session.scalars(statement.limit(args["limit"] + 1)))
    page = queries.cases_by_ids(found[: args["limit"]])
    items = [
        {"id": c.id, "number": c.number, "status": str(c.status), "group_code": c.group_code,
         "risk_level": str(c.risk_level), "unit_id": c.unit_id, "owner_id": c.owner_id,
         "person_id": c.person_id, "updated_at": c.updated_at}
        for c in page
    ]  # fmt: skip
    more = len(found) > args["limit"]
    return {"items": items, "next_cursor": encode_cursor(page[-1].id) if more else None}


@bp.route("/cases", methods=["POST"])
@token_access(TokenScope.WRITE, Action.EDIT_CASES)
@bp.arguments(CaseCreateSchema, example={
    "person_id": 42, "unit_id": 3, "group_code": "child", "protection_level": "support",
    "risk_level": "medium", "summary": "Báo tin qua tổng đài 111."})  # fmt: skip
@bp.response(201, CaseSchema, example=CASE_EXAMPLE, headers=ETAG_HEADER)
@documented(409, 422)
def create_case(data: dict[str, Any]):
    """Open a case for a person you may see, in a unit where you work (the New case screen):
    409 when the person already has an open case, unless `confirm_another`."""
    person = load_person(current_user, data["person_id"])
    unit = db.session.get(Unit, data["unit_id"])
    if unit is None:
        invalid("unit_id", _l("You can only work in a unit where you work."))
    if data["group_code"] not in {g.code for g in reference.target_groups()}:
        invalid("group_code", _l("Choose one of the allowed values."))
    if data["group_code"] == "child" and not _child(person):
        invalid("group_code", _l("A child is under %(limit)d; this person is older.",
                                 limit=v.CHILD_AGE_LIMIT))  # fmt: skip
    sub_groups = reference.sub_groups_by_ids(data["sub_group_ids"])
    if len(sub_groups) != len(set(data["sub_group_ids"])):
        invalid("sub_group_ids", _l("Choose sub-groups of the case's own target group."))
    open_cases = queries.open_cases_of(current_user, person.id, data["group_code"])
    if open_cases and not data["confirm_another"]:
        _open_cases(open_cases)
    try:
        case = services.open_case(
            current_user, person=person, group_code=data["group_code"], sub_groups=sub_groups,
            protection_level=ProtectionLevel(data["protection_level"]),
            risk_level=RiskLevel(data["risk_level"]), unit=unit, summary=data["summary"],
        )  # fmt: skip
    except services.CaseError as exc:
        refuse(exc)
    # The opener's access to the case just opened, from the one policy (no second read event:
    # the screen's redirect to the case page is a read of its own).
    access = case_access(current_user, case, None, utcnow())
    return case_body(case, access), 201, {"ETag": etag(case.version)}


def _open_cases(found: queries.OpenCases) -> NoReturn:
    """409: the person already has open cases (the numbers the caller may open, a count of
    those of the same group in caseloads the caller cannot see), as the New case screen warns."""
    extra = {
        "code": "open_cases",
        "detail": str(
            _l(
                "This person already has an open case: `open_cases` lists those you may open, "
                "`elsewhere` counts those of the same group in caseloads you cannot see (ask your "
                "supervisor, who can add you to it). To open another case all the same, send the "
                'request again with "confirm_another": true.'
            )
        ),
        "open_cases": found.numbers,
        "elsewhere": found.hidden,
    }
    raise Refused(409, extra=extra)


def _child(person: Person) -> bool:
    """Whether the person's age suits the child group (the New case screen's rule)."""
    born = dt.date.fromisoformat(person.date_of_birth) if person.date_of_birth else None
    age = v.age_on(born, person.birth_year, today())
    return age is None or age < v.CHILD_AGE_LIMIT


@bp.route(f"/cases/<{ID}:case_id>", methods=["GET"])
@token_access(TokenScope.READ, Action.VIEW_CASES)
@bp.response(200, CaseSchema, example=CASE_EXAMPLE, headers=ETAG_HEADER)
@documented()
def get_case(case_id: int):
    """Read a case in your scope (404 outside it). The ETag is the case's version."""
    case, access = queries.load_case(current_user, case_id)
    return case_body(case, access), {"ETag": etag(case.version)}


@bp.route(f"/cases/<{ID}:case_id>", methods=["PATCH"])
@token_access(TokenScope.WRITE, Action.EDIT_CASES)
@bp.arguments(CaseUpdateSchema, example={"risk_level": "high", "reason": None})
@bp.response(200, CaseSchema, example=CASE_EXAMPLE, headers=ETAG_HEADER)
@documented(409, 422, if_match=True)
def update_case(data: dict[str, Any], case_id: int):
    """Correct a case's classification or summary, as the Edit screen does (If-Match: its ETag)."""
    case, access = queries.load_case(current_user, case_id, Need.WRITE)
    require_if_match(case.version)
    sub_ids = data.get("sub_group_ids")
    sub_groups = case.sub_groups if sub_ids is None else reference.sub_groups_by_ids(sub_ids)
    if sub_ids is not None and len(sub_groups) != len(set(sub_ids)):
        invalid("sub_group_ids", _l("Choose sub-groups of the case's own target group."))
    try:
        services.update_case(
            current_user, case, access, expected_version=case.version,
            risk_level=RiskLevel(data.get("risk_level", case.risk_level)),
            protection_level=ProtectionLevel(data.get("protection_level", case.protection_level)),
            sub_groups=list(sub_groups), summary=data.get("summary", case.summary),
            reason=data["reason"],
        )  # fmt: skip
    except services.CaseError as exc:
        refuse(exc)
    return case_body(case, access), {"ETag": etag(case.version)}


@bp.route(f"/cases/<{ID}:case_id>/transitions", methods=["POST"])
@token_access(TokenScope.WRITE, Action.VIEW_CASES)
@bp.arguments(TransitionSchema, example={"name": "verify", "comment": None})
@bp.response(200, CaseSchema, example=CASE_EXAMPLE, headers=ETAG_HEADER)
@documented(409, 422, if_match=True)
def transition_case(data: dict[str, Any], case_id: int):
    """Take a workflow move listed in the case's `transitions` (If-Match: the case's ETag)."""
    case, access = queries.load_case(current_user, case_id)
    require_if_match(case.version)
    try:
        services.take_move(
            current_user, case, access, data["name"], expected_version=case.version,
            reason=data["comment"], closure_reason=data["closure_reason"],
        )  # fmt: skip
    except services.CaseError as exc:
        refuse(exc, default_field="name")
    return case_body(case, access), {"ETag": etag(case.version)}


def note_body(note: CaseNote) -> dict[str, Any]:
    return {
        "id": note.id, "kind": str(note.kind), "occurred_on": note.occurred_on,
        "author_id": note.author_id, "created_at": note.created_at, "body": note.body,
    }  # fmt: skip


@bp.route(f"/cases/<{ID}:case_id>/notes", methods=["GET"])
@token_access(TokenScope.READ, Action.VIEW_CASES)
@bp.response(200, NoteListSchema, example={"items": [NOTE_EXAMPLE]})
@documented()
def list_notes(case_id: int):
    """The case's current notes, newest first (as on the case page)."""
    case, _access = queries.load_case(current_user, case_id)
    notes = [e.item for e in queries.timeline(case) if e.kind == "note"]
    return {"items": [note_body(n) for n in notes]}


@bp.route(f"/cases/<{ID}:case_id>/notes", methods=["POST"])
@token_access(TokenScope.WRITE, Action.EDIT_CASES)
@bp.arguments(NoteCreateSchema, example={
    "kind": "visit", "occurred_on": "2026-12-01",
    "body": "Thăm gia đình, cháu đã đi học lại."})  # fmt: skip
@bp.response(201, NoteSchema, example=NOTE_EXAMPLE)
@documented(422)
def create_note(data: dict[str, Any], case_id: int):
    """Record a contact or visit note on a case you may change."""
    case, access = queries.load_case(current_user, case_id, Need.WRITE)
    check_case_date(case, "occurred_on", data["occurred_on"])
    try:
        note = services.add_note(
            current_user, case, access, kind=NoteKind(data["kind"]),
            occurred_on=data["occurred_on"], body=data["body"],
        )  # fmt: skip
    except (services.CaseError, CaseDateRefused) as exc:
        refuse(exc)
    return note_body(note), 201
