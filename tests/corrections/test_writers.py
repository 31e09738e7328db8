"""Writers refuse voided and superseded rows: a voided action is not marked done, a voided
consent is not withdrawn, a voided guardian gives no consent."""

from __future__ import annotations

import pytest

from casemgr.cases import services as case_services
from casemgr.clock import today
from casemgr.corrections import services
from casemgr.people import services as people_services
from casemgr.people.registration import record_consent


def test_a_voided_plan_action_is_not_marked_done(records):
    work = records.work
    access = work.access(work.worker)
    services.void(work.worker, records.plan_action, "Trùng", access=access)
    with pytest.raises(case_services.CaseError):
        case_services.mark_action_done(work.worker, work.case, access, records.plan_action, today())
    assert records.plan_action.done_on is None


def test_a_voided_guardian_gives_no_consent(records):
    work = records.work
    services.void(work.worker, records.consent, "Sai")
    services.void(work.worker, records.guardian, "Không phải mẹ")
    with pytest.raises(people_services.PersonError):
        record_consent(work.worker, work.case.person, scope="referral", given_by="guardian",
                       given_on=today(), relative=records.guardian)  # fmt: skip


def test_a_voided_consent_is_not_withdrawn(client, records):
    work = records.work
    services.void(work.worker, records.consent, "Sai")
    client.login(work.worker)
    url = f"/people/{work.case.person_id}/consents/withdraw"
    assert client.post_form(url, {"consent_id": records.consent.id}).status_code == 404
    assert records.consent.withdrawn_on is None


def test_an_erased_persons_records_are_not_corrected(records, make):
    from casemgr.auth.roles import Role
    from casemgr.people.models import ErasureReason

    work = records.work
    first, second = (
        make.user(Role.SUPERVISOR, work.commune),
        make.user(Role.SUPERVISOR, work.commune),
    )
    request = people_services.request_erasure(
        first, work.case.person, ErasureReason.SUBJECT_REQUEST
    )
    people_services.confirm_erasure(second, request)
    with pytest.raises(services.CorrectionError, match="person erased"):
        services.correct(work.worker, records.relative, {"phone": "0912000000"}, "Sai số")
    with pytest.raises(services.CorrectionError, match="person erased"):
        services.void(work.worker, records.relative, "Sai")
