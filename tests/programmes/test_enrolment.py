"""Enrolment needs write access to the case (404 for another unit's worker), and is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from casemgr import clock
from casemgr.audit.models import AuditEvent
from casemgr.cases.dates import CaseDateRefused
from casemgr.extensions import db
from casemgr.programmes import queries, services
from casemgr.programmes.models import Enrolment
from tests.cases.conftest import backdate
from tests.programmes.factories import add_model
from tests.validation.browser_form import errors_under

# The other cases of a test began long before their enrolments, like the world's case.
D2024 = dt.date(2024, 1, 1)


def enrolment_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Enrolment))


def test_worker_enrols_own_case_and_it_is_audited(client, programmes):
    cw = programmes.cw
    client.login(cw.worker)
    page = client.get(f"/cases/{cw.case.id}/programmes").get_data(as_text=True)
    # The province's model serves the commune; the other commune's model is not offered.
    assert "Commune model" in page and "Province model" in page and "Other model" not in page
    response = client.post_form(
        f"/cases/{cw.case.id}/programmes/enrol",
        {"model_id": programmes.commune_model.id, "enrolled_on": "2026-03-02"},
    )
    assert response.status_code == 302
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.case_id == cw.case.id))
    assert enrolment.model_id == programmes.commune_model.id
    assert enrolment.enrolled_on == dt.date(2026, 3, 2)
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "programme.enrol", AuditEvent.object_id == str(enrolment.id)
        )
    )
    assert event is not None and event.case_id == cw.case.id and event.outcome == "allowed"
    # A model the case takes part in is no longer offered to join; the others still are.
    page = client.get(f"/cases/{cw.case.id}/programmes").get_data(as_text=True)
    offered = page.split('name="model_id"', 1)[1].split("</select>", 1)[0]
    assert f'value="{programmes.commune_model.id}"' not in offered
    assert f'value="{programmes.province_model.id}"' in offered


@pytest.mark.parametrize("who", ["outsider", "colleague"])
def test_enrolment_of_a_case_out_of_reach_is_404(client, programmes, who):
    cw = programmes.cw
    client.login(getattr(cw, who))
    before = enrolment_count()
    response = client.post_form(
        f"/cases/{cw.case.id}/programmes/enrol",
        {"model_id": programmes.commune_model.id, "enrolled_on": "2026-03-02"},
    )
    assert response.status_code == 404
    assert enrolment_count() == before
    assert client.get(f"/cases/{cw.case.id}/programmes").status_code == 404


def test_leaving_with_another_cases_enrolment_id_is_refused(client, programmes):
    cw = programmes.cw
    from tests.cases.conftest import open_child_case

    foreign = backdate(open_child_case(cw.outsider, cw.other_commune, given="Khoa"), D2024)
    theirs = services.enrol_case(
        cw.outsider, foreign, cw.access(cw.outsider, foreign), programmes.other_model,
        dt.date(2026, 1, 5),
    )  # fmt: skip
    client.login(cw.worker)
    response = client.post_form(
        f"/cases/{cw.case.id}/programmes/leave",
        {"enrolment_id": theirs.id, "left_on": "2026-02-01"},
    )
    assert response.status_code == 302
    assert db.session.get(Enrolment, theirs.id).left_on is None


def test_enrolment_rules(programmes):
    cw = programmes.cw
    access = cw.access(cw.worker)
    model = programmes.commune_model
    with pytest.raises(services.ProgrammeError, match="model not open"):
        services.enrol_case(cw.worker, cw.case, access, programmes.other_model, dt.date(2026, 1, 1))
    drugs = add_model(cw.commune, cw.supervisor, name="Drug model", group_code="drugs")
    with pytest.raises(services.ProgrammeError, match="model not open"):
        services.enrol_case(cw.worker, cw.case, access, drugs, dt.date(2026, 1, 1))
    with pytest.raises(services.ProgrammeError, match="model not open"):
        services.enrol_case(cw.worker, cw.case, access, model, dt.date(2024, 12, 31))
    enrolment = services.enrol_case(cw.worker, cw.case, access, model, dt.date(2026, 1, 1))
    with pytest.raises(services.ProgrammeError, match="already enrolled"):
        services.enrol_case(cw.worker, cw.case, access, model, dt.date(2026, 2, 1))
    # A case may be in several models at once.
    services.enrol_case(cw.worker, cw.case, access, programmes.province_model, dt.date(2026, 1, 1))
    with pytest.raises(services.ProgrammeError, match="leaves before joining"):
        services.end_enrolment(cw.worker, cw.case, access, enrolment.id, dt.date(2025, 12, 1))
    services.end_enrolment(cw.worker, cw.case, access, enrolment.id, dt.date(2026, 6, 1))
    assert queries.open_enrolment(model.id, cw.case.id) is None
    assert len(queries.case_enrolments(cw.case.id)) == 2


def test_read_only_access_cannot_enrol(programmes):
    cw = programmes.cw
    read_only = cw.access(cw.auditor)
    assert not read_only.can_write
    with pytest.raises(services.ProgrammeError, match="read only"):
        services.enrol_case(
            cw.auditor, cw.case, read_only, programmes.commune_model, dt.date(2026, 1, 1)
        )


def test_participants_list_starts_from_visible_cases(client, programmes):
    cw = programmes.cw
    from tests.cases.conftest import open_child_case

    model = programmes.commune_model
    theirs = backdate(open_child_case(cw.colleague, cw.commune, given="Vy"), D2024)
    for user, case in ((cw.worker, cw.case), (cw.colleague, theirs)):
        services.enrol_case(user, case, cw.access(user, case), model, dt.date(2026, 4, 1))
    client.login(cw.worker)
    page = client.get(f"/programmes/{model.id}/participants").get_data(as_text=True)
    assert cw.case.number in page and theirs.number not in page
    client._cookies.clear()
    client.login(cw.supervisor)
    response = client.get(f"/programmes/{model.id}/participants")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert cw.case.number in page and theirs.number in page
    assert (
        db.session.scalar(select(func.count()).where(AuditEvent.action == "programme.participants"))
        == 2
    )


def test_enrolled_models_link_to_their_pages_where_the_user_sees_them(client, programmes):
    """The worker finds the provincial model's page from the case; a model out of their scope
    (an enrolment made before the case came to the commune) is named without a link."""
    cw = programmes.cw
    services.enrol_case(cw.worker, cw.case, cw.access(cw.worker), programmes.province_model,
                        dt.date(2026, 1, 5))  # fmt: skip
    db.session.add(Enrolment(model_id=programmes.other_model.id, case_id=cw.case.id,
                             enrolled_on=dt.date(2025, 6, 1), left_on=dt.date(2025, 9, 1),
                             enrolled_by_id=cw.outsider.id))  # fmt: skip
    db.session.flush()
    client.login(cw.worker)
    page = client.get(f"/cases/{cw.case.id}/programmes").get_data(as_text=True)
    table = page.split('data-testid="enrolments"', 1)[1].split("</table>", 1)[0]
    assert f'href="/programmes/{programmes.province_model.id}">Province model</a>' in table
    assert "Other model" in table and f'"/programmes/{programmes.other_model.id}"' not in table
    assert client.get(f"/programmes/{programmes.province_model.id}").status_code == 200


def test_an_enrolment_before_the_case_was_opened_is_refused_under_the_date(client, programmes):
    """Enrolment is case work: never before the case began (casemgr/cases/dates.py)."""
    cw = programmes.cw
    late = open_child_case_today(cw)
    access = cw.access(cw.worker, late)
    opened = clock.local_date(late.opened_at)
    before = opened - dt.timedelta(days=1)
    with pytest.raises(CaseDateRefused) as refused:
        services.enrol_case(cw.worker, late, access, programmes.commune_model, before)
    assert (refused.value.field, refused.value.day) == ("enrolled_on", opened)
    enrolment = services.enrol_case(cw.worker, late, access, programmes.commune_model, opened)
    with pytest.raises(CaseDateRefused) as refused:
        services.end_enrolment(
            cw.worker, late, access, enrolment.id, clock.today() + dt.timedelta(days=1)
        )
    assert refused.value.field == "left_on"
    db.session.commit()
    client.login(cw.worker)
    response = client.post_form(
        f"/cases/{late.id}/programmes/enrol",
        {"model_id": programmes.province_model.id, "enrolled_on": before.isoformat()},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert errors_under(html, "enrolled_on") == [
        f"Ngày không thể trước ngày mở hồ sơ ({opened:%d/%m/%Y})."
    ]
    assert f'value="{before.isoformat()}"' in html
    assert queries.open_enrolment(programmes.province_model.id, late.id) is None


def open_child_case_today(cw):
    from tests.cases.conftest import open_child_case

    return open_child_case(cw.worker, cw.commune, given="Tâm")
