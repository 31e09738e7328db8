"""Support pages: a referral walked through the pages, documents, the case-page section, IDOR
(another unit's worker gets 404 everywhere), and no plaintext at rest or in the audit trail."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from sqlalchemy import select, text

from casemgr.people.relations import ConsentGiver
from casemgr.support import referrals, services
from casemgr.support.models import (
    Referral,
    ReferralStatus,
    ServiceDelivery,
    ServiceType,
    TraffickingStatus,
    VictimStatus,
)
from tests.support.conftest import DAY, consent

PDF = b"%PDF-1.4\n% synthetic test document\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def _type(db, code):
    return db.session.scalar(
        select(ServiceType).where(ServiceType.group_code == "trafficking", ServiceType.code == code)
    )


def _identified(support, **documents):
    cw = support.cw
    return services.record_trafficking_status(
        cw.worker,
        support.case,
        cw.access(cw.worker, support.case),
        status=VictimStatus.IDENTIFIED,
        valid_from=dt.date(2025, 7, 1),
        decision_ref="QĐ 12/2025",
        documents=[
            services.Document(kind, "quyet-dinh.pdf", "application/pdf", PDF)
            for kind in documents.values()
        ],
    )


def test_referral_walked_through_the_pages(client, db, support):
    cw = support.cw
    _identified(support)
    consent(cw.worker, support.case, ConsentGiver.SUBJECT, on=dt.date(2025, 8, 1))
    client.login(cw.worker)
    base = f"/support/cases/{support.case.id}"
    form = client.get(f"{base}/referrals/new").get_data(as_text=True)
    assert 'name="override_reason"' not in form  # consent is complete, and she may not override
    response = client.post_form(
        f"{base}/referrals/new",
        {
            "partner_id": support.shelter.id,
            "service_type_id": _type(db, "b").id,
            "sent_on": DAY.isoformat(),
            "reason": "Cần khám sức khỏe.",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    referral = db.session.scalar(select(Referral).where(Referral.case_id == support.case.id))
    assert referral.answer_due_on == dt.date(2026, 3, 9)
    page = client.get(f"{base}/referral?id={referral.id}").get_data(as_text=True)
    assert "Cần khám sức khỏe." in page and 'name="answer"' in page
    response = client.post_form(
        f"{base}/referral/answer",
        {"referral_id": referral.id, "answer": "accept", "answered_on": "2026-03-04"},
    )
    assert response.status_code == 302
    response = client.post_form(
        f"{base}/referral/complete",
        {"referral_id": referral.id, "completed_on": "2026-03-10", "outcome": "Đã khám."},
    )
    assert response.status_code == 302
    db.session.expire_all()
    done = db.session.get(Referral, referral.id)
    assert (done.status, done.answered_by_id, done.outcome) == (
        ReferralStatus.COMPLETED,
        cw.worker.id,
        "Đã khám.",
    )
    case_page = client.get(f"/cases/{support.case.id}").get_data(as_text=True)
    assert 'data-testid="support-section"' in case_page
    assert "Forced criminality" in case_page or "Cưỡng bức phạm tội" in case_page
    listing = client.get("/support/referrals?show=all").get_data(as_text=True)
    assert support.case.number in listing


def test_a_partner_and_another_provider_together_are_refused_and_both_kept(client, db, support):
    _identified(support)
    client.login(support.cw.worker)
    url = f"/support/cases/{support.case.id}/services/new"
    data = {
        "service_type_id": _type(db, "b").id,
        "delivered_on": DAY.isoformat(),
        "partner_id": support.shelter.id,
        "provider": "Trạm y tế phường",
    }
    response = client.post_form(url, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:300]
    field = re.search(r'<input[^>]*name="provider"[^>]*>', page).group(0)
    assert "is-invalid" in field and 'value="Trạm y tế phường"' in field
    feedback = re.search(
        r'name="provider"[^>]*>\s*<div class="invalid-feedback[^"]*">([^<]+)<', page
    )
    assert feedback.group(1).strip() == (
        "Chọn một tổ chức đối tác hoặc ghi đơn vị khác, không cả hai."
    )
    chosen = re.search(
        r'<option[^>]*selected[^>]*value="(\d+)"|<option[^>]*value="(\d+)"[^>]*selected',
        re.search(r'<select[^>]*name="partner_id".*?</select>', page, re.S).group(0),
    )
    assert support.shelter.id in {int(v) for v in chosen.groups() if v}
    deliveries = select(ServiceDelivery).where(ServiceDelivery.case_id == support.case.id)
    assert db.session.scalars(deliveries).all() == []
    # Either one alone is recorded.
    assert client.post_form(url, {**data, "partner_id": 0}).status_code == 302
    assert client.post_form(url, {**data, "provider": ""}).status_code == 302
    recorded = db.session.scalars(deliveries.order_by(ServiceDelivery.id)).all()
    assert [(d.partner_id, d.provider) for d in recorded] == [
        (None, "Trạm y tế phường"),
        (support.shelter.id, None),
    ]


def test_referral_page_refuses_without_consent_and_offers_the_override_to_supervisors(
    client, db, support
):
    _identified(support)
    base = f"/support/cases/{support.case.id}"
    data = {
        "partner_id": support.reliable.id,
        "service_type_id": _type(db, "a").id,
        "sent_on": DAY.isoformat(),
        "reason": "Cần nơi tạm lánh.",
        "override_reason": "Không thể chờ: người này đang bị đe dọa ngay lúc này.",
    }
    client.login(support.cw.worker)
    page = client.get(f"{base}/referrals/new").get_data(as_text=True)
    assert 'data-testid="consent-missing"' in page and 'name="override_reason"' not in page
    assert client.post_form(f"{base}/referrals/new", data).status_code == 403
    client._cookies.clear()
    client.login(support.cw.supervisor)
    assert 'name="override_reason"' in client.get(f"{base}/referrals/new").get_data(as_text=True)
    assert client.post_form(f"{base}/referrals/new", data).status_code == 302
    referral = db.session.scalar(select(Referral).where(Referral.case_id == support.case.id))
    assert referral.consent_overridden and referral.partner_id == support.reliable.id


def test_status_with_documents_through_the_page_and_download(client, db, support):
    client.login(support.cw.worker)
    base = f"/support/cases/{support.case.id}"
    response = client.post_form(
        f"{base}/statuses/new",
        {
            "status": "being_identified",
            "location": "abroad",
            "valid_from": "2026-01-05",
            "decided_by": "mission_abroad",
            "decision_ref": "CV 7/ĐSQ",
            "decision_file": (io.BytesIO(PDF), "qd.pdf"),
            "evidence_files": [(io.BytesIO(PNG), "anh.png")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    row = db.session.scalar(
        select(TraffickingStatus).where(TraffickingStatus.case_id == support.case.id)
    )
    assert (row.status, row.location) == (VictimStatus.BEING_IDENTIFIED, "abroad")
    assert sorted(d.kind for d in row.documents) == ["decision", "evidence"]
    decision = next(d for d in row.documents if d.kind == "decision")
    download = client.get(f"{base}/document?id={decision.attachment_id}")
    assert download.status_code == 200 and download.data == PDF
    assert "qd.pdf" not in download.headers["Content-Disposition"]
    # A forged file is refused before anything is kept.
    response = client.post_form(
        f"{base}/statuses/new",
        {
            "status": "identified",
            "valid_from": "2026-02-01",
            "decision_file": (io.BytesIO(b"MZ not a pdf"), "qd.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    count = db.session.scalars(
        select(TraffickingStatus.id).where(TraffickingStatus.case_id == support.case.id)
    ).all()
    assert len(count) == 1


@pytest.fixture
def records(db, support):
    """One of each: a status with a document, a delivery, a referral (ids for the URLs)."""
    cw = support.cw
    status = _identified(support, decision="decision")
    consent(cw.worker, support.case, ConsentGiver.SUBJECT)
    access = cw.access(cw.worker, support.case)
    delivery = services.deliver_service(
        cw.worker, support.case, access, service_type=_type(db, "a"), delivered_on=DAY
    )
    referral = referrals.send_referral(
        cw.worker,
        support.case,
        access,
        partner=support.shelter,
        service_type=_type(db, "b"),
        reason="Lý do.",
        sent_on=DAY,
    )
    return status, delivery, referral


def test_another_units_worker_gets_404_on_every_case_page(client, db, support, records):
    status, _delivery, referral = records
    base = f"/support/cases/{support.case.id}"
    document = status.documents[0].attachment_id
    client.login(support.cw.outsider)
    for url in (
        f"{base}/services/new",
        f"{base}/statuses/new",
        f"{base}/referrals/new",
        f"{base}/referral?id={referral.id}",
        f"{base}/document?id={document}",
    ):
        assert client.get(url).status_code == 404, url
    for url, data in (
        (f"{base}/services/new", {"service_type_id": 1, "delivered_on": DAY.isoformat()}),
        (f"{base}/referral/answer", {"referral_id": referral.id, "answer": "accept",
                                     "answered_on": DAY.isoformat()}),
        (f"{base}/referral/complete", {"referral_id": referral.id, "outcome": "x",
                                       "completed_on": DAY.isoformat()}),
    ):  # fmt: skip
        assert client.post_form(url, data).status_code == 404, url
    assert db.session.get(Referral, referral.id).status == ReferralStatus.SENT
    listing = client.get("/support/referrals?show=all").get_data(as_text=True)
    assert support.case.number not in listing


def test_ids_of_another_case_are_404_on_ones_own_case(client, db, support, records):
    from tests.support.conftest import open_case

    status, _delivery, referral = records
    cw = support.cw
    own_other = open_case(cw.worker, cw.commune, given="Mai")
    base = f"/support/cases/{own_other.id}"
    client.login(cw.worker)
    assert client.get(f"{base}/referral?id={referral.id}").status_code == 404
    document = status.documents[0].attachment_id
    assert client.get(f"{base}/document?id={document}").status_code == 404
    response = client.post_form(
        f"{base}/referral/answer",
        {"referral_id": referral.id, "answer": "accept", "answered_on": DAY.isoformat()},
    )
    assert response.status_code == 404


MARKER = "CANARY-7f3a"


def test_no_sensitive_text_at_rest_or_in_the_audit_trail(db, support):
    cw = support.cw
    access = cw.access(cw.worker, support.case)
    services.record_trafficking_status(
        cw.worker,
        support.case,
        access,
        status=VictimStatus.IDENTIFIED,
        valid_from=dt.date(2025, 7, 1),
        decision_ref=f"{MARKER} decision",
        note=f"{MARKER} note",
    )
    services.deliver_service(
        cw.worker,
        support.case,
        access,
        service_type=_type(db, "k"),
        delivered_on=DAY,
        provider=f"{MARKER} provider",
        amount_vnd=1_500_000,
        note=f"{MARKER} delivery note",
    )
    referral = referrals.send_referral(
        cw.supervisor,
        support.case,
        cw.access(cw.supervisor, support.case),
        partner=support.shelter,
        service_type=_type(db, "b"),
        reason=f"{MARKER} reason",
        sent_on=DAY,
        override_reason=f"{MARKER} override reason, one full sentence.",
    )
    referrals.answer_referral(
        cw.worker, support.case, access, referral, accepted=True, answered_on=DAY
    )
    referrals.complete_referral(
        cw.worker, support.case, access, referral, completed_on=DAY, outcome=f"{MARKER} outcome"
    )
    declined = referrals.send_referral(
        cw.supervisor,
        support.case,
        cw.access(cw.supervisor, support.case),
        partner=support.shelter,
        service_type=_type(db, "g"),
        reason="r",
        sent_on=DAY,
        override_reason="Khẩn cấp, không thể chờ sự đồng ý của người này.",
    )
    referrals.answer_referral(
        cw.worker,
        support.case,
        access,
        declined,
        accepted=False,
        answered_on=DAY,
        decline_reason=f"{MARKER} declined",
    )
    support.point(
        "reliable_address", support.area, "CONTROL-plain", address=f"{MARKER} addr", contact=MARKER
    )
    db.session.flush()
    tables = (
        "trafficking_statuses",
        "service_deliveries",
        "referrals",
        "service_points",
        "audit_events",
    )
    for table in tables:
        rows = db.session.execute(text(f"SELECT * FROM {table}")).all()
        dump = b"".join(
            bytes(v) if isinstance(v, (bytes, memoryview)) else str(v).encode()
            for row in rows
            for v in row
        )
        assert MARKER.encode() not in dump, table
        if table == "service_points":
            assert b"CONTROL-plain" in dump  # the search does find plain text
    # And the values are there, readable by the application.
    delivery = db.session.scalar(select(ServiceDelivery).where(ServiceDelivery.amount_vnd > 0))
    assert delivery.note == f"{MARKER} delivery note" and delivery.amount_vnd == 1_500_000
