"""API: persons (register, read, search through the blind indexes), over the people services."""

from __future__ import annotations

import datetime as dt
from typing import Any, NoReturn

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import Conflict, NotFound

from casemgr.api.access import token_access
from casemgr.api.blueprint import ID, bp
from casemgr.api.common import (
    ETAG_HEADER,
    Refused,
    documented,
    etag,
    invalid,
    refuse,
    require_if_match,
)
from casemgr.api.schemas import (
    PersonCreateSchema,
    PersonListSchema,
    PersonSchema,
    PersonSearchSchema,
    PersonUpdateSchema,
)
from casemgr.auth.roles import Action
from casemgr.crypto.fields import ensure_readable
from casemgr.extensions import db
from casemgr.org.models import Unit
from casemgr.org.queries import communes_for_units
from casemgr.people import access, duplicates, queries, registration, services
from casemgr.people.models import Person
from casemgr.tokens.models import TokenScope

SENSITIVE = ("surname", "middle_name", "given_name", "uic", "national_id", "phone",
             "street_address", "date_of_birth")  # fmt: skip

PERSON_EXAMPLE = {
    "id": 42, "version": 1, "erased": False, "sex": "female", "birth_year": 2014,
    "is_pseudonymous": False, "surname": "Nguyễn", "middle_name": "Thị", "given_name": "Lan",
    "uic": None, "national_id": "045314000123", "phone": "0912345678",
    "street_address": None, "date_of_birth": "2014-03-02",
}  # fmt: skip


def person_body(person: Person) -> dict[str, Any]:
    """The person as the API shows it: identifying values decrypted, none once erased."""
    body = {
        "id": person.id,
        "version": person.version,
        "erased": person.is_erased,
        "sex": str(person.sex),
        "birth_year": person.birth_year,
        "is_pseudonymous": person.is_pseudonymous,
    }
    for name in SENSITIVE:
        body[name] = None if person.is_erased else getattr(person, name)
    return body


@bp.route("/persons", methods=["POST"])
@token_access(TokenScope.WRITE, Action.EDIT_CASES)
@bp.arguments(PersonCreateSchema, example={
    "unit_id": 3, "sex": "female", "surname": "Nguyễn", "middle_name": "Thị",
    "given_name": "Lan", "date_of_birth": "2014-03-02", "phone": "0912345678"})  # fmt: skip
@bp.response(201, PersonSchema, example=PERSON_EXAMPLE, headers=ETAG_HEADER)
@documented(409, 422)
def create_person(data: dict[str, Any]):
    """Register a person in a unit where you work, with the Register screen's duplicate checks:
    someone with the same national ID or phone (409 unless `different_person`), probable earlier
    registrations by name (409 unless `confirmed_new`)."""
    # Every problem at once (the body's own are reported together by its schema).
    problems: dict[str, list[str]] = {}
    unit = db.session.get(Unit, data.pop("unit_id"))
    if unit is None:
        problems["unit_id"] = [str(_l("You can only work in a unit where you work."))]
    area_id = data["area_id"]
    if area_id is not None and (
        unit is None or area_id not in {a.id for a in communes_for_units([unit])}
    ):
        problems["area_id"] = [str(_l("Choose one of the allowed values."))]
    if problems:
        raise Refused(422, problems)
    different, confirmed = data.pop("different_person"), data.pop("confirmed_new")
    exact = duplicates.exact_matches(
        current_user,
        national_id=None if data["is_pseudonymous"] else data["national_id"],
        phone=data["phone"],
    )
    if exact and not different:
        _duplicates(exact.national_id, exact.phone, exact_match=True)
    if not confirmed and not data["is_pseudonymous"]:
        born = data["date_of_birth"]
        probable = registration.find_duplicates(
            current_user, surname=data["surname"], middle_name=data["middle_name"],
            given_name=data["given_name"], sex=data["sex"], area_id=area_id,
            birth_year=born.year if born else data["birth_year"],
        )  # fmt: skip
        if probable:
            _duplicates(probable)
    try:
        person = registration.register(current_user, unit, **data)
    except services.PersonError as exc:
        refuse(exc)
    if exact and different:
        registration.record_distinctions(current_user, person, exact)
    return person_body(person), 201, {"ETag": etag(person.version)}


