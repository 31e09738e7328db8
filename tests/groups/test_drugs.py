"""Drug-programme records: dates from the dated rules and the working-day calendar, the steps
of an enrolment, deadline sources, pages and scope."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import select

from casemgr import clock
from casemgr.audit.models import AuditEvent
from casemgr.cases.dates import Bound, CaseDateRefused
from casemgr.clock import end_of_local_day
from casemgr.groups import dates, services
from casemgr.groups.models import DrugProgramme, ProgrammeStage
from casemgr.groups.services import RecordError
from casemgr.rules.models import DurationUnit
from casemgr.rules.services import add_rule_version
from casemgr.rules.tasks import open_tasks
from tests.cases.conftest import open_child_case
from tests.groups.conftest import open_group_case
from tests.validation.browser_form import errors_under

D = dt.date
# A moment after every date the rule-version tests record (a drug record is never dated in the
# future: casemgr/cases/dates.py): noon on 1 June 2027 in Viet Nam.
LATER = dt.datetime(2027, 6, 1, 5, 0, tzinfo=dt.UTC)


def _register(groups, registered_on, kind="voluntary_rehab", case=None):
    case = case or groups.drugs
    return services.register_programme(
        groups.work.worker, case, groups.access(case), kind=kind, registered_on=registered_on
    )


def _sign_in(client, user) -> None:
    client._cookies.clear()
    assert client.login(user).status_code == 302


@pytest.mark.parametrize(
    ("registered_on", "due"),
    [
        # Fri: Mon 27 Apr (Hung Kings, observed), Thu 30 Apr and Fri 1 May are holidays.
        (D(2026, 4, 24), D(2026, 5, 4)),
        (D(2026, 4, 29), D(2026, 5, 6)),  # Wed: the holidays and a weekend
        (D(2026, 6, 3), D(2026, 6, 8)),  # Wed: an ordinary weekend
    ],
)
def test_commune_decision_due_in_three_working_days(groups, registered_on, due):
    programme = _register(groups, registered_on)
    assert dates.programme_dates(programme).decision_due == due
    assert dates.programme_dates(programme).decision_late(programme, today=due) is False
    assert dates.programme_dates(programme).decision_late(programme, today=due + dt.timedelta(1))


def test_compulsory_terms_follow_the_rules_of_the_registration_date(groups):
    """Law 120/2025 lengthens compulsory terms from 1 July 2026; enrolments keep their time's."""
    access = groups.access(groups.drugs)
    terms = {}
    for registered_on in (D(2026, 6, 30), D(2026, 7, 1)):
        programme = _register(groups, registered_on)
        services.record_escalation(
            groups.work.worker, groups.drugs, access, programme,
            escalated_on=D(2026, 8, 1), reason="relapse",
        )  # fmt: skip
        assert programme.stage == ProgrammeStage.ESCALATED
        computed = dates.programme_dates(programme).compulsory
        terms[registered_on] = (computed.min_months, computed.max_months, computed.rules_from)
    assert terms == {
        D(2026, 6, 30): (6, 24, D(2022, 1, 1)),
        D(2026, 7, 1): (24, 36, D(2026, 7, 1)),
    }


def test_voluntary_term_is_checked_against_the_rule_of_its_day(groups):
    """A new version of a rule applies to registrations from its date, not before."""
    with time_machine.travel(LATER, tick=False):  # the dates below have happened by then
        add_rule_version(
            groups.work.admin, key="drugs.voluntary_rehab.max", valid_from=D(2027, 1, 1), amount=9,
            unit=DurationUnit.MONTHS, source="Synthetic test version",
        )  # fmt: skip
        access = groups.access(groups.drugs)
        before, after = _register(groups, D(2026, 12, 31)), _register(groups, D(2027, 1, 1))
        terms = [dates.voluntary_term(p.registered_on).max_months for p in (before, after)]
        assert terms == [12, 9]
        with pytest.raises(RecordError, match="term out of range"):
            services.record_decision(
                groups.work.worker, groups.drugs, access, after,
                decision_on=D(2027, 1, 4), planned_months=12,
            )  # fmt: skip
        assert after.decision_on is None  # nothing changed by the refusal
        services.record_decision(
            groups.work.worker, groups.drugs, access, before,
            decision_on=D(2027, 1, 4), planned_months=12,
        )  # fmt: skip
        services.record_decision(
            groups.work.worker, groups.drugs, access, after, decision_on=D(2027, 1, 4)
        )
        assert after.planned_months == 9  # the longest term of its rule, by default
        assert dates.programme_dates(after).end == D(2027, 10, 4)


