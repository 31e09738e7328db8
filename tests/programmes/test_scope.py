"""Who sees which models: the list, the loader and targets_vs_actuals share one scope."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.exceptions import Forbidden, NotFound

from casemgr.audit.models import AuditEvent
from casemgr.extensions import db
from casemgr.programmes import queries
from casemgr.programmes.models import Indicator


def names(user) -> set[str]:
    return {m.name for m in db.session.scalars(queries.visible_models(user))}


def test_model_list_scope(programmes):
    cw = programmes.cw
    assert names(cw.supervisor) == {"Commune model"}
    assert names(cw.other_supervisor) == {"Other model"}
    assert names(cw.worker) == {"Commune model"}
    assert names(cw.lead) == {"Commune model", "Other model", "Province model"}
    assert {"Commune model", "Other model", "Province model"} <= names(cw.admin)
    assert names(cw.auditor) == set()


def test_targets_vs_actuals_is_scoped(programmes):
    cw = programmes.cw
    rows = queries.targets_vs_actuals(cw.supervisor, 2026)
    assert {row.model.name for row in rows} == {"Commune model"}
    assert [row.indicator for row in rows] == list(Indicator)
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


def test_loader_404_outside_scope_403_without_management(programmes):
    cw = programmes.cw
    with pytest.raises(NotFound):
        queries.load_model(cw.supervisor, programmes.other_model.id)
    with pytest.raises(NotFound):
        queries.load_model(cw.outsider, programmes.commune_model.id)
    with pytest.raises(Forbidden):
        queries.load_model(cw.worker, programmes.commune_model.id, manage=True)
    assert queries.load_model(cw.supervisor, programmes.commune_model.id, manage=True)
    assert queries.load_model(cw.admin, programmes.other_model.id, manage=True)
    denied = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "programme.view", AuditEvent.outcome == "denied"
        )
    ).all()
    assert len(denied) == 2


def test_pages_follow_the_scope(client, programmes):
    cw = programmes.cw
    client.login(cw.supervisor)
    listing = client.get("/programmes/").get_data(as_text=True)
    assert "Commune model" in listing and "Other model" not in listing
    assert "Province model" not in listing
    assert client.get(f"/programmes/{programmes.other_model.id}/results").status_code == 404
    assert client.get(f"/programmes/{programmes.commune_model.id}/results").status_code == 200


def test_rows_unpack_as_model_indicator_target_actual(programmes):
    model, indicator, target, actual = queries.targets_vs_actuals(programmes.cw.supervisor, 2026)[0]
    assert (model.id, indicator, target, actual) == (
        programmes.commune_model.id,
        Indicator.PERSONS_ENROLLED,
        None,
        0,
    )
