"""The JSON API refuses a date the case refuses (casemgr/cases/dates.py), as the pages do: 422
naming the field, the bound in the caller's language, a stable code; and for a referral, the
date before the consent."""

from __future__ import annotations

import datetime as dt

from casemgr.clock import local_date, today
from tests.api.conftest import World, bearer, token_for, world  # noqa: F401
from tests.support.conftest import open_case


def _fresh_case(world: World):  # noqa: F811
    """A trafficking case opened today, with the person's consent and status on file."""
    from casemgr.people.relations import ConsentGiver
    from casemgr.support import services
    from casemgr.support.models import VictimStatus
    from tests.support.conftest import consent

    cw = world.cw
    case = open_case(cw.worker, cw.commune, birth_year=1998, given="Thu", opened_at=None)
    services.record_trafficking_status(
        cw.worker, case, cw.access(cw.worker, case), status=VictimStatus.IDENTIFIED,
        valid_from=dt.date(2025, 7, 1),
    )  # fmt: skip
    consent(cw.worker, case, ConsentGiver.SUBJECT, on=dt.date(2025, 7, 1))
    return case


def _refused(answer, field: str) -> str:
    assert answer.status_code == 422, answer.json
    assert [e["field"] for e in answer.json["errors"]] == [field]
    return answer.json["errors"][0]["detail"]


def test_notes_services_and_referrals_refuse_a_date_before_the_case(client, db, world):  # noqa: F811
    case = _fresh_case(world)
    db.session.commit()
    value = token_for(world.cw.worker)
    base = f"/api/v1/cases/{case.id}"
    opened = f"{local_date(case.opened_at):%d/%m/%Y}"
    note = client.post(f"{base}/notes", headers=bearer(value), json={
        "kind": "phone", "occurred_on": "2010-05-05", "body": "Gọi điện."})  # fmt: skip
    assert _refused(note, "occurred_on") == f"Ngày không thể trước ngày mở hồ sơ ({opened})."
    assert note.json["code"] == "date_before_case_opened"
    service = client.post(f"{base}/services", headers=bearer(value), json={
        "service_type_id": world.service_type_id, "delivered_on": "2005-01-01"})  # fmt: skip
    assert _refused(service, "delivered_on") == f"Ngày không thể trước ngày mở hồ sơ ({opened})."
    # The consent is on file: the date is the problem, not a missing consent.
    referral = client.post(f"{base}/referrals", headers=bearer(value), json={
        "partner_id": world.partner_id, "service_type_id": world.service_type_id,
        "reason": "Cần nơi ở an toàn.", "sent_on": "2005-01-01"})  # fmt: skip
    assert _refused(referral, "sent_on") == f"Ngày không thể trước ngày mở hồ sơ ({opened})."
    english = client.post(f"{base}/notes", json={
        "kind": "phone", "occurred_on": "2010-05-05", "body": "Gọi điện."},
        headers=bearer(value, **{"Accept-Language": "en"}))  # fmt: skip
    day = local_date(case.opened_at)
    assert _refused(english, "occurred_on") == (
        f"The date cannot be before the case was opened ({day.day} {day:%b %Y})."
    )
    for path, body in (
        ("notes", {"kind": "phone", "occurred_on": today().isoformat(), "body": "Gọi điện."}),
        ("services", {"service_type_id": world.service_type_id,
                      "delivered_on": today().isoformat()}),
        ("referrals", {"partner_id": world.partner_id, "service_type_id": world.service_type_id,
                       "reason": "Cần nơi ở an toàn.", "sent_on": today().isoformat()}),
    ):  # fmt: skip
        answer = client.post(f"{base}/{path}", headers=bearer(value), json=body)
        assert answer.status_code == 201, (path, answer.json)


def test_an_answer_in_the_future_names_its_field(client, db, world):  # noqa: F811
    value = token_for(world.cw.worker)
    url = f"/api/v1/cases/{world.case.id}/referrals/{world.referral.id}"
    etag = client.get(url, headers=bearer(value)).headers["ETag"]
    answer = client.post(f"{url}/answer", headers=bearer(value, **{"If-Match": etag}), json={
        "accepted": True, "answered_on": (today() + dt.timedelta(days=2)).isoformat()})  # fmt: skip
    assert _refused(answer, "answered_on") == "Ngày không được sau ngày hôm nay."
    assert answer.json["code"] == "date_in_the_future"
