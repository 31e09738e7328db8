"""The demo data a new user works with: partners for every target group, and a referral that
works out of the box on a demo case of each group, through the real form."""

from __future__ import annotations

import re

from sqlalchemy import select

from casemgr import clock
from casemgr.auth.models import User
from casemgr.cases.models import Case
from casemgr.demo import DEMO_PASSWORD, load_demo_data
from casemgr.reference.models import TargetGroup
from casemgr.support.demo import DEMO_POINTS
from casemgr.support.models import Referral, ServicePoint


def test_demo_has_partners_for_every_group(db):
    load_demo_data()
    groups = {code for code in db.session.scalars(select(TargetGroup.code))}
    assert {group for group, *_ in DEMO_POINTS} == groups
    names = set(db.session.scalars(select(ServicePoint.name).where(ServicePoint.is_active)))
    assert {name for *_, name, _commune in DEMO_POINTS} <= names
    # Loading again adds nothing.
    load_demo_data()
    assert (
        db.session.scalar(
            select(ServicePoint.id).where(ServicePoint.name == DEMO_POINTS[0][2]).offset(1)
        )
        is None
    )


def _options(html: str, name: str) -> list[str]:
    select_html = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S).group(0)
    values = re.findall(r'<option[^>]*value="([^"]*)"', select_html)
    return [v for v in values if v not in ("", "0")]  # not the empty first choice


def test_a_worker_refers_a_demo_case_of_each_group(app, db):
    load_demo_data()
    groups = set(db.session.scalars(select(TargetGroup.code)))
    cases = {}
    for case in db.session.scalars(select(Case).order_by(Case.id)):
        cases.setdefault(case.group_code, case)
    assert set(cases) == groups  # a demo case of every group
    for group, case in cases.items():
        owner = db.session.get(User, case.owner_id)
        client = app.test_client()
        client.login(owner, DEMO_PASSWORD)
        base = f"/support/cases/{case.id}"
        form = client.get(f"{base}/referrals/new")
        assert form.status_code == 200, group
        html = form.get_data(as_text=True)
        assert 'name="override_reason"' not in html, group  # consent is on record
        partners, services = _options(html, "partner_id"), _options(html, "service_type_id")
        assert partners and services, group
        response = client.post_form(
            f"{base}/referrals/new",
            {
                "partner_id": partners[0],
                "service_type_id": services[0],
                "sent_on": clock.today().isoformat(),
                "reason": "[DEMO] Giới thiệu thử.",
            },
        )
        body = response.get_data(as_text=True)
        errors = re.findall(r"(?:alert-danger|invalid-feedback)[^>]*>([^<]*)", body)
        assert response.status_code == 302, (group, errors)
        assert db.session.scalar(select(Referral.id).where(Referral.case_id == case.id)), group
