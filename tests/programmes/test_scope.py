"""Who sees which models: the list, the loader, the enrolment choices and targets_vs_actuals
share one scope; staff see the models of their units and of the units above them (a
provincial model serves its communes), and manage only those of the units they supervise."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden, NotFound

from casemgr.audit.models import AuditEvent
from casemgr.auth.roles import Role
from casemgr.extensions import db
from casemgr.org.models import UnitKind
from casemgr.programmes import queries
from casemgr.programmes.models import Indicator, YearlyTarget
from tests.programmes.factories import add_model


def names(user) -> set[str]:
    return {m.name for m in db.session.scalars(queries.visible_models(user))}


@pytest.fixture
def far_model(make, programmes):
    """A model of another province, run by that province's own department."""
    far_province = make.unit(kind=UnitKind.PROVINCIAL_DEPARTMENT)
    far_lead = make.user(Role.SUPERVISOR, far_province)
    return add_model(far_province, far_lead, name="Far province model")


def test_model_list_scope(programmes, far_model):
    cw = programmes.cw
    # Commune staff: their commune's models and the province's, never a sibling commune's.
    assert names(cw.supervisor) == {"Commune model", "Province model"}
    assert names(cw.other_supervisor) == {"Other model", "Province model"}
    assert names(cw.worker) == {"Commune model", "Province model"}
    assert names(cw.outsider) == {"Other model", "Province model"}
    assert names(cw.lead) == {"Commune model", "Other model", "Province model"}
    assert {"Commune model", "Other model", "Province model", "Far province model"} <= names(
        cw.admin
    )
    assert names(cw.auditor) == set()


def test_scope_of_a_unit_deep_in_the_tree(make, programmes):
    """A unit three levels down sees the models of both units above it, not their siblings'."""
    cw = programmes.cw
    centre = make.unit(cw.commune, kind=UnitKind.SERVICE_CENTRE)
    beside = make.unit(cw.commune, kind=UnitKind.SERVICE_CENTRE)
    add_model(centre, cw.supervisor, name="Centre model")
    add_model(beside, cw.supervisor, name="Beside model")
    worker = make.user(Role.SOCIAL_WORKER, centre)
    assert names(worker) == {"Centre model", "Commune model", "Province model"}
    assert names(cw.supervisor) == {
        "Centre model", "Beside model", "Commune model", "Province model"
    }  # fmt: skip


def test_the_sql_scope_and_the_loader_agree(programmes, far_model):
    cw = programmes.cw
    models = [programmes.commune_model, programmes.other_model, programmes.province_model,
              far_model]  # fmt: skip
    for user in (cw.worker, cw.supervisor, cw.lead, cw.outsider, cw.auditor, cw.admin):
        listed = {m.id for m in db.session.scalars(queries.visible_models(user))}
        loadable = set()
        for model in models:
            with contextlib.suppress(NotFound):
                loadable.add(queries.load_model(user, model.id).id)
        assert listed & {m.id for m in models} == loadable, user


def test_enrolment_choices_are_models_the_user_sees(programmes, far_model):
    """The enrolment form offers the models applying to the case's unit, each one a model the
    user can open; a sibling commune's model is not offered, even to the provincial lead."""
    cw = programmes.cw
    day = dt.date(2026, 3, 1)
    for user in (cw.worker, cw.supervisor, cw.lead):
        offered = {m.name for m in queries.enrolment_choices(user, cw.case, day)}
        assert offered == {"Commune model", "Province model"}, user
        assert offered <= names(user)


def test_targets_vs_actuals_is_scoped(programmes, far_model):
    cw = programmes.cw
    rows = queries.targets_vs_actuals(cw.supervisor, 2026)
    assert {row.model.name for row in rows} == {"Commune model", "Province model"}
    assert [row.indicator for row in rows][: len(Indicator)] == list(Indicator)
    lead_models = {row.model.id for row in queries.targets_vs_actuals(cw.lead, 2026)}
    assert lead_models == {
        programmes.commune_model.id,
        programmes.other_model.id,
        programmes.province_model.id,
    }
    assert queries.targets_vs_actuals(cw.auditor, 2026) == []


