"""Two people edit the same person or case: the second save is refused, and the form shown again
holds the other save's values where its user changed nothing, and its user's own changes where
they did; saving it then loses neither (casemgr.web.saved_meanwhile)."""

from __future__ import annotations

import re

from flask_babel import force_locale

from casemgr.cases.forms import PROTECTION_LABELS
from casemgr.cases.models import Case, ProtectionLevel
from casemgr.people.models import Person
from tests.validation.browser_form import defaults


def _english(client) -> None:
    client.post_form("/auth/language", {"locale": "en"})


def _listed(html: str) -> dict[str, bool]:
    """The fields the conflict box lists, and whether each is marked as changed by both."""
    box = html[html.index('data-testid="conflict"') :]
    box = box[: box.index("</dl>")] if "</dl>" in box else ""
    return {
        name: "You changed it too" in rest
        for name, rest in re.findall(r'data-field="([^"]+)">(.*?)</dd>', box, re.S)
    }


def _two_editors(app, client, casework, url: str):
    client.login(casework.worker)
    _english(client)
    other = app.test_client()
    other.login(casework.supervisor)
    mine = defaults(client.get(url).get_data(as_text=True))
    theirs = defaults(other.get(url).get_data(as_text=True))
    return other, mine, theirs


def test_a_person_saved_meanwhile_keeps_both_sides_changes(app, client, casework, db):
    person = db.session.get(Person, casework.case.person_id)
    url = f"/people/{person.id}/edit"
    other, mine, theirs = _two_editors(app, client, casework, url)
    theirs.update(phone="0912345678", street_address="12 Lê Lợi")
    assert other.post_form(url, theirs).status_code == 302

    mine.update(middle_name="Thu")  # only the middle name, on a form loaded before their save
    refused = client.post_form(url, mine)
    assert refused.status_code == 200
    html = refused.get_data(as_text=True)
    assert "record was saved elsewhere" in html
    assert _listed(html) == {"phone": False, "street_address": False}
    shown = defaults(html)
    assert (shown["phone"], shown["street_address"], shown["middle_name"]) == (
        "0912345678", "12 Lê Lợi", "Thu"
    )  # fmt: skip
    assert client.post_form(url, shown).status_code == 302
    saved = db.session.get(Person, person.id)
    db.session.refresh(saved)
    assert (saved.phone, saved.street_address, saved.middle_name) == (
        "0912345678", "12 Lê Lợi", "Thu"
    )  # fmt: skip


def test_a_field_both_changed_keeps_this_users_value_and_says_so(app, client, casework, db):
    person = db.session.get(Person, casework.case.person_id)
    url = f"/people/{person.id}/edit"
    other, mine, theirs = _two_editors(app, client, casework, url)
    theirs.update(phone="0912345678")
    assert other.post_form(url, theirs).status_code == 302
    mine.update(phone="0987654321")
    html = client.post_form(url, mine).get_data(as_text=True)
    assert _listed(html) == {"phone": True}
    assert "0912345678" in html  # theirs, in the box
    assert defaults(html)["phone"] == "0987654321"  # mine, in the form


def test_a_case_saved_meanwhile_keeps_both_sides_changes(app, client, casework, db):
    case = casework.case
    url = f"/cases/{case.id}/edit"
    other, mine, theirs = _two_editors(app, client, casework, url)
    protection = "intervention" if theirs["protection_level"] != "intervention" else "support"
    theirs.update(summary="Bản của giám sát.", protection_level=protection)
    assert other.post_form(url, theirs).status_code == 302
    mine.update(risk_level="high" if mine["risk_level"] != "high" else "low")
    html = client.post_form(url, mine).get_data(as_text=True)
    assert "This case was saved elsewhere" in html
    assert _listed(html) == {"protection_level": False, "summary": False}
    label = PROTECTION_LABELS[ProtectionLevel(protection)]
    with app.test_request_context(), force_locale("en"):
        assert f'data-field="protection_level">{label}' in html  # the choice's label, not its code
    shown = defaults(html)
    assert shown["summary"] == "Bản của giám sát." and shown["risk_level"] == mine["risk_level"]
    assert shown["protection_level"] == protection
    assert client.post_form(url, shown).status_code == 302
    saved = db.session.get(Case, case.id)
    db.session.refresh(saved)
    assert saved.summary == "Bản của giám sát." and saved.risk_level == mine["risk_level"]