def test_voluntary_term_end_dates(groups):
    access = groups.access(groups.drugs)
    programme = _register(groups, D(2026, 8, 27))
    with pytest.raises(RecordError, match="term out of range"):
        services.record_decision(
            groups.work.worker, groups.drugs, access, programme,
            decision_on=D(2026, 8, 31), planned_months=5,
        )  # fmt: skip
    with pytest.raises(RecordError, match="before registration"):
        services.record_decision(
            groups.work.worker, groups.drugs, access, programme, decision_on=D(2026, 8, 26)
        )
    services.record_decision(
        groups.work.worker, groups.drugs, access, programme,
        decision_on=D(2026, 8, 31), planned_months=6,
    )  # fmt: skip
    computed = dates.programme_dates(programme)
    # 31 August + 6 months is the last day of February.
    assert (computed.earliest_end, computed.end, computed.latest_end) == (
        D(2027, 2, 28),
        D(2027, 2, 28),
        D(2027, 8, 31),
    )
    assert programme.stage == ProgrammeStage.IN_PROGRESS
    with pytest.raises(RecordError, match="already decided"):
        services.record_decision(
            groups.work.worker, groups.drugs, access, programme, decision_on=D(2026, 9, 1)
        )


@pytest.mark.parametrize("kind", ["illegal_use", "post_rehab"])
def test_management_lasts_a_year_from_the_decision(groups, kind):
    access = groups.access(groups.drugs)
    programme = _register(groups, D(2026, 3, 2), kind=kind)
    assert dates.programme_dates(programme).decision_due is None  # no 3-day rule
    with pytest.raises(RecordError, match="term fixed by law"):
        services.record_decision(
            groups.work.worker, groups.drugs, access, programme,
            decision_on=D(2026, 3, 5), planned_months=6,
        )  # fmt: skip
    services.record_decision(
        groups.work.worker, groups.drugs, access, programme, decision_on=D(2026, 3, 5)
    )
    assert dates.programme_dates(programme).end == D(2027, 3, 5)


def test_tests_completion_and_escalation(groups, db):
    with time_machine.travel(LATER, tick=False):  # the dates below have happened by then
        worker, case, access = groups.work.worker, groups.drugs, groups.access(groups.drugs)
        programme = _register(groups, D(2026, 2, 2))
        with pytest.raises(RecordError, match="no decision yet"):
            services.record_completion(worker, case, access, programme, completed_on=D(2026, 9, 1))
        services.record_decision(worker, case, access, programme, decision_on=D(2026, 2, 4))
        for day, result in ((D(2026, 3, 1), "negative"), (D(2026, 4, 1), "refused")):
            services.record_drug_test(worker, case, access, programme, tested_on=day, result=result)
        with pytest.raises(RecordError, match="before registration"):
            services.record_drug_test(
                worker, case, access, programme, tested_on=D(2026, 1, 1), result="positive"
            )
        assert [(t.tested_on, t.result) for t in programme.tests] == [
            (D(2026, 3, 1), "negative"),
            (D(2026, 4, 1), "refused"),
        ]
        services.record_completion(worker, case, access, programme, completed_on=D(2027, 2, 4))
        assert programme.stage == ProgrammeStage.COMPLETED
        with pytest.raises(RecordError, match="already ended"):
            services.record_escalation(
                worker, case, access, programme, escalated_on=D(2027, 3, 1), reason="relapse"
            )
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("drugs.%")).order_by(AuditEvent.seq)
        ).all()
        assert [e.action for e in events] == [
            "drugs.register", "drugs.decision", "drugs.test", "drugs.test", "drugs.complete",
        ]  # fmt: skip
        assert {e.case_id for e in events} == {case.id}
        assert events[2].fields == "result,tested_on"  # names, never values


def test_records_belong_to_drug_cases_and_children_in_group_g(groups):
    worker = groups.work.worker
    with pytest.raises(RecordError, match="not applicable"):
        _register(groups, D(2026, 5, 4), case=groups.work.case)  # a child case, not in group g
    child = open_child_case(worker, groups.work.commune, given="Nam")
    child.sub_groups = [s for s in _child_sub_groups() if s.code == "g"]
    assert _register(groups, D(2026, 5, 4), case=child).case_id == child.id
    with pytest.raises(RecordError, match="read only"):
        services.register_programme(
            groups.work.outsider, groups.drugs, groups.access(groups.drugs, groups.work.outsider),
            kind="voluntary_rehab", registered_on=D(2026, 5, 4),
        )  # fmt: skip


def _child_sub_groups():
    from casemgr.reference import queries as reference

    return reference.sub_groups("child")


def test_deadline_sources_list_decisions_due_and_term_ends(groups):
    worker, case, access = groups.work.worker, groups.drugs, groups.access(groups.drugs)
    waiting = _register(groups, D(2026, 4, 24))
    running = _register(groups, D(2026, 4, 1))
    services.record_decision(worker, case, access, running, decision_on=D(2026, 4, 2))
    done = _register(groups, D(2026, 1, 5))
    services.record_escalation(
        worker, case, access, done, escalated_on=D(2026, 2, 1), reason="quit"
    )
    now = end_of_local_day(D(2026, 5, 5))
    tasks = [t for t in open_tasks(worker, now=now) if t.kind.startswith("drugs.")]
    assert [(t.kind, t.case_id, t.due_at) for t in tasks] == [
        ("drugs.commune_decision", case.id, end_of_local_day(D(2026, 5, 4))),
        ("drugs.programme_end", case.id, end_of_local_day(D(2027, 4, 2))),
    ]
    overdue = open_tasks(groups.work.supervisor, overdue_only=True, now=now)
    assert [t.kind for t in overdue if t.kind.startswith("drugs.")] == ["drugs.commune_decision"]
    assert waiting.decision_on is None
    # Another unit's worker sees none of them.
    assert not [t for t in open_tasks(groups.work.outsider, now=now) if t.case_id == case.id]


