"""L2 / A3: markers written into a person, a case, a note, a search and a break-glass reason
appear on no auditor page, in no export and in no audit row, while the metadata does."""

from __future__ import annotations

from sqlalchemy import select

from casemgr.audit.models import AuditAlert, AuditEvent
from casemgr.auth.roles import Role
from casemgr.cases import services
from casemgr.cases.models import NoteKind, ProtectionLevel, RiskLevel
from casemgr.cases.policy import case_access
from casemgr.cases.queries import live_grant
from casemgr.clock import today, utcnow
from casemgr.org.models import UnitKind
from casemgr.people.services import register_person

MARKERS = {
    "surname": "Canaryaudìtsurname",
    "middle_name": "Canaryauditmiddle",
    "given_name": "Canaryauditgiven",
    "national_id": "975310864200",
    "phone": "0397531086",
    "summary": "CanaryAuditSummary trẻ bị bạo lực",
    "note": "CanaryAuditNote home visit narrative",
    "reason": "CanaryAuditGlass the child is in danger tonight",
}


def test_no_content_on_any_auditor_page(client, make, db):
    province = make.unit(kind=UnitKind.PROVINCIAL_DEPARTMENT)
    commune, other = make.unit(province), make.unit(province)
    worker = make.user(Role.SOCIAL_WORKER, commune)
    outsider = make.user(Role.SOCIAL_WORKER, other)
    auditor = make.user(Role.AUDITOR, province)
    person = register_person(
        worker,
        sex="female",
        birth_year=2015,
        **{k: MARKERS[k] for k in ("surname", "middle_name", "given_name", "national_id", "phone")},
    )
    case = services.open_case(
        worker,
        person=person,
        group_code="child",
        sub_groups=[],
        protection_level=ProtectionLevel.INTERVENTION,
        risk_level=RiskLevel.HIGH,
        unit=commune,
        summary=MARKERS["summary"],
    )
    access = case_access(worker, case, None, utcnow())
    services.add_note(
        worker, case, access, kind=NoteKind.VISIT, occurred_on=today(), body=MARKERS["note"]
    )
    services.break_glass(
        outsider, case, reason_type="emergency", reason=MARKERS["reason"], minutes=30
    )
    assert live_grant(outsider, case.id) is not None
    number, case_id = case.number, case.id

    client.login(worker)
    assert client.get(f"/cases/{case_id}").status_code == 200
    client.post_form("/cases/search", {"q": MARKERS["surname"]})
    client.post_form("/cases/search", {"q": MARKERS["national_id"]})
    client.post_form("/auth/logout")
    client.login(outsider)
    assert client.get(f"/cases/{case_id}").status_code == 200  # through the broken glass
    client.post_form("/auth/logout")

    client.login(auditor)
    pages = {
        "events": client.get("/audit/events"),
        "by case": client.get("/audit/events", query_string={"case": number}),
        "who accessed": client.get("/audit/cases", query_string={"case": number}),
        "worker": client.get(f"/audit/users/{worker.id}"),
        "outsider": client.get(f"/audit/users/{outsider.id}"),
        "export": client.get("/audit/export.csv"),
        "scan": client.post_form("/audit/alerts/scan", follow_redirects=True),
        "alerts": client.get("/audit/alerts", query_string={"status": "all"}),
    }
    for alert in db.session.scalars(select(AuditAlert)):
        pages[f"alert {alert.id}"] = client.get(f"/audit/alerts/{alert.id}")
    bodies = {}
    for name, response in pages.items():
        assert response.status_code == 200, name
        bodies[name] = response.get_data(as_text=True)

    # The metadata is there: the case number, who opened it, the break-glass flag and alert.
    assert number in bodies["who accessed"] and number in bodies["by case"]
    assert worker.username in bodies["who accessed"] and outsider.username in bodies["who accessed"]
    assert "badge bg-danger" in bodies["outsider"]  # the break-glass flag
    assert any(name.startswith("alert ") for name in bodies)
    # The content is not, in any form it could take on a page.
    for marker in MARKERS.values():
        for probe in {marker, marker.split()[0], marker.upper(), marker.lower()}:
            for name, body in bodies.items():
                assert probe not in body, (probe, name)
    rows = db.session.execute(select(AuditEvent)).scalars().all()
    trail = repr([[getattr(row, c.key) for c in AuditEvent.__table__.columns] for row in rows])
    for marker in MARKERS.values():
        assert marker.split()[0] not in trail
