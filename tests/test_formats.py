"""Vietnamese formats everywhere: money "1.500.000 ₫", dates dd/mm/yyyy, ages, legal sources."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from flask_babel import force_locale
from sqlalchemy import select

from casemgr.auth.roles import Role
from casemgr.cases import services as case_services
from casemgr.cases.models import ProtectionLevel, RiskLevel
from casemgr.i18n import age_on, show_date, show_money
from casemgr.people.services import register_person
from casemgr.rules.seed import SEED_RULES, SOURCE_LABELS
from casemgr.support import services
from casemgr.support.models import ServiceType, VictimStatus
from tests.cases.conftest import casework  # noqa: F401
from tests.support.conftest import support  # noqa: F401

NBSP = "\xa0"
TODAY = dt.datetime(2026, 3, 8, 3, 0, tzinfo=dt.UTC)  # 8 March 2026 in Ha Noi


def test_money_and_dates_in_each_language(app):
    with app.test_request_context():
        with force_locale("vi"):
            assert show_money(1_500_000) == f"1.500.000{NBSP}₫"
            assert show_money(0) == f"0{NBSP}₫"
            assert show_date(dt.date(2015, 3, 9)) == "09/03/2015"
            assert show_date("2015-03-09") == "09/03/2015"  # stored (encrypted) dates are ISO
            # A UTC moment late in the evening is already the next day in Viet Nam.
            assert show_date(dt.datetime(2026, 3, 7, 18, 30, tzinfo=dt.UTC)) == "08/03/2026"
        with force_locale("en"):
            assert show_money(1_500_000) == "₫1,500,000"
            assert show_date("2015-03-09") == "9 Mar 2015"
        assert show_money(None) == "" and show_date(None) == "" and show_date("") == ""


def test_age_is_exact_from_a_date_and_approximate_from_a_year():
    day = dt.date(2026, 3, 8)
    assert age_on(dt.date(2015, 3, 9), None, day) == (10, False)  # birthday tomorrow
    assert age_on(dt.date(2015, 3, 8), None, day) == (11, False)  # birthday today
    assert age_on(dt.date(2016, 2, 29), None, dt.date(2026, 2, 28)) == (9, False)
    assert age_on(None, 2015, day) == (11, True)
    assert age_on(None, None, day) is None


def test_person_page_shows_dd_mm_yyyy_and_the_age(client, casework):  # noqa: F811
    with time_machine.travel(TODAY, tick=False):
        person = register_person(
            casework.worker,
            sex="female",
            surname="Lò",
            given_name="Mai",
            birth_year=2015,
            date_of_birth="2015-03-09",
        )
        estimated = register_person(
            casework.worker, sex="male", surname="Lò", given_name="Nam", birth_year=2016
        )
        estimated.birth_year_is_estimated = True
        for someone in (person, estimated):
            _open_child_case(casework, someone)
        client.login(casework.worker)
        page = client.get(f"/people/{person.id}").get_data(as_text=True)
        assert "09/03/2015" in page and "2015-03-09" not in page
        assert "(10 tuổi)" in page
        other = client.get(f"/people/{estimated.id}").get_data(as_text=True)
        assert "~ 10 tuổi" in other


def _open_child_case(cw, person) -> None:
    case_services.open_case(
        cw.worker,
        person=person,
        group_code="child",
        sub_groups=[],
        protection_level=ProtectionLevel.INTERVENTION,
        risk_level=RiskLevel.HIGH,
        unit=cw.commune,
        summary=None,
    )


def test_service_amounts_are_money(client, db, support):  # noqa: F811
    cw = support.cw
    services.record_trafficking_status(
        cw.worker,
        support.case,
        cw.access(cw.worker, support.case),
        status=VictimStatus.IDENTIFIED,
        valid_from=dt.date(2025, 7, 1),
        decision_ref="QĐ 12/2025",
        documents=[],
    )
    service_type = db.session.scalar(
        select(ServiceType).where(ServiceType.group_code == "trafficking", ServiceType.code == "k")
    )
    services.deliver_service(
        cw.worker,
        support.case,
        cw.access(cw.worker, support.case),
        service_type=service_type,
        delivered_on=dt.date(2026, 3, 2),
        provider="Trạm y tế xã",
        amount_vnd=1_500_000,
        note=None,
    )
    client.login(cw.worker)
    page = client.get(f"/cases/{support.case.id}").get_data(as_text=True)
    assert f"1.500.000{NBSP}₫" in page and "1,500,000" not in page


def test_every_seeded_source_is_shown_in_vietnamese(client, make, db):
    assert {seed.source for seed in SEED_RULES} <= set(SOURCE_LABELS)
    for source, label in SOURCE_LABELS.items():
        assert label._args[0] == source  # the msgid is the stored English text
    client.login(make.user(Role.ADMINISTRATOR))
    page = client.get("/rules/").get_data(as_text=True)
    assert "hiệu lực từ" in page
    assert "in force" not in page


@pytest.mark.parametrize(
    ("typed", "read"),
    [("1.500.000", 1_500_000), ("1,500,000", 1_500_000), ("1 500 000 ₫", 1_500_000),
     ("1500000", 1_500_000), ("1.5", None), ("1.500.00", None), ("abc", None)],
)  # fmt: skip
def test_a_sum_of_money_is_read_as_people_write_it(app, typed, read):
    """Thousands separators (dots, commas, spaces) and a trailing ₫ are accepted; anything that
    is not a whole number of đồng is refused under the field, never guessed."""
    from werkzeug.datastructures import MultiDict

    from casemgr.web.forms import Form, MoneyField

    class Sum(Form):
        amount = MoneyField("amount")

    with app.test_request_context(method="POST"):
        form = Sum(formdata=MultiDict({"amount": typed}), meta={"csrf": False})
        assert form.validate() is (read is not None)
        assert form.amount.data == read if read is not None else form.amount.errors
        assert 'inputmode="numeric"' in form.amount()
