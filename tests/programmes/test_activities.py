"""Activities hold counts only; models, activities and visits are managed within scope."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, select

from casemgr.extensions import db
from casemgr.programmes import services
from casemgr.programmes.models import Activity, ActivityKind, InterventionModel, MonitoringVisit

ACTIVITY_COLUMNS = {
    "id", "model_id", "kind", "held_on", "area_id", "title", "men", "women", "unspecified",
    "duration_minutes", "recorded_by_id", "created_at",
}  # fmt: skip


def test_activities_table_stores_no_personal_data(db):
    columns = inspect(db.engine).get_columns("programme_activities")
    assert {c["name"] for c in columns} == ACTIVITY_COLUMNS
    foreign = inspect(db.engine).get_foreign_keys("programme_activities")
    assert {fk["referred_table"] for fk in foreign} == {"intervention_models", "areas", "users"}
    assert not any(c["name"].endswith("_enc") for c in columns)


def test_supervisor_records_a_session_by_counts(client, programmes):
    cw, model = programmes.cw, programmes.commune_model
    client.login(cw.supervisor)
    response = client.post_form(
        f"/programmes/{model.id}/activities/new",
        {"kind": "staff_training", "held_on": "2026-05-04", "area_id": programmes.commune_area.id,
         "title": "Tập huấn bảo vệ trẻ em", "men": 3, "women": 9, "unspecified": 0,
         "duration_hours": "3.5"},
    )  # fmt: skip
    assert response.status_code == 302
    activity = db.session.scalar(select(Activity).where(Activity.model_id == model.id))
    assert (activity.men, activity.women, activity.participants) == (3, 9, 12)
    assert activity.duration_minutes == 210 and activity.kind == ActivityKind.STAFF_TRAINING
    page = client.get(f"/programmes/{model.id}/activities").get_data(as_text=True)
    assert "Tập huấn bảo vệ trẻ em" in page


def test_activity_rules(programmes):
    cw, model = programmes.cw, programmes.commune_model
    good = dict(kind=ActivityKind.COMMUNITY_SESSION, held_on=dt.date(2026, 1, 5),
                area=programmes.commune_area, title="Sinh hoạt cộng đồng", men=1, women=1,
                unspecified=0, duration_minutes=60)  # fmt: skip
    with pytest.raises(services.ProgrammeError, match="bad counts"):
        services.record_activity(cw.supervisor, model, **{**good, "men": -1})
    with pytest.raises(services.ProgrammeError, match="bad counts"):
        services.record_activity(cw.supervisor, model, **{**good, "men": 0, "women": 0})
    with pytest.raises(services.ProgrammeError, match="area not served"):
        services.record_activity(cw.supervisor, model, **{**good, "area": programmes.province_area})
    with pytest.raises(services.ProgrammeError, match="not managed"):
        services.record_activity(cw.worker, model, **good)
    with pytest.raises(services.ProgrammeError, match="not managed"):
        services.record_activity(cw.other_supervisor, model, **good)
    assert services.record_activity(cw.lead, model, **good).participants == 2


def test_monitoring_visit_and_targets_need_management(programmes):
    cw, model = programmes.cw, programmes.commune_model
    with pytest.raises(services.ProgrammeError, match="not managed"):
        services.record_visit(cw.other_supervisor, model, visited_on=dt.date(2026, 2, 1),
                              unit=cw.commune, finding="satisfactory")  # fmt: skip
    visit = services.record_visit(cw.supervisor, model, visited_on=dt.date(2026, 2, 1),
                                  unit=cw.commune, finding="needs_improvement")  # fmt: skip
    assert db.session.get(MonitoringVisit, visit.id).finding == "needs_improvement"
    with pytest.raises(services.ProgrammeError, match="not managed"):
        services.set_targets(cw.worker, model, 2026, {})


def test_supervisor_registers_a_model_in_their_subtree_only(client, programmes):
    cw = programmes.cw
    client.login(cw.supervisor)
    form = {"name": "Địa chỉ tin cậy", "group_code": "child", "starts_on": "2026-01-01",
            "area_ids": [programmes.province_area.id], "description": "Mô hình thử"}  # fmt: skip
    refused = client.post_form("/programmes/new", {**form, "unit_id": cw.province.id})
    assert refused.status_code == 200  # not a choice for a commune supervisor
    response = client.post_form("/programmes/new", {**form, "unit_id": cw.commune.id})
    assert response.status_code == 302
    model = db.session.scalar(
        select(InterventionModel).where(InterventionModel.name == "Địa chỉ tin cậy")
    )
    assert model.unit_id == cw.commune.id
    assert [a.id for a in model.areas] == [programmes.province_area.id]
    with pytest.raises(services.ProgrammeError, match="not managed"):
        services.create_model(cw.supervisor, name="x", group_code="child", unit=cw.other_commune,
                              starts_on=dt.date(2026, 1, 1), ends_on=None, areas=[])  # fmt: skip
    with pytest.raises(services.ProgrammeError, match="ends before it starts"):
        services.create_model(cw.supervisor, name="x", group_code="child", unit=cw.commune,
                              starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2025, 1, 1),
                              areas=[])  # fmt: skip


def test_the_areas_list_says_how_to_choose_several(client, programmes):
    client.login(programmes.cw.supervisor)
    html = client.get("/programmes/new").get_data(as_text=True)  # Vietnamese, the default
    select = html[html.index('name="area_ids"') - 200 : html.index('name="area_ids"') + 200]
    assert 'size="10"' in select and "multiple" in select
    assert "Giữ phím Ctrl" in html