def _duplicates(*found: duplicates.Found, exact_match: bool = False) -> NoReturn:
    """409: earlier registrations may be this person (the ids the caller may open, a count of
    the others), as the Register screen shows them, and how to register a new person anyway."""
    error = Conflict()
    if exact_match:
        code = "same_national_id_or_phone"
        detail = _l(
            "Someone is already registered with this national ID or phone: `duplicates` lists "
            "those you may open, `elsewhere` counts the others. If this is the same person, use "
            "that registration. If it is a different person, send the request again with "
            '"different_person": true.'
        )
    else:
        code = "possible_duplicates"
        detail = _l(
            "Earlier registrations with a similar name may be this person: `duplicates` lists "
            "those you may open, `elsewhere` counts the others. If this is someone new, send the "
            'request again with "confirmed_new": true.'
        )
    error.problem_extra = {
        "code": code,
        "detail": str(detail),
        "duplicates": sorted({p.id for f in found for p in f.visible}),
        "elsewhere": len({i for f in found for i in f.hidden_ids}),
    }
    raise error


@bp.route(f"/persons/<{ID}:person_id>", methods=["GET"])
@token_access(TokenScope.READ, Action.VIEW_CASES)
@bp.response(200, PersonSchema, example=PERSON_EXAMPLE, headers=ETAG_HEADER)
@documented()
def get_person(person_id: int):
    """Read a person you may see (404 otherwise, as on the screens)."""
    person = access.load_person(current_user, person_id)
    ensure_readable(person)  # a tampered person is refused (audited), never shown in part
    return person_body(person), {"ETag": etag(person.version)}


@bp.route(f"/persons/<{ID}:person_id>", methods=["PATCH"])
@token_access(TokenScope.WRITE, Action.EDIT_CASES)
@bp.arguments(PersonUpdateSchema, example={"phone": "0987654321"})
@bp.response(200, PersonSchema, example=PERSON_EXAMPLE, headers=ETAG_HEADER)
@documented(422, if_match=True)
def update_person(data: dict[str, Any], person_id: int):
    """Correct a person's facts, as the person's Edit screen does (If-Match: their ETag).
    A person known by an identifier code has no names to correct; an erased one is 404."""
    person = access.load_person(current_user, person_id)
    if person.is_erased:
        raise NotFound()
    ensure_readable(person)
    require_if_match(person.version)
    if person.is_pseudonymous and set(data) & {
        "surname",
        "middle_name",
        "given_name",
        "national_id",
    }:
        invalid("surname", _l("This field is not accepted."))
    if "area_id" in data and data["area_id"] is not None:
        unit = db.session.get(Unit, person.registered_unit_id)
        if unit is None or data["area_id"] not in {a.id for a in communes_for_units([unit])}:
            invalid("area_id", _l("Choose one of the allowed values."))
    current = {name: getattr(person, name) for name in registration.EDITABLE}
    current["date_of_birth"] = (
        dt.date.fromisoformat(person.date_of_birth) if person.date_of_birth else None
    )
    try:
        registration.correct(
            current_user, person, expected_version=person.version, **{**current, **data}
        )
    except services.PersonError as exc:
        refuse(exc)
    return person_body(person), {"ETag": etag(person.version)}


@bp.route("/persons/search", methods=["POST"])
@token_access(TokenScope.READ, Action.VIEW_CASES)
@bp.arguments(PersonSearchSchema, example={"national_id": "045314000123"})
@bp.response(200, PersonListSchema)
@documented(422)
def search_persons(data: dict[str, Any]):
    """Find persons you may see by national ID, phone or name (every word, diacritics ignored).

    A POST, so that no search term ever reaches a URL or an access log."""
    if not any(data.values()):
        invalid("body", _l("Give a national ID, a phone or a name."))
    # The scope as a condition on persons, applied in SQL before any candidate is decrypted.
    within = access.visible_persons_condition(current_user)
    found = queries.find_persons_by(current_user, **data, within=within, limit=50)
    return {"items": [person_body(p) for p in found]}
