"""The correction pages: links on each record's page, the pre-filled form, the history."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from casemgr.audit.models import AuditEvent
from casemgr.clock import today
from casemgr.corrections.registry import KINDS
from casemgr.extensions import db
from tests.corrections.conftest import CANARY

DAY = today() - dt.timedelta(days=10)


def _form_data(records, kind: str) -> dict:
    """A complete correction form for `kind`, in the original form's vocabulary."""
    day = DAY.isoformat()
    return {
        "relative": {"relationship_kind": "grandparent", "name": "Nguyễn Văn Bình", "phone": ""},
        "consent": {"scope": "case_work", "given_by": "guardian",
                    "relative_id": str(records.guardian.id),
                    "given_on": (DAY - dt.timedelta(days=1)).isoformat()},
        "drug_test": {"tested_on": day, "result": "positive"},
        "service": {"service_type_id": str(records.service.service_type_id), "delivered_on": day,
                    "partner_id": "0", "provider": "", "quantity": "3", "amount_vnd": "",
                    "note": "Sửa"},
        "note": {"kind": "meeting", "occurred_on": day, "body": "Họp gia đình (sửa)."},
        "plan_action": {"goal": "Mục tiêu mới", "action": "Thăm", "responsible": "Cán bộ",
                        "due_on": (today() + dt.timedelta(days=7)).isoformat()},
    }[kind]  # fmt: skip


def _page_of(records, kind: str) -> str:
    work = records.work
    if kind in ("relative", "consent"):
        return f"/people/{work.case.person_id}"
    if kind == "drug_test":
        return f"/cases/{records.drugs_case.id}/drugs"
    return f"/cases/{work.case.id}"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_correct_then_void_through_the_pages(client, records, kind):
    item = records.of(kind)
    if kind == "relative":
        item = records.relative
    model, item_id = type(item), item.id
    client.login(records.work.worker)
    page = client.get(_page_of(records, kind)).get_data(as_text=True)
    correct_url = f"/corrections/{kind}/{item_id}/correct"
    assert correct_url in page and f"/corrections/{kind}/{item_id}/void" in page
    form = client.get(correct_url)
    assert form.status_code == 200
    # Empty reason: refused, nothing written.
    refused = client.post_form(correct_url, _form_data(records, kind))
    assert refused.status_code == 400
    assert db.session.get(model, item_id).superseded_by_id is None
    reason = f"Nhập sai {CANARY}"
    done = client.post_form(correct_url, {**_form_data(records, kind), "reason": reason})
    assert done.status_code == 302, done.get_data(as_text=True)[-2000:]
    db.session.expire_all()
    new_id = db.session.get(model, item_id).superseded_by_id
    assert new_id is not None
    page = client.get(_page_of(records, kind)).get_data(as_text=True)
    assert f"/corrections/{kind}/{new_id}/history" in page  # the "corrected" mark links it
    history = client.get(f"/corrections/{kind}/{new_id}/history").get_data(as_text=True)
    assert history.count('data-testid="version"') == 2 and reason in history
    # The old version can be corrected no more; the new one is voided.
    assert client.post_form(correct_url, {"reason": "x"}).status_code == 409
    void_url = f"/corrections/{kind}/{new_id}/void"
    assert client.post_form(void_url, {"reason": ""}).status_code == 400
    assert client.post_form(void_url, {"reason": reason}).status_code == 302
    page = client.get(_page_of(records, kind)).get_data(as_text=True)
    if kind != "plan_action":  # a voided action leaves the plan (the timeline keeps it)
        assert 'data-testid="voided"' in page
    history = client.get(f"/corrections/{kind}/{new_id}/history").get_data(as_text=True)
    assert re.search(r'data-testid="void-reason">[^<]*' + re.escape(reason), history)
    for event in db.session.scalars(select(AuditEvent)):
        for value in (event.reason, event.fields, event.object_id):
            assert CANARY not in (value or "")


@pytest.mark.parametrize("who", ["auditor", "admin"])
def test_auditors_and_administrators_are_refused(client, records, who):
    client.login(getattr(records.work, who))
    for kind in KINDS:
        item = records.of(kind)
        for action in ("correct", "void", "history"):
            url = f"/corrections/{kind}/{item.id}/{action}"
            assert client.get(url).status_code == 403, url


def test_other_units_get_not_found(client, records):
    client.login(records.work.outsider)
    for kind in KINDS:
        for action in ("correct", "void", "history"):
            url = f"/corrections/{kind}/{records.of(kind).id}/{action}"
            assert client.get(url).status_code == 404, url
    assert client.get("/corrections/nothing/1/void").status_code == 404
