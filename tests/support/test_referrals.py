"""The referral loop: consent gate (child 7+ rule), override with a recorded reason, answer
deadlines on the working-day calendar, overdue detection, answer and outcome."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from casemgr.audit.models import AuditEvent
from casemgr.people.registration import withdraw_consent
from casemgr.people.relations import ConsentGiver
from casemgr.rules.models import DurationUnit
from casemgr.rules.services import add_rule_version
from casemgr.rules.tasks import deadline_sources, open_tasks
from casemgr.support import deadlines, queries, referrals, services
from casemgr.support.models import Referral, ReferralStatus, ServiceType, VictimStatus
from tests.support.conftest import DAY, consent, open_case

SUBJECT, GUARDIAN = ConsentGiver.SUBJECT, ConsentGiver.GUARDIAN


def _type(db, group, code):
    return db.session.scalar(
        select(ServiceType).where(ServiceType.group_code == group, ServiceType.code == code)
    )


def _identify(support, case=None, user=None):
    cw = support.cw
    case = case or support.case
    user = user or cw.worker
    services.record_trafficking_status(
        user,
        case,
        cw.access(user, case),
        status=VictimStatus.IDENTIFIED,
        valid_from=dt.date(2025, 7, 1),
    )


def _send(db, support, *, user=None, case=None, on=DAY, override=None, code="b", group=None):
    cw = support.cw
    user = user or cw.worker
    case = case or support.case
    return referrals.send_referral(
        user,
        case,
        cw.access(user, case),
        partner=support.shelter,
        service_type=_type(db, group or case.group_code, code),
        reason="Cần khám sức khỏe sau khi trở về.",
        sent_on=on,
        override_reason=override,
    )


def _last_event(db, action):
    return db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq.desc())
    )


# -- consent ---------------------------------------------------------------------------------


def test_referral_without_consent_is_refused_and_audited(db, support):
    _identify(support)
    with pytest.raises(referrals.ConsentMissing) as refused:
        _send(db, support)
    assert refused.value.missing == {SUBJECT}
    event = _last_event(db, "referral.send")
    assert (event.outcome, event.reason) == ("denied", "consent missing")
    assert db.session.scalar(select(Referral.id).where(Referral.case_id == support.case.id)) is None


def test_referral_with_the_persons_consent_goes(db, support):
    _identify(support)
    consent(support.cw.worker, support.case, SUBJECT)
    referral = _send(db, support)
    assert (referral.status, referral.consent_overridden) == (ReferralStatus.SENT, False)
    assert referral.reason == "Cần khám sức khỏe sau khi trở về."


def test_consent_given_after_the_day_or_withdrawn_does_not_count(db, support):
    _identify(support)
    given = consent(support.cw.worker, support.case, SUBJECT, on=DAY + dt.timedelta(days=1))
    with pytest.raises(referrals.ConsentMissing):
        _send(db, support)
    assert _send(db, support, on=DAY + dt.timedelta(days=1)).id
    withdraw_consent(support.cw.worker, given, DAY + dt.timedelta(days=2))
    with pytest.raises(referrals.ConsentMissing):
        _send(db, support, on=DAY + dt.timedelta(days=2))
    # The audit trail says whose consent was withdrawn, as it said whose was given.
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "person.consent_withdraw")
    ).one()
    assert event.reason == f"{given.scope}:{given.given_by}"


# (age, consents given, who is still missing): from 7 the child's own consent is needed too.
CHILD_CONSENT_CASES = [
    (10, [GUARDIAN], {SUBJECT}),
    (10, [SUBJECT], {GUARDIAN}),
    (10, [SUBJECT, GUARDIAN], set()),
    (7, [GUARDIAN], {SUBJECT}),
    (6, [GUARDIAN], set()),  # under 7, a guardian's is enough
    (5, [SUBJECT], {GUARDIAN}),
    (16, [SUBJECT], set()),
]


def test_child_consent_rule(db, support):
    cw = support.cw
    for age, givers, missing in CHILD_CONSENT_CASES:
        case = open_case(cw.worker, cw.commune, "child", birth_year=DAY.year - age)
        for giver in givers:
            consent(cw.worker, case, giver)
        assert queries.missing_referral_consents(case, DAY) == missing, (age, givers)
        if missing:
            with pytest.raises(referrals.ConsentMissing) as refused:
                _send(db, support, case=case, code="health")
            assert refused.value.missing == missing
        else:
            assert _send(db, support, case=case, code="health").id


def test_a_social_worker_cannot_override(db, support):
    _identify(support)
    with pytest.raises(services.SupportError, match="override not allowed"):
        _send(db, support, override="Trẻ đang gặp nguy hiểm, cần chuyển gấp tới nhà tạm lánh.")
    assert _last_event(db, "referral.send").reason == "override not allowed"


def test_a_supervisor_overrides_with_a_sealed_reason_and_a_coded_audit(db, support):
    _identify(support)
    supervisor = support.cw.supervisor
    why = "Nạn nhân đang bị đe dọa, không liên lạc được với gia đình để xin đồng ý."
    with pytest.raises(services.SupportError, match="reason too short"):
        _send(db, support, user=supervisor, override="Gấp.")
    referral = _send(db, support, user=supervisor, override=why)
    assert referral.consent_overridden and referral.override_by_id == supervisor.id
    db.session.expire(referral)
    assert db.session.get(Referral, referral.id).override_reason == why
    raw = db.session.execute(
        select(Referral.__table__.c.override_reason_enc).where(Referral.id == referral.id)
    ).scalar_one()
    assert why.encode() not in raw and "đe dọa".encode() not in raw
    event = _last_event(db, "referral.send")
    assert (event.outcome, event.reason) == ("allowed", "consent override")
    assert event.fields == "override_reason,reason"
    assert "đe dọa" not in " ".join(str(v) for v in vars(event).values())


def test_override_is_ignored_when_consent_is_complete(db, support):
    _identify(support)
    consent(support.cw.worker, support.case, SUBJECT)
    referral = _send(db, support, user=support.cw.supervisor, override="x" * 30)
    assert not referral.consent_overridden and referral.override_reason is None


# -- deadlines and overdue -------------------------------------------------------------------


def test_answer_is_due_five_working_days_later_across_holidays(db):
    # Friday 24 April 2026: Hung Kings (observed Monday 27), 30 April and 1 May are holidays.
    assert deadlines.referral_answer_due(dt.date(2026, 4, 24)) == dt.date(2026, 5, 6)
    # Friday 6 March 2026: the weekend only.
    assert deadlines.referral_answer_due(dt.date(2026, 3, 6)) == dt.date(2026, 3, 13)


def test_overdue_only_after_the_deadline_and_only_while_unanswered(db, support):
    _identify(support)
    consent(support.cw.worker, support.case, SUBJECT, on=dt.date(2026, 4, 1))
    referral = _send(db, support, on=dt.date(2026, 4, 24))
    assert referral.answer_due_on == dt.date(2026, 5, 6)
    assert not referral.is_overdue(dt.date(2026, 5, 6))
    assert referral.is_overdue(dt.date(2026, 5, 7))
    cw = support.cw
    referrals.answer_referral(
        cw.worker,
        support.case,
        cw.access(cw.worker, support.case),
        referral,
        accepted=True,
        answered_on=dt.date(2026, 5, 8),
    )
    assert not referral.is_overdue(dt.date(2026, 5, 8))


def test_a_new_rule_version_applies_to_referrals_sent_from_its_date(db, support):
    _identify(support)
    consent(support.cw.worker, support.case, SUBJECT, on=dt.date(2026, 1, 1))
    add_rule_version(
        support.cw.admin,
        key="referral.answer",
        valid_from=dt.date(2026, 6, 1),
        amount=10,
        unit=DurationUnit.WORKING_DAYS,
        source="test: a longer answer period",
    )
    before = _send(db, support, on=dt.date(2026, 5, 29))  # Friday, under the old version
    after = _send(db, support, on=dt.date(2026, 6, 1))  # Monday, under the new one
    assert before.answer_due_on == dt.date(2026, 6, 5)
    assert after.answer_due_on == dt.date(2026, 6, 15)


def test_list_shows_overdue_first_and_only_visible_cases(db, support):
    cw = support.cw
    _identify(support)
    consent(cw.worker, support.case, SUBJECT, on=dt.date(2026, 1, 1))
    late = _send(db, support, on=dt.date(2026, 3, 2))  # due 9 March
    fresh = _send(db, support, on=dt.date(2026, 3, 16))  # due 23 March
    answered = _send(db, support, on=dt.date(2026, 3, 3))
    access = cw.access(cw.worker, support.case)
    referrals.answer_referral(
        cw.worker, support.case, access, answered, accepted=True, answered_on=dt.date(2026, 3, 4)
    )
    other_case = open_case(cw.outsider, cw.other_commune)
    _identify(support, other_case, cw.outsider)
    consent(cw.outsider, other_case, SUBJECT, on=dt.date(2026, 1, 1))
    theirs = _send(db, support, user=cw.outsider, case=other_case, on=dt.date(2026, 3, 1))
    day = dt.date(2026, 3, 17)

    def listed(user):
        return [r.id for r, _ in db.session.execute(queries.referral_list(user, day))]

    assert listed(cw.worker) == [late.id, fresh.id, answered.id]
    assert listed(cw.supervisor) == [late.id, fresh.id, answered.id]
    assert listed(cw.outsider) == [theirs.id]
    assert set(listed(cw.lead)) == {late.id, fresh.id, answered.id, theirs.id}
    assert listed(cw.auditor) == []


def test_unanswered_referrals_are_tasks(db, support):
    _identify(support)
    consent(support.cw.worker, support.case, SUBJECT, on=dt.date(2026, 1, 1))
    referral = _send(db, support, on=dt.date(2026, 3, 2))
    now = dt.datetime(2026, 3, 10, 3, tzinfo=dt.UTC)
    assert deadlines.referral_answers in deadline_sources()

    def tasks(user):
        return [t for t in open_tasks(user, now=now) if t.kind == "referral.answer"]

    assert [(t.case_id, t.kind, t.is_overdue(now)) for t in tasks(support.cw.worker)] == [
        (support.case.id, "referral.answer", True)
    ]
    assert tasks(support.cw.worker)[0].due_at.date() == dt.date(2026, 3, 9)  # 23:59 local
    assert not tasks(support.cw.worker)[0].is_overdue(dt.datetime(2026, 3, 9, 3, tzinfo=dt.UTC))
    assert tasks(support.cw.outsider) == []
    cw = support.cw
    referrals.answer_referral(
        cw.worker, support.case, cw.access(cw.worker, support.case), referral,
        accepted=True, answered_on=dt.date(2026, 3, 10),
    )  # fmt: skip
    assert tasks(support.cw.worker) == []


# -- answer and outcome ----------------------------------------------------------------------


def test_the_loop_closes_accept_then_outcome(db, support):
    cw = support.cw
    _identify(support)
    consent(cw.worker, support.case, SUBJECT)
    referral = _send(db, support)
    access = cw.access(cw.worker, support.case)
    with pytest.raises(services.SupportError, match="not accepted"):
        referrals.complete_referral(
            cw.worker, support.case, access, referral, completed_on=DAY, outcome="Xong."
        )
    with pytest.raises(services.SupportError, match="before it was sent"):
        referrals.answer_referral(
            cw.worker, support.case, access, referral, accepted=True, answered_on=DAY.replace(day=1)
        )
    referrals.answer_referral(
        cw.worker, support.case, access, referral, accepted=True, answered_on=DAY
    )
    with pytest.raises(services.SupportError, match="already answered"):
        referrals.answer_referral(
            cw.worker, support.case, access, referral, accepted=False, answered_on=DAY
        )
    referrals.complete_referral(
        cw.worker,
        support.case,
        access,
        referral,
        completed_on=DAY + dt.timedelta(days=7),
        outcome="Đã được khám và điều trị.",
    )
    assert referral.status == ReferralStatus.COMPLETED and not referral.is_open
    assert referral.outcome == "Đã được khám và điều trị."
    assert _last_event(db, "referral.complete").fields == "outcome"


def test_a_decline_needs_its_reason(db, support):
    cw = support.cw
    _identify(support)
    consent(cw.worker, support.case, SUBJECT)
    referral = _send(db, support)
    access = cw.access(cw.worker, support.case)
    with pytest.raises(services.SupportError, match="decline reason needed"):
        referrals.answer_referral(
            cw.worker, support.case, access, referral, accepted=False, answered_on=DAY
        )
    referrals.answer_referral(
        cw.worker,
        support.case,
        access,
        referral,
        accepted=False,
        answered_on=DAY,
        decline_reason="Hết chỗ.",
    )
    assert (referral.status, referral.decline_reason) == (ReferralStatus.DECLINED, "Hết chỗ.")
    assert not referral.is_open


def test_ineligible_service_cannot_be_referred(db, support):
    consent(support.cw.worker, support.case, SUBJECT)
    with pytest.raises(services.SupportError, match="not eligible"):
        _send(db, support)  # no status yet: no support
