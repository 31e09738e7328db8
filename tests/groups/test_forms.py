"""The child-protection forms 01-06: each renders with no data yet and with the case's data,
print-friendly, only for child cases, only for users who may read the case (audited)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from casemgr.audit.models import AuditEvent
from casemgr.cases import services
from casemgr.cases.models import AssessmentKind, NoteKind, RiskLevel
from casemgr.groups.decree56 import FORMS
from casemgr.people.registration import add_relative
from tests.cases.conftest import backdate

NUMBERS = tuple(FORMS)


def _sign_in(client, user) -> None:
    client._cookies.clear()
    assert client.login(user).status_code == 302


def _move(casework, user, name: str) -> None:
    case = casework.case
    closing = name == "request_closure"
    services.take_transition(
        user, case, casework.access(user), name, expected_version=case.version,
        reason="Không còn nguy cơ." if closing else None,
        closure_reason="goals_met" if closing else None,
    )  # fmt: skip


def _fill(casework) -> None:
    """Walk the child case from intake to a closure request, recording what the forms show."""
    worker, supervisor, case = casework.worker, casework.supervisor, casework.case
    backdate(case, dt.date(2026, 11, 1))  # opened before the case conference below
    access = casework.access(worker)
    person = case.person
    add_relative(worker, person, relationship_kind="father", is_guardian=False,
                 name="Nguyễn Văn Ba", phone=None)  # fmt: skip
    add_relative(worker, person, relationship_kind="mother", is_guardian=True,
                 name="Trần Thị Hoa", phone=None)  # fmt: skip
    _move(casework, worker, "verify")
    _move(casework, worker, "assess")
    services.record_assessment(
        worker, case, access, kind=AssessmentKind.INITIAL, risk_rating=RiskLevel.HIGH,
        answers={"safety": "Trẻ tạm ở nhà bà ngoại."},
    )  # fmt: skip
    _move(casework, worker, "assess_in_detail")
    services.record_assessment(
        worker, case, access, kind=AssessmentKind.DETAILED, risk_rating=RiskLevel.MEDIUM,
        answers={"carers": "Bà ngoại chăm sóc chu đáo."},
    )  # fmt: skip
    services.add_note(
        worker, case, access, kind=NoteKind.CASE_CONFERENCE, occurred_on=dt.date(2026, 11, 2),
        body="Họp với trường học và công an xã.",
    )  # fmt: skip
    services.add_plan_action(
        worker, case, access, goal="Trẻ đi học đều", action="Thăm nhà hàng tuần",
        responsible="Cán bộ xã", due_on=dt.date(2026, 12, 31),
    )  # fmt: skip
    _move(casework, worker, "submit_plan")
    _move(casework, supervisor, "approve_plan")
    _move(casework, worker, "implement")
    _move(casework, worker, "review")
    services.record_assessment(
        worker, case, access, kind=AssessmentKind.REVIEW, risk_rating=RiskLevel.LOW,
        answers={"needs": "Không còn nguy cơ."},
    )  # fmt: skip
    _move(casework, worker, "request_closure")


def _page(client, case_id: int, number: str) -> str:
    response = client.get(f"/cases/{case_id}/forms/{number}")
    assert response.status_code == 200, number
    return response.get_data(as_text=True)


@pytest.mark.parametrize("number", NUMBERS)
def test_each_form_renders_with_no_data_yet(client, casework, db, number):
    db.session.commit()
    _sign_in(client, casework.worker)
    html = _page(client, casework.case.id, number)
    assert FORMS[number].heading_vi in html
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in html
    assert casework.case.number in html
    assert "……" in html  # blanks for what is not recorded yet
    # Print-friendly without inline style or script (CSP): the navigation hides on paper.
    navigation = html.split('data-testid="form-')[0].rsplit("<div", 1)[1]
    assert "no-print" in navigation
    assert "style=" not in html and "<script>" not in html


def test_forms_are_filled_from_the_case(client, casework, db):
    _fill(casework)
    db.session.commit()
    case_id = casework.case.id
    worker, supervisor = casework.worker.display_name, casework.supervisor.display_name
    _sign_in(client, casework.worker)
    expected = {
        "01": ["Nguyễn Thị Lan", "Báo cáo ban đầu: trẻ bị bạo lực.", "Nguyễn Văn Ba",
               "Trần Thị Hoa", worker],
        "02": ["Trẻ tạm ở nhà bà ngoại.", "☒ Cao"],
        "03": ["Bà ngoại chăm sóc chu đáo.", "☒ Trung bình", "Họp với trường học và công an xã."],
        "04": ["Trẻ đi học đều", "Thăm nhà hàng tuần", "Cán bộ xã", "31/12/2026", worker],
        "05": ["Trẻ đi học đều", "Điều 1.", supervisor],
        "06": ["Không còn nguy cơ.", "☒ Thấp", "☒ Đề nghị đóng hồ sơ"],
    }  # fmt: skip
    for number, texts in expected.items():
        html = _page(client, case_id, number)
        for fragment in texts:
            assert fragment in html, (number, fragment)
    assert "not-approved" not in _page(client, case_id, "05")
    # Every form view is a read of the case, audited as such.
    reads = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "case.view",
            AuditEvent.case_id == case_id,
            AuditEvent.actor_id == casework.worker.id,
        )
    ).all()
    assert len(reads) >= len(expected)


def test_english_pages_keep_the_vietnamese_headings_with_a_gloss(client, casework, db):
    db.session.commit()
    _sign_in(client, casework.worker)
    client.post_form("/auth/language", {"locale": "en"})
    html = _page(client, casework.case.id, "01")
    assert FORMS["01"].heading_vi in html and "Intake record" in html


def test_forms_only_for_child_cases(client, groups, db):
    db.session.commit()
    _sign_in(client, groups.work.worker)
    assert client.get(f"/cases/{groups.drugs.id}/forms/01").status_code == 404


@pytest.mark.parametrize("number", ["01", "06"])
def test_other_units_get_404(client, casework, db, number):
    db.session.commit()
    _sign_in(client, casework.outsider)
    assert client.get(f"/cases/{casework.case.id}/forms/{number}").status_code == 404
    denied = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.actor_id == casework.outsider.id, AuditEvent.outcome == "denied"
        )
    )
    assert denied.object_id == str(casework.case.id)