def test_targets_vs_actuals_skips_years_the_model_does_not_run(programmes):
    cw = programmes.cw
    assert queries.targets_vs_actuals(cw.supervisor, 2024) == []  # starts 2025


def test_loader_404_outside_scope_403_without_management(programmes, far_model):
    cw = programmes.cw
    with pytest.raises(NotFound):
        queries.load_model(cw.supervisor, programmes.other_model.id)
    with pytest.raises(NotFound):
        queries.load_model(cw.outsider, programmes.commune_model.id)
    with pytest.raises(NotFound):
        queries.load_model(cw.worker, far_model.id)
    with pytest.raises(Forbidden):
        queries.load_model(cw.worker, programmes.commune_model.id, manage=True)
    # The province's model: seen by commune staff, managed by none of them.
    assert queries.load_model(cw.worker, programmes.province_model.id)
    for user in (cw.worker, cw.supervisor):
        with pytest.raises(Forbidden):
            queries.load_model(user, programmes.province_model.id, manage=True)
        assert not queries.may_manage(user, programmes.province_model)
    assert queries.load_model(cw.supervisor, programmes.commune_model.id, manage=True)
    assert queries.load_model(cw.lead, programmes.province_model.id, manage=True)
    assert queries.load_model(cw.admin, programmes.other_model.id, manage=True)
    denied = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action.in_(("programme.view", "programme.change")),
            AuditEvent.outcome == "denied",
        )
    ).all()
    assert len(denied) == 6


def test_pages_follow_the_scope(client, programmes, far_model):
    cw = programmes.cw
    client.login(cw.supervisor)
    listing = client.get("/programmes/").get_data(as_text=True)
    assert "Commune model" in listing and "Other model" not in listing
    assert "Province model" in listing and "Far province model" not in listing
    assert client.get(f"/programmes/{programmes.other_model.id}/results").status_code == 404
    assert client.get(f"/programmes/{far_model.id}").status_code == 404
    assert client.get(f"/programmes/{programmes.commune_model.id}/results").status_code == 200


# The controls of a model's pages for those who manage it, by page.
CONTROLS = {
    "": ["/edit"],
    "/activities": ["/activities/new"],
    "/visits": ["/visits/new"],
    "/results": ["/targets"],
}


def controls(client, model_id: int) -> dict[str, list[str]]:
    """The management links and forms each page of a model shows to the client's user."""
    found = {}
    for page, targets in CONTROLS.items():
        response = client.get(f"/programmes/{model_id}{page}")
        assert response.status_code == 200, page
        html = response.get_data(as_text=True)
        found[page] = [t for t in targets if f'"/programmes/{model_id}{t}"' in html]
    return found


@pytest.mark.parametrize("who", ["worker", "supervisor"])
def test_commune_staff_read_the_provincial_model_without_its_controls(client, programmes, who):
    cw = programmes.cw
    model = programmes.province_model
    client.login(getattr(cw, who))
    listing = client.get("/programmes/").get_data(as_text=True)
    assert f'href="/programmes/{model.id}"' in listing
    assert controls(client, model.id) == {page: [] for page in CONTROLS}
    assert client.get(f"/programmes/{model.id}/participants").status_code == 200
    # Asked for anyway: refused, and nothing changes.
    assert client.get(f"/programmes/{model.id}/edit").status_code == 403
    assert client.get(f"/programmes/{model.id}/activities/new").status_code == 403
    response = client.post_form(
        f"/programmes/{model.id}/targets", {"year": "2026", "persons_enrolled": "99"}
    )
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(YearlyTarget)) == 0


def test_the_controls_show_where_the_user_manages(client, programmes):
    cw = programmes.cw
    client.login(cw.supervisor)
    assert controls(client, programmes.commune_model.id) == CONTROLS
    client._cookies.clear()
    client.login(cw.lead)
    assert controls(client, programmes.province_model.id) == CONTROLS


def test_rows_unpack_as_model_indicator_target_actual(programmes):
    model, indicator, target, actual = queries.targets_vs_actuals(programmes.cw.supervisor, 2026)[0]
    assert (model.id, indicator, target, actual) == (
        programmes.commune_model.id,
        Indicator.PERSONS_ENROLLED,
        None,
        0,
    )
