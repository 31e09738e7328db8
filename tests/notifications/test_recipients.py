"""Each kind of notification reaches exactly the right people, and no one else; the text holds
the case number and the kind only (canary markers in every sensitive field never reach it)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from casemgr.notifications.models import Notification
from tests.notifications.conftest import CANARY, EVENTS, EVERYONE


def _told(db, after_id: int) -> set[tuple[int, str]]:
    return {
        (n.user_id, str(n.kind))
        for n in db.session.scalars(select(Notification).where(Notification.id > after_id))
    }


def _last_id(db) -> int:
    return db.session.scalar(select(Notification.id).order_by(Notification.id.desc())) or 0


@pytest.mark.parametrize("event", list(EVENTS))
def test_each_kind_reaches_exactly_the_right_people(db, world, event):
    prepare, act, expected = EVENTS[event]
    prepare(world)
    db.session.flush()
    before = _last_id(db)
    act(world)
    db.session.flush()  # written in the same flush as the change, by the service
    told = _told(db, before)
    wanted = {(world.user(who).id, kind) for who, kind in expected.items()}
    names = {world.user(who).id: who for who in EVERYONE}
    assert {(names.get(u, u), k) for u, k in told} == {(names[u], k) for u, k in wanted}
    bystanders = set(EVERYONE) - set(expected)
    assert len(bystanders) >= 6  # co-worker, colleague, other units, auditor, admin...
    db.session.commit()


def _raw_rows(db) -> str:
    return repr(db.session.execute(text("SELECT * FROM notifications")).all())


@pytest.mark.parametrize("event", list(EVENTS))
def test_texts_hold_only_the_case_number_and_the_kind(db, client, world, event):
    prepare, act, expected = EVENTS[event]
    prepare(world)
    act(world)
    db.session.commit()
    assert CANARY not in _raw_rows(db)
    number = world.case.number
    for who in expected:
        client._cookies.clear()
        assert client.login(world.user(who)).status_code == 302
        client.post_form("/auth/language", {"locale": "en"})
        page = client.get("/notifications/").get_data(as_text=True)
        assert number in page
        assert CANARY not in page
        assert 'data-testid="notifications-badge"' in page
        header = client.get("/dashboard").get_data(as_text=True)
        assert CANARY not in header.split("<main", 1)[0]