def test_drug_page_flow(client, groups, db):
    case_id = groups.drugs.id
    _sign_in(client, groups.work.worker)
    response = client.post_form(
        f"/cases/{case_id}/drugs",
        {"kind": "voluntary_rehab", "registered_on": "2026-04-24", "note": "Quyết định số 12"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    programme = db.session.scalar(select(DrugProgramme).where(DrugProgramme.case_id == case_id))
    response = client.post_form(
        f"/cases/{case_id}/drugs/decision",
        {"programme_id": programme.id, "decision_on": "2026-05-04", "planned_months": "13"},
    )
    assert response.status_code == 409  # outside 6-12 months
    response = client.post_form(
        f"/cases/{case_id}/drugs/decision",
        {"programme_id": programme.id, "decision_on": "2026-05-04", "planned_months": "6"},
    )
    assert response.status_code == 302
    for url, data in (
        ("tests", {"tested_on": "2026-06-01", "result": "negative"}),
        ("escalation", {"escalated_on": "2026-07-02", "reason": "relapse"}),
    ):
        data = {"programme_id": programme.id, **data}
        assert client.post_form(f"/cases/{case_id}/drugs/{url}", data).status_code == 302
    html = client.get(f"/cases/{case_id}/drugs").get_data(as_text=True)
    assert "04/05/2026" in html  # the decision was due on 4 May (dd/mm/yyyy in Vietnamese)
    assert "04/11/2026" in html  # 6 months from the decision
    assert "Quyết định số 12" in html
    # Registered before 1 July 2026: the compulsory term of its time, 6 to 24 months.
    assert "6" in html.split('data-testid="compulsory"')[1].split("</dd>")[0]
    assert "24" in html.split('data-testid="compulsory"')[1].split("</dd>")[0]


def test_other_units_get_404_and_ids_of_other_cases_are_refused(client, groups, db):
    work = groups.work
    other = open_group_case(work.worker, work.commune, "drugs")
    foreign = _register(groups, D(2026, 5, 4), case=other)
    db.session.commit()
    _sign_in(client, work.outsider)
    case_id = groups.drugs.id
    assert client.get(f"/cases/{case_id}/drugs").status_code == 404
    data = {"kind": "voluntary_rehab", "registered_on": "2026-05-04"}
    assert client.post_form(f"/cases/{case_id}/drugs", data).status_code == 404
    _sign_in(client, work.worker)
    response = client.post_form(
        f"/cases/{case_id}/drugs/decision",
        {"programme_id": foreign.id, "decision_on": "2026-05-05"},
    )
    assert response.status_code == 404
    assert db.session.get(DrugProgramme, foreign.id).decision_on is None
    denied = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "drug_programme.view"))
    assert (denied.outcome, denied.case_id) == ("denied", case_id)


def test_a_registration_may_predate_the_case_but_never_the_birth(client, groups, db):
    """The commune's registration (or a return from compulsory rehabilitation) may come before
    the office opened the case; never before the person was born, nor in the future."""
    worker, case, access = groups.work.worker, groups.drugs, groups.access(groups.drugs)
    person = case.person
    person.date_of_birth, person.birth_year = "2005-05-06", 2005
    before_case = clock.local_date(case.opened_at) - dt.timedelta(days=40)
    assert _register(groups, before_case).registered_on == before_case
    with pytest.raises(CaseDateRefused) as refused:
        _register(groups, D(2005, 5, 5))
    assert (refused.value.field, refused.value.bound) == ("registered_on", Bound.BIRTH)
    with pytest.raises(CaseDateRefused) as refused:
        _register(groups, clock.today() + dt.timedelta(days=1))
    assert refused.value.bound == Bound.FUTURE
    programme = _register(groups, D(2026, 2, 2))
    with pytest.raises(CaseDateRefused) as refused:
        services.record_drug_test(
            worker, case, access, programme, tested_on=clock.today() + dt.timedelta(days=1),
            result="negative",
        )  # fmt: skip
    assert refused.value.field == "tested_on"
    db.session.commit()
    _sign_in(client, worker)
    response = client.post_form(
        f"/cases/{case.id}/drugs", {"kind": "voluntary_rehab", "registered_on": "2005-05-05"}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert errors_under(html, "registered_on") == [
        "Ngày không thể trước ngày sinh của người này (06/05/2005)."
    ]
