"""Attachments: sealed under the person's key, size-limited, type checked by file signature."""

from __future__ import annotations

import pytest

from casemgr.crypto import envelope
from casemgr.people import services
from casemgr.people.models import Attachment

PDF = b"%PDF-1.4\n%synthetic\n" + b"0" * 100
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"1" * 100
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"2" * 100
GIF = b"GIF89a" + b"3" * 100


@pytest.fixture
def person(db):
    return services.register_person(None, given_name="Hoa")


@pytest.mark.parametrize(
    ("data", "kind"), [(PDF, "application/pdf"), (JPEG, "image/jpeg"), (PNG, "image/png")]
)
def test_accepted_types_round_trip(db, person, data, kind):
    attachment = services.add_attachment(
        None, person, filename="Biên bản Hoa.pdf", content_type=kind, data=data
    )
    assert attachment.size == len(data)
    assert data not in attachment.content_enc
    db.session.commit()
    envelope.forget()
    db.session.expire_all()
    stored = db.session.get(Attachment, attachment.id)
    assert stored.content == data
    assert stored.filename == "Biên bản Hoa.pdf"
    assert stored.content_type == kind


@pytest.mark.parametrize(
    ("data", "kind", "message"),
    [
        (PNG, "application/pdf", "does not match"),
        (PDF, "image/png", "does not match"),
        (b"%PD", "application/pdf", "does not match"),
        (b"", "image/jpeg", "does not match"),
        (GIF, "image/gif", "type not accepted"),
        (b"<html><script>", "text/html", "type not accepted"),
    ],
)
def test_refused_by_signature(db, person, data, kind, message):
    with pytest.raises(services.AttachmentRejected, match=message):
        services.add_attachment(None, person, filename="x", content_type=kind, data=data)


def test_size_limit_from_config(db, app, person, monkeypatch):
    monkeypatch.setitem(app.config, "CASEMGR_ATTACHMENT_MAX_BYTES", len(PDF))
    services.add_attachment(
        None, person, filename="ok.pdf", content_type="application/pdf", data=PDF
    )
    with pytest.raises(services.AttachmentRejected, match="too large"):
        services.add_attachment(
            None, person, filename="big.pdf", content_type="application/pdf", data=PDF + b"x"
        )


def test_attachment_of_a_person_created_in_the_same_flush(db):
    person = services.Person()
    person.given_name = "Lan"
    attachment = Attachment(person=person, content_type="image/png", size=len(PNG))
    attachment.content = PNG
    db.session.add_all([person, attachment])
    db.session.commit()
    envelope.forget()
    db.session.expire_all()
    assert db.session.get(Attachment, attachment.id).content == PNG
