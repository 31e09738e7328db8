"""Service points: reliable addresses are sealed and shown only to the units serving their
area (and administrators); supervisors manage their areas' points; the list filters."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from casemgr.audit.models import AuditEvent
from casemgr.support import queries, services
from casemgr.support.models import ServicePoint, ServicePointKind

SECRET_ADDRESS = "Nhà bà Sáu, xóm Đông"


def _raw(db, point_id: int) -> bytes:
    row = db.session.execute(
        text("SELECT name, address_enc, contact_enc FROM service_points WHERE id = :id"),
        {"id": point_id},
    ).one()
    return repr(row).encode() + b"".join(bytes(v) for v in row[1:] if v is not None)


def test_address_and_contact_are_sealed_at_rest(db, support):
    raw = _raw(db, support.reliable.id)
    assert SECRET_ADDRESS.encode() not in raw and b"0912 000 111" not in raw
    assert "Địa chỉ tin cậy số 3".encode() in raw  # the label is plain (lists filter by it)
    db.session.expire_all()
    assert db.session.get(ServicePoint, support.reliable.id).address == SECRET_ADDRESS


def test_a_sealed_value_moved_to_another_row_fails_closed(db, support):
    from casemgr.crypto.errors import IntegrityFailure

    blob = db.session.get(ServicePoint, support.reliable.id).address_enc
    other = db.session.get(ServicePoint, support.shelter.id)
    other.address_enc = blob
    db.session.flush()
    with pytest.raises(IntegrityFailure):
        _ = other.address


# Who may read where the reliable address in the worker's commune is.
VISIBILITY = {
    "worker": True,  # her commune office serves the area
    "supervisor": True,
    "lead": True,  # the provincial supervisor's subtree includes the commune office
    "admin": True,
    "outsider": False,  # the other commune's worker
    "other_supervisor": False,
}


def test_reliable_address_location_only_for_the_serving_units(client, db, support):
    for who, sees in VISIBILITY.items():
        user = getattr(support.cw, who)
        client._cookies.clear()
        client.login(user)
        page = client.get(f"/support/points/view?id={support.reliable.id}").get_data(as_text=True)
        assert (SECRET_ADDRESS in page) is sees, who
        assert ('data-testid="point-hidden"' in page) is not sees, who
        listing = client.get("/support/points").get_data(as_text=True)
        assert "Địa chỉ tin cậy số 3" in listing  # listed by label for referrals
        assert SECRET_ADDRESS not in listing and "0912 000 111" not in listing
        event = db.session.scalar(
            select(AuditEvent)
            .where(AuditEvent.action == "service_point.view", AuditEvent.actor_id == user.id)
            .order_by(AuditEvent.seq.desc())
        )
        assert event.outcome == ("allowed" if sees else "denied"), who
        assert event.object_id == str(support.reliable.id)


def test_public_facilities_show_their_contact_to_everyone(client, support):
    client.login(support.cw.outsider)
    assert "024 111" in client.get("/support/points").get_data(as_text=True)
    page = client.get(f"/support/points/view?id={support.shelter.id}").get_data(as_text=True)
    assert "Số 1 đường A" in page


def test_supervisors_manage_the_points_of_their_areas_only(client, db, support):
    cw = support.cw
    with pytest.raises(services.SupportError, match="not your area"):
        services.create_service_point(
            cw.supervisor,
            kind=ServicePointKind.POLICE,
            name="Công an xã",
            area=support.other_area,
            address=None,
            contact=None,
        )
    point = services.create_service_point(
        cw.supervisor,
        kind=ServicePointKind.POLICE,
        name="Công an xã",
        area=support.area,
        address=None,
        contact="113",
    )
    assert point.contact == "113"
    client.login(cw.other_supervisor)
    assert client.get(f"/support/points/edit?id={point.id}").status_code == 403
    response = client.post_form(
        f"/support/points/edit?id={point.id}",
        {"kind": "police", "name": "Đổi tên", "area_id": support.other_area.id},
    )
    assert response.status_code == 403
    assert db.session.get(ServicePoint, point.id).name == "Công an xã"
    client._cookies.clear()  # sign in afresh as someone else
    client.login(cw.supervisor)
    response = client.post_form(
        f"/support/points/edit?id={point.id}",
        {
            "kind": "police",
            "name": "Công an xã Đông",
            "area_id": support.area.id,
            "contact": "0203 113",
            "is_active": "y",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    changed = db.session.get(ServicePoint, point.id)
    assert (changed.name, changed.contact) == ("Công an xã Đông", "0203 113")
    # Moving it to an area the supervisor does not serve is refused too.
    with pytest.raises(services.SupportError, match="not your area"):
        services.update_service_point(
            cw.supervisor,
            changed,
            kind=changed.kind,
            name=changed.name,
            area=support.other_area,
            address=None,
            contact=None,
            is_active=True,
        )


def test_workers_cannot_manage_points(client, support):
    client.login(support.cw.worker)
    assert client.get("/support/points/new").status_code == 403
    with pytest.raises(services.SupportError, match="not your area"):
        services.create_service_point(
            support.cw.worker,
            kind=ServicePointKind.SCHOOL,
            name="Trường",
            area=support.area,
            address=None,
            contact=None,
        )


def test_administrator_adds_a_point_through_the_page(client, db, support):
    client.login(support.cw.admin)
    response = client.post_form(
        "/support/points/new",
        {
            "kind": "legal_aid_centre",
            "name": "Trung tâm trợ giúp pháp lý",
            "area_id": support.area.parent_id or support.area.id,
            "address": "Số 5",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    point = db.session.scalar(
        select(ServicePoint).where(ServicePoint.name == "Trung tâm trợ giúp pháp lý")
    )
    assert point.address == "Số 5"


def test_list_filters_by_kind_and_area_and_paginates(app, client, db, support):
    for n in range(30):
        support.point(ServicePointKind.SCHOOL, support.other_area, f"Trường {n:02d}")
    client.login(support.cw.worker)
    reliable = client.get("/support/points?kind=reliable_address").get_data(as_text=True)
    assert "Địa chỉ tin cậy số 3" in reliable and "Nhà tạm lánh" not in reliable
    here = client.get(f"/support/points?area={support.area.id}").get_data(as_text=True)
    assert "Nhà tạm lánh" in here and "Trường 00" not in here
    schools = client.get("/support/points?kind=school").get_data(as_text=True)
    per_page = app.config["PER_PAGE"]
    assert schools.count('href="/support/points/view?id=') == per_page
    second = client.get("/support/points?kind=school&page=2").get_data(as_text=True)
    assert second.count('href="/support/points/view?id=') == 30 - per_page
    assert len(queries.point_areas()) >= 2


def test_an_unknown_filter_value_lists_every_point(client, support):
    """Found by the walk: an unknown kind or area in the query string was a 500."""
    client.login(support.cw.worker)
    response = client.get("/support/points?kind=no-such-kind&area=no-such-area")
    assert response.status_code == 200
    assert "Địa chỉ tin cậy số 3" in response.get_data(as_text=True)
