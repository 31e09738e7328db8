"""Consent to several scopes by several givers in one submission, and the 7+ child rule."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from casemgr.audit.models import AuditEvent
from casemgr.clock import today
from casemgr.people import consents, identity
from casemgr.people.registration import add_relative, consents_of, record_consent
from casemgr.people.relations import Consent, ConsentGiver, ConsentScope
from casemgr.people.services import register_person

SUBJECT, GUARDIAN, Rule = ConsentGiver.SUBJECT, ConsentGiver.GUARDIAN, identity.ConsentRule
ALL_SCOPES = [str(scope) for scope in ConsentScope]


def _person(worker, age: int | None):
    born = None if age is None else today().year - age
    return register_person(
        worker,
        sex="female",
        birth_year=born,
        surname="Lê",
        middle_name="Thị",
        given_name="Mai",
        registered_unit_id=worker.roles[0].unit_id,
        registered_by_id=worker.id,
    )


def _guardian(worker, person):
    return add_relative(
        worker, person, relationship_kind="mother", is_guardian=True, name="Lê Thị Hoa", phone=None
    )


def _events(db, since: int) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.seq > since).order_by(AuditEvent.seq)
        )
    )


def _last_seq(db) -> int:
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(AuditEvent.seq), 0)))


# -- the service --------------------------------------------------------------------------------


def test_one_submission_writes_every_scope_and_giver_and_audits_each(casework, db):
    worker = casework.worker
    child = _person(worker, 8)
    mother = _guardian(worker, child)
    since = _last_seq(db)
    day = today() - dt.timedelta(days=2)
    written = consents.record_consents(
        worker,
        child,
        scopes=ALL_SCOPES,
        givers=["subject", "guardian"],
        given_on=day,
        relative=mother,
        today=today(),
    )
    pairs = {(c.scope, c.given_by) for c in consents_of(child)}
    assert pairs == {(s, g) for s in ConsentScope for g in ConsentGiver}
    assert len(written) == 6
    assert all(c.given_on == day and c.recorded_by_id == worker.id for c in written)
    assert {c.relative_id for c in written if c.given_by == ConsentGiver.GUARDIAN} == {mother.id}
    assert {c.relative_id for c in written if c.given_by == ConsentGiver.SUBJECT} == {None}
    events = [e for e in _events(db, since) if e.action == "person.consent_add"]
    assert sorted(e.object_id for e in events) == sorted(str(c.id) for c in written)
    for scope in ConsentScope:
        assert not identity.missing_consents(consents_of(child), scope, 8, today())


def test_a_child_of_8_without_their_own_consent_is_refused_and_nothing_is_written(casework, db):
    worker = casework.worker
    child = _person(worker, 8)
    mother = _guardian(worker, child)
    with pytest.raises(consents.ConsentRefused) as refused:
        consents.record_consents(
            worker,
            child,
            scopes=["case_work", "referral"],
            givers=["guardian"],
            given_on=today(),
            relative=mother,
            today=today(),
        )
    assert refused.value.problems == {"givers": "required giver left out"}
    assert refused.value.missing == {
        ConsentGiver.SUBJECT: [ConsentScope.CASE_WORK, ConsentScope.REFERRAL]
    }
    assert consents_of(child) == []


def test_a_giver_who_already_consented_need_not_be_ticked_again(casework, db):
    worker = casework.worker
    child = _person(worker, 8)
    mother = _guardian(worker, child)
    record_consent(
        worker, child, scope="case_work", given_by="guardian", given_on=today(), relative=mother
    )
    consents.record_consents(
        worker,
        child,
        scopes=["case_work"],
        givers=["subject"],
        given_on=today(),
        relative=None,
        today=today(),
    )
    assert not identity.missing_consents(consents_of(child), ConsentScope.CASE_WORK, 8, today())
    with pytest.raises(consents.ConsentRefused) as refused:  # referral: the mother has not
        consents.record_consents(
            worker,
            child,
            scopes=["referral"],
            givers=["subject"],
            given_on=today(),
            relative=None,
            today=today(),
        )
    assert refused.value.missing == {ConsentGiver.GUARDIAN: [ConsentScope.REFERRAL]}


def test_a_future_date_is_refused(casework, db):
    worker = casework.worker
    adult = _person(worker, 30)
    with pytest.raises(consents.ConsentRefused) as refused:
        consents.record_consents(
            worker,
            adult,
            scopes=["case_work"],
            givers=["subject"],
            given_on=today() + dt.timedelta(days=1),
            relative=None,
            today=today(),
        )
    assert refused.value.problems == {"given_on": "date in the future"}
    assert consents_of(adult) == []


def test_no_scope_no_giver_no_date_are_each_refused(casework, db):
    adult = _person(casework.worker, 30)
    with pytest.raises(consents.ConsentRefused) as refused:
        consents.record_consents(
            casework.worker,
            adult,
            scopes=[],
            givers=[],
            given_on=None,
            relative=None,
            today=today(),
        )
    assert refused.value.problems == {
        "scopes": "no scope",
        "givers": "no giver",
        "given_on": "no date",
    }


def test_guardian_consent_needs_a_current_guardian_of_this_person(casework, db):
    worker = casework.worker
    child = _person(worker, 4)
    other_mother = _guardian(worker, _person(worker, 5))
    with pytest.raises(consents.ConsentRefused) as refused:
        consents.record_consents(
            worker,
            child,
            scopes=["case_work"],
            givers=["guardian"],
            given_on=today(),
            relative=other_mother,
            today=today(),
        )
    assert refused.value.problems == {"relative_id": "guardian consent needs a guardian"}


@pytest.mark.parametrize(
    ("age", "needed", "rule"),
    [
        (30, {SUBJECT}, Rule.ADULT),
        (16, {SUBJECT}, Rule.ADULT),
        (None, {SUBJECT}, Rule.AGE_UNKNOWN),
        (15, {SUBJECT, GUARDIAN}, Rule.CHILD_WITH_OWN_CONSENT),
        (7, {SUBJECT, GUARDIAN}, Rule.CHILD_WITH_OWN_CONSENT),
        (6, {GUARDIAN}, Rule.YOUNG_CHILD),
    ],
)
def test_the_rule_and_the_givers_it_requires_agree(age, needed, rule):
    assert identity.consent_givers_needed(age) == needed
    assert identity.consent_rule(age) == rule


def test_an_adult_needs_only_themself(casework, db):
    worker = casework.worker
    adult = _person(worker, 30)
    consents.record_consents(
        worker,
        adult,
        scopes=ALL_SCOPES,
        givers=["subject"],
        given_on=today(),
        relative=None,
        today=today(),
    )
    assert len(consents_of(adult)) == 3
    for scope in ConsentScope:
        assert not identity.missing_consents(consents_of(adult), scope, 30, today())


# -- the page -----------------------------------------------------------------------------------


def _in_english(client, user) -> None:
    client.login(user)
    client.post_form("/auth/language", {"locale": "en"})


def _count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Consent))


def test_the_page_lists_exactly_the_givers_the_age_requires_and_says_why(client, casework, db):
    worker = casework.worker
    child, adult, young = _person(worker, 8), _person(worker, 30), _person(worker, 3)
    _in_english(client, worker)
    html = client.get(f"/people/{child.id}").get_data(as_text=True)
    assert 'name="givers" type="checkbox" value="subject"' in html
    assert 'name="givers" type="checkbox" value="guardian"' in html
    assert 'name="relative_id"' in html
    assert "A child aged 7 or more gives their own consent" in html
    assert 'data-testid="missing-consent-case_work"' in html
    html = client.get(f"/people/{adult.id}").get_data(as_text=True)
    assert 'value="subject"' in html and 'value="guardian"' not in html
    assert 'name="relative_id"' not in html
    assert "16 or older" in html
    html = client.get(f"/people/{young.id}").get_data(as_text=True)
    assert 'value="guardian"' in html and 'value="subject"' not in html


def test_a_child_of_8_without_their_own_consent_is_refused_under_the_givers(client, casework, db):
    from tests.validation.browser_form import errors_under

    worker = casework.worker
    child = _person(worker, 8)
    mother = _guardian(worker, child)
    _in_english(client, worker)
    before = _count(db)
    day = (today() - dt.timedelta(days=1)).isoformat()
    response = client.post_form(
        f"/people/{child.id}/consents",
        {
            "scopes": ["case_work", "transfer"],
            "givers": ["guardian"],
            "relative_id": str(mother.id),
            "given_on": day,
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert _count(db) == before
    (message,) = errors_under(html, "givers")
    assert "A child aged 7 or more must also give their own consent" in message
    assert "Moving the case to another unit" in message
    assert "Tick “The person”." in message
    # what was entered is still there
    assert f'value="{day}"' in html
    assert _is_checked(html, "scopes", "case_work")
    assert _is_checked(html, "scopes", "transfer") and not _is_checked(html, "scopes", "referral")
    assert _is_checked(html, "givers", "guardian")
    assert re.search(rf'<option[^>]*selected[^>]*value="{mother.id}"', html)


def _is_checked(html: str, name: str, value: str) -> bool:
    for tag in re.findall(r"<input[^>]*>", html):
        if f'name="{name}"' in tag and f'value="{value}"' in tag:
            return "checked" in tag
    return False


def test_one_submission_records_every_pair_from_the_page(client, casework, db):
    worker = casework.worker
    child = _person(worker, 8)
    mother = _guardian(worker, child)
    _in_english(client, worker)
    response = client.post_form(
        f"/people/{child.id}/consents",
        {
            "scopes": ["case_work", "referral"],
            "givers": ["subject", "guardian"],
            "relative_id": str(mother.id),
            "given_on": today().isoformat(),
        },
    )
    assert response.status_code == 302
    assert {(c.scope, c.given_by) for c in consents_of(child)} == {
        (s, g) for s in (ConsentScope.CASE_WORK, ConsentScope.REFERRAL) for g in ConsentGiver
    }
    html = client.get(f"/people/{child.id}").get_data(as_text=True)
    assert 'data-testid="missing-consent-transfer"' in html
    assert 'data-testid="missing-consent-referral"' not in html


def test_nothing_ticked_is_refused_under_each_field(client, casework, db):
    from tests.validation.browser_form import errors_under

    child = _person(casework.worker, 8)
    _in_english(client, casework.worker)
    before = _count(db)
    response = client.post_form(f"/people/{child.id}/consents", {"relative_id": "", "given_on": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert _count(db) == before
    assert errors_under(html, "scopes")
    assert errors_under(html, "givers")
    assert errors_under(html, "given_on")


def test_a_guardian_who_is_not_on_record_is_refused_under_the_guardian(client, casework, db):
    from tests.validation.browser_form import errors_under

    child = _person(casework.worker, 4)
    _in_english(client, casework.worker)
    response = client.post_form(
        f"/people/{child.id}/consents",
        {"scopes": ["case_work"], "givers": ["guardian"], "given_on": today().isoformat()},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert errors_under(html, "relative_id") == [
        "No parent or guardian is on record: add them under “Relatives and guardians” first."
    ]
