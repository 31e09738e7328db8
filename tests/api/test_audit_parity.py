"""Every API read and write leaves the same audit events as the same action on the screens
(action, object type, outcome, field names), besides the API's own token-use event."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from casemgr.audit.models import AuditEvent
from casemgr.clock import today
from casemgr.support import referrals
from tests.api.conftest import World, bearer, token_for
from tests.cases.conftest import open_child_case

DAY = today().isoformat()
NOT_COMPARED = {"api.token_used", "auth.login", "auth.password_ok", "auth.mfa"}


@dataclass
class Step:
    """The same action done once on a screen and once through the API."""

    screen: Callable  # (client, world, ids) -> response
    api: Callable  # (client, world, ids, token) -> response
    user: str = "worker"
    setup: Callable | None = None  # (world) -> ids, run before each side


def _events(db, after: int) -> list[tuple]:
    rows = db.session.scalars(
        select(AuditEvent).where(AuditEvent.seq > after).order_by(AuditEvent.seq)
    )
    return [(e.action, e.object_type, str(e.outcome), e.fields, e.is_break_glass)
            for e in rows if e.action not in NOT_COMPARED]  # fmt: skip


def _new_case(world: World) -> dict:
    case = open_child_case(world.cw.worker, world.cw.commune, given="Khoa")
    return {"case_id": case.id, "version": case.version, "person_id": case.person_id}


def _new_person(world: World) -> dict:
    from casemgr.people.services import register_person

    cw = world.cw
    person = register_person(cw.worker, sex="female", birth_year=2001, surname="Hà",
                             given_name="My", registered_unit_id=cw.commune.id,
                             registered_by_id=cw.worker.id)  # fmt: skip
    return {"person_id": person.id, "version": person.version}


def _sent_referral(world: World) -> dict:
    cw, case = world.cw, world.case
    item = referrals.send_referral(
        cw.worker, case, cw.access(cw.worker, case), partner=world.support.shelter,
        service_type=world.referral.service_type, reason="Cần hỗ trợ", sent_on=today(),
    )  # fmt: skip
    return {"referral_id": item.id}


def _accepted_referral(world: World) -> dict:
    ids = _sent_referral(world)
    cw, case = world.cw, world.case
    from casemgr.extensions import db
    from casemgr.support.models import Referral

    item = db.session.get(Referral, ids["referral_id"])
    referrals.answer_referral(cw.worker, case, cw.access(cw.worker, case), item, accepted=True,
                              answered_on=today())  # fmt: skip
    return ids


def _case(world):
    return f"/cases/{world.case.id}"


def _api_case(world):
    return f"/api/v1/cases/{world.case.id}"


STEPS = {
    "person read": Step(
        lambda c, w, i: c.get(f"/people/{w.case.person_id}"),
        lambda c, w, i, t: c.get(f"/api/v1/persons/{w.case.person_id}", headers=bearer(t)),
    ),
    "person register": Step(
        lambda c, w, i: c.post_form("/people/new", {
            "unit_id": w.cw.commune.id, "sex": "male", "surname": "Phạm", "given_name": "Quý",
            "birth_year": 2010, "phone": "0987000111", "area_id": 0}),
        lambda c, w, i, t: c.post("/api/v1/persons", headers=bearer(t), json={
            "unit_id": w.cw.commune.id, "sex": "male", "surname": "Vũ", "given_name": "Đức",
            "birth_year": 2010, "phone": "0987000112"}),
    ),
    "person update": Step(
        lambda c, w, i: c.post_form(f"/people/{i['person_id']}/edit", {
            "version": i["version"], "sex": "female", "surname": "Hà", "given_name": "My",
            "birth_year": 2001, "phone": "0912000333", "area_id": 0}),
        lambda c, w, i, t: c.patch(f"/api/v1/persons/{i['person_id']}",
                                   json={"phone": "0912000333"},
                                   headers=bearer(t, **{"If-Match": f'"{i["version"]}"'})),
        setup=_new_person,
    ),
    "person search": Step(
        lambda c, w, i: c.post_form("/people/search", {"q": "Lò Hoa"}),
        lambda c, w, i, t: c.post("/api/v1/persons/search", json={"name": "Lò Hoa"},
                                  headers=bearer(t)),
    ),
    "case list": Step(
        lambda c, w, i: c.get("/cases/"),
        lambda c, w, i, t: c.get("/api/v1/cases", headers=bearer(t)),
    ),
    "case read": Step(
        lambda c, w, i: c.get(_case(w)),
        lambda c, w, i, t: c.get(_api_case(w), headers=bearer(t)),
    ),
    "case open": Step(
        lambda c, w, i: c.post_form(f"/cases/new/{w.case.person_id}", {
            "group_code": "trafficking", "protection_level": "support", "risk_level": "low",
            "unit_id": w.cw.commune.id, "summary": "Tin báo",
            "confirm_another": "y"}),  # the person has an open case: the screen asks first
        lambda c, w, i, t: c.post("/api/v1/cases", headers=bearer(t), json={
            "person_id": w.case.person_id, "group_code": "trafficking",
            "protection_level": "support",
            "risk_level": "low", "unit_id": w.cw.commune.id, "summary": "Tin báo",
            "confirm_another": True}),  # as on the screen, the API asks first
    ),
    "case transition": Step(
        lambda c, w, i: c.post_form(f"/cases/{i['case_id']}/transition", {
            "transition": "verify", "version": i["version"], "reason": ""}),
        lambda c, w, i, t: c.post(f"/api/v1/cases/{i['case_id']}/transitions",
                                  json={"name": "verify"},
                                  headers=bearer(t, **{"If-Match": f'"{i["version"]}"'})),
        setup=_new_case,
    ),
    "case update": Step(
        lambda c, w, i: c.post_form(f"/cases/{i['case_id']}/edit", {
            "version": i["version"], "risk_level": "low", "protection_level": "intervention",
            "summary": "Báo cáo ban đầu: trẻ bị bạo lực.", "reason": ""}),
        lambda c, w, i, t: c.patch(f"/api/v1/cases/{i['case_id']}", json={"risk_level": "low"},
                                   headers=bearer(t, **{"If-Match": f'"{i["version"]}"'})),
        setup=_new_case,
    ),
    "note add": Step(
        lambda c, w, i: c.post_form(f"{_case(w)}/notes", {
            "kind": "visit", "occurred_on": DAY, "body": "Thăm nhà"}),
        lambda c, w, i, t: c.post(f"{_api_case(w)}/notes", headers=bearer(t), json={
            "kind": "visit", "occurred_on": DAY, "body": "Thăm nhà"}),
    ),
    "service add": Step(
        lambda c, w, i: c.post_form(f"/support/cases/{w.case.id}/services/new", {
            "service_type_id": w.service_type_id, "delivered_on": DAY, "partner_id": 0,
            "quantity": 1}),
        lambda c, w, i, t: c.post(f"{_api_case(w)}/services", headers=bearer(t), json={
            "service_type_id": w.service_type_id, "delivered_on": DAY, "quantity": 1}),
    ),
    "referral send": Step(
        lambda c, w, i: c.post_form(f"/support/cases/{w.case.id}/referrals/new", {
            "partner_id": w.partner_id, "service_type_id": w.service_type_id,
            "reason": "Cần hỗ trợ", "sent_on": DAY}),
        lambda c, w, i, t: c.post(f"{_api_case(w)}/referrals", headers=bearer(t), json={
            "partner_id": w.partner_id, "service_type_id": w.service_type_id,
            "reason": "Cần hỗ trợ", "sent_on": DAY}),
    ),
    "referral answer": Step(
        lambda c, w, i: c.post_form(f"/support/cases/{w.case.id}/referral/answer", {
            "referral_id": i["referral_id"], "answer": "accept", "answered_on": DAY}),
        lambda c, w, i, t: c.post(f"{_api_case(w)}/referrals/{i['referral_id']}/answer",
                                  json={"accepted": True, "answered_on": DAY},
                                  headers=bearer(t, **{"If-Match": '"sent"'})),
        setup=_sent_referral,
    ),
    "referral complete": Step(
        lambda c, w, i: c.post_form(f"/support/cases/{w.case.id}/referral/complete", {
            "referral_id": i["referral_id"], "completed_on": DAY, "outcome": "Xong"}),
        lambda c, w, i, t: c.post(f"{_api_case(w)}/referrals/{i['referral_id']}/complete",
                                  json={"completed_on": DAY, "outcome": "Xong"},
                                  headers=bearer(t, **{"If-Match": '"accepted"'})),
        setup=_accepted_referral,
    ),
    "tasks": Step(
        lambda c, w, i: c.get("/rules/tasks"),
        lambda c, w, i, t: c.get("/api/v1/tasks", headers=bearer(t)),
    ),
    "audit events": Step(
        lambda c, w, i: c.get("/audit/events"),
        lambda c, w, i, t: c.get("/api/v1/audit/events", headers=bearer(t)),
        user="auditor",
    ),
    "audit alerts": Step(
        lambda c, w, i: c.get("/audit/alerts"),
        lambda c, w, i, t: c.get("/api/v1/audit/alerts", headers=bearer(t)),
        user="auditor",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", list(STEPS))
def test_api_and_screen_leave_the_same_audit_events(client, db, world, name):
    step = STEPS[name]
    user = getattr(world.cw, step.user)
    scopes = ("audit",) if step.user == "auditor" else ("read", "write")
    token = token_for(user, scopes=scopes)
    ids = step.setup(world) if step.setup else {}
    db.session.commit()
    assert client.login(user).status_code == 302
    client.csrf_token()  # the page that gives the form its token is not part of the action
    seq = db.session.scalar(select(func.max(AuditEvent.seq)))
    screen = step.screen(client, world, ids)
    assert screen.status_code in (200, 302), (name, screen.status_code)
    on_screen = _events(db, seq)
    client._cookies.clear()
    ids = step.setup(world) if step.setup else {}
    db.session.commit()
    seq = db.session.scalar(select(func.max(AuditEvent.seq)))
    answer = step.api(client, world, ids, token)
    assert answer.status_code in (200, 201), (name, answer.status_code, answer.json)
    assert _events(db, seq) == on_screen
    assert on_screen, name  # the action is audited at all
