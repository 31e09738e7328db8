"""Reassignment across the pages of the list: ticks kept from page to page (the other pages'
as hidden values of the one form), the count of ticked cases, "tick all the cases of this
worker", and the one final post checked case by case (a forged id refused and audited)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlalchemy import select, update
from werkzeug.datastructures import MultiDict

from casemgr.audit.models import AuditEvent
from casemgr.cases.models import Case
from casemgr.cases.workflow import Status
from casemgr.supervision.models import CaseReassignment
from tests.cases.conftest import open_child_case
from tests.walk.dom import Node, parse

PER_PAGE = 2
LEAVING_CASES = 7  # four pages


@pytest.fixture
def leaving(app, db, office, monkeypatch):
    """The commune's third worker (who had none) with seven open cases, two to a page."""
    monkeypatch.setitem(app.config, "PER_PAGE", PER_PAGE)
    worker = office.workers[2]
    office.cases += [open_child_case(worker, office.commune) for _ in range(LEAVING_CASES)]
    db.session.commit()
    return worker


@dataclass
class Page:
    """The reassignment page as a browser holds it: its one post form, ticked or not."""

    html: str
    tree: Node

    @classmethod
    def of(cls, response) -> Page:
        assert response.status_code == 200, response.status_code
        html = response.get_data(as_text=True)
        return cls(html, parse(html))

    @property
    def form(self) -> Node:
        return next(f for f in self.tree.iter("form") if "data-ticks" in f.attrs)

    def boxes(self) -> dict[int, Node]:
        """This page's checkboxes by case id."""
        return {
            int(n.attrs["value"].split(":")[0]): n
            for n in self.form.iter("input")
            if n.attrs.get("type") == "checkbox"
        }

    def ticked_here(self) -> set[int]:
        return {case_id for case_id, box in self.boxes().items() if "checked" in box.attrs}

    def kept(self) -> set[int]:
        """Cases ticked on other pages: hidden values of the form."""
        return {
            int(n.attrs["value"].split(":")[0])
            for n in self.form.iter("input")
            if n.attrs.get("type") == "hidden" and n.attrs.get("name") == "cases"
        }

    def count(self) -> int:
        """The count of ticked cases the page shows (the same number twice)."""
        shown = {n.text() for n in self.tree.iter() if "data-ticks-count" in n.attrs}
        assert len(shown) == 1, shown
        return int(shown.pop())

    def buttons(self) -> dict[str, str]:
        """The form's named buttons: name -> value (a pager button: "goto" -> page)."""
        found = {}
        for node in self.form.iter():
            kind = node.attrs.get("type")
            if node.tag in ("button", "input") and kind == "submit" and node.attrs.get("name"):
                found.setdefault(node.attrs["name"], node.attrs.get("value", ""))
        return found

    def pager(self) -> dict[str, str]:
        """The pager's buttons: their text -> the page they ask for."""
        return {
            n.text(): n.attrs["value"]
            for n in self.form.iter("button")
            if n.attrs.get("name") == "goto"
        }

    def press(
        self,
        client,
        button: tuple[str, str] | None,
        *,
        tick=(),
        untick=(),
        fields: dict | None = None,
        extra: list[tuple[str, str]] = (),
    ):
        """Submit the form as a browser would, after ticking and unticking boxes of this page
        (cases) and filling `fields`, by pressing `button` (name, value), or none."""
        data = MultiDict()
        tick_ids, untick_ids = {c.id for c in tick}, {c.id for c in untick}
        for node in self.form.iter():
            name = node.attrs.get("name")
            if not name:
                continue
            kind = node.attrs.get("type", "text")
            if node.tag == "input" and kind == "hidden":
                data.add(name, node.attrs.get("value", ""))
            elif node.tag == "input" and kind == "checkbox":
                case_id = int(node.attrs["value"].split(":")[0])
                checked = "checked" in node.attrs or case_id in tick_ids
                if checked and case_id not in untick_ids:
                    data.add(name, node.attrs["value"])
            elif node.tag == "select" and name not in (fields or {}):
                chosen = [o for o in node.iter("option") if "selected" in o.attrs]
                options = chosen or list(node.iter("option"))
                data.add(name, options[0].attrs.get("value", options[0].text()))
            elif node.tag == "textarea" and name not in (fields or {}):
                data.add(name, node.text())
        for name, value in (fields or {}).items():
            data[name] = str(value)
        for name, value in extra:
            data.add(name, value)
        if button:
            data.add(*button)
        return client.post(self.form.attrs["action"].replace("&amp;", "&"), data=data)

    def go(self, client, label: str, **kwargs) -> Page:
        """Press a pager button ("Previous", "Next")."""
        return Page.of(self.press(client, ("goto", self.pager()[label]), **kwargs))


def open_cases_of(office, worker) -> list[Case]:
    """The worker's open cases in the list's order (by number)."""
    mine = [c for c in office.cases if c.owner_id == worker.id and c.status != Status.CLOSED]
    return sorted(mine, key=lambda c: (c.number, c.id))


def listing(client, worker) -> Page:
    client.post_form("/auth/language", {"locale": "en"})
    return Page.of(client.get(f"/supervision/reassign?worker={worker.id}"))


def owners(db, cases) -> set[int]:
    db.session.expire_all()
    return {db.session.get(Case, c.id).owner_id for c in cases}


def test_ticks_survive_moving_between_pages_and_one_post_moves_them_all(
    client, db, office, leaving
):
    a, new = leaving, office.workers[0]
    mine = open_cases_of(office, a)
    assert len(mine) > 2 * PER_PAGE  # three pages at least
    client.login(office.supervisor)
    first = listing(client, a)
    assert set(first.boxes()) == {c.id for c in mine[:PER_PAGE]}
    assert first.count() == 0 and "Previous" not in first.pager()

    second = first.go(client, "Next", tick=[mine[0]])
    assert set(second.boxes()) == {c.id for c in mine[PER_PAGE : 2 * PER_PAGE]}
    assert second.kept() == {mine[0].id} and second.ticked_here() == set()
    assert second.count() == 1
    assert "(1 of them on other pages of the list)" in second.html

    third = second.go(client, "Next", tick=[mine[2], mine[3]])
    assert third.kept() == {mine[0].id, mine[2].id, mine[3].id}
    assert third.count() == 3

    back = third.go(client, "Previous")
    assert back.ticked_here() == {mine[2].id, mine[3].id}  # shown ticked where they are
    assert back.kept() == {mine[0].id}
    # Unticked on its page: gone from every page.
    start = back.go(client, "Previous", untick=[mine[2]])
    assert start.ticked_here() == {mine[0].id}
    assert start.kept() == {mine[3].id}
    assert start.count() == 2

    # Moving between pages checks nothing and says nothing: no field message, nothing moved.
    assert "invalid-feedback" not in start.html and "alert-danger" not in start.html
    assert owners(db, mine) == {a.id}

    done = start.press(
        client, ("submit", "y"), tick=[mine[1]], fields={"owner_id": new.id, "reason": "workload"}
    )
    assert done.status_code == 302
    moved = {mine[0].id, mine[1].id, mine[3].id}
    assert owners(db, [c for c in mine if c.id in moved]) == {new.id}
    assert owners(db, [c for c in mine if c.id not in moved]) == {a.id}
    assert "3 case(s) reassigned." in client.get(done.headers["Location"]).get_data(as_text=True)
    audited = db.session.scalars(
        select(AuditEvent.case_id).where(
            AuditEvent.action == "case.reassign", AuditEvent.outcome == "allowed"
        )
    )
    assert {int(case_id) for case_id in audited} == moved


def test_the_count_includes_every_page_and_is_said_in_vietnamese(client, db, office, leaving):
    a = leaving
    mine = open_cases_of(office, a)
    client.login(office.supervisor)
    first = listing(client, a)
    client.post_form("/auth/language", {"locale": "vi"})
    second = first.go(client, "Next", tick=mine[:2])
    text = " ".join(second.tree.text().split())
    assert "Đã chọn 2 hồ sơ" in text
    assert "(trong đó 2 hồ sơ ở các trang khác của danh sách)" in text
    # Without JavaScript, "Update the count" counts what was just ticked, on the same page.
    recounted = Page.of(second.press(client, ("recount", "y"), tick=mine[2:3]))
    assert recounted.count() == 3
    assert set(recounted.boxes()) == set(second.boxes())


def test_tick_all_the_cases_of_the_worker_then_reassign_them(client, db, office, leaving):
    a, new = leaving, office.workers[0]
    mine = open_cases_of(office, a)
    others = {c.id: c.owner_id for c in office.cases if c.owner_id != a.id}
    client.login(office.supervisor)
    first = listing(client, a)
    label = first.buttons()["select_all"]
    assert label == f"Tick all {len(mine)} cases of this worker"

    everything = Page.of(first.press(client, ("select_all", label)))
    assert everything.count() == len(mine)
    assert everything.ticked_here() | everything.kept() == {c.id for c in mine}
    assert "select_all" not in everything.buttons()  # all are ticked already
    last = everything
    while "Next" in last.pager():  # every page shows its cases ticked
        last = last.go(client, "Next")
        assert last.ticked_here() == set(last.boxes())
        assert last.count() == len(mine)

    cleared = Page.of(last.press(client, ("clear", "y")))
    assert cleared.count() == 0 and cleared.kept() == set() and cleared.ticked_here() == set()

    again = Page.of(cleared.press(client, ("select_all", label)))
    done = again.press(
        client, ("submit", "y"), fields={"owner_id": new.id, "reason": "staff_change"}
    )
    assert done.status_code == 302
    assert owners(db, mine) == {new.id}
    assert {c: db.session.get(Case, c).owner_id for c in others} == others
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert f"{len(mine)} case(s) reassigned." in page


def test_tick_all_is_offered_for_one_worker_only(client, db, office, leaving):
    client.login(office.supervisor)
    client.post_form("/auth/language", {"locale": "en"})
    anyone = Page.of(client.get("/supervision/reassign"))
    assert "select_all" not in anyone.buttons()
    assert "show that worker's cases only" in anyone.html
    # Posted anyway (a forged or stale form), it ticks nothing.
    assert Page.of(anyone.press(client, ("select_all", "y"))).count() == 0


def test_a_forged_id_among_other_pages_ticks_is_refused_and_audited(client, db, office, leaving):
    a, new = leaving, office.workers[0]
    mine = open_cases_of(office, a)
    theirs = next(c for c in office.cases if c.unit_id == office.other_commune.id)
    client.login(office.supervisor)
    first = listing(client, a)
    forged = [("cases", f"{theirs.id}:{theirs.version}")]
    second = first.go(client, "Next", tick=[mine[0]], extra=forged)
    assert second.kept() == {mine[0].id, theirs.id}  # kept like any tick, shown nowhere
    assert f'data-case="{theirs.id}"' not in second.html
    assert theirs.number not in second.html
    before = db.session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))

    refused = Page.of(
        second.press(
            client,
            ("submit", "y"),
            tick=[mine[2]],
            fields={"owner_id": new.id, "reason": "workload"},
        )
    )
    assert "Some of the chosen cases are not in your units. Nothing was changed." in refused.html
    assert theirs.number not in refused.html
    assert owners(db, [mine[0], mine[2]]) == {a.id}
    assert owners(db, [theirs]) == {office.other_worker.id}
    denied = list(
        db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "case.reassign",
                AuditEvent.outcome == "denied",
                AuditEvent.seq > before,
            )
        )
    )
    assert [(int(e.case_id), e.reason) for e in denied] == [(theirs.id, "out of scope")]
    assert not db.session.scalars(select(CaseReassignment)).first()
    # The refused id is unticked; the supervisor's own ticks stay, on every page.
    assert refused.kept() == {mine[0].id}
    assert refused.ticked_here() == {mine[2].id}
    assert refused.count() == 2
    done = refused.press(client, ("submit", "y"))  # owner and reason kept as typed
    assert done.status_code == 302
    assert owners(db, [mine[0], mine[2]]) == {new.id}


def test_refusals_keep_the_ticks_and_the_messages_under_the_fields(client, db, office, leaving):
    a, new = leaving, office.workers[0]
    mine = open_cases_of(office, a)
    client.login(office.supervisor)
    first = listing(client, a)
    second = first.go(client, "Next", tick=[mine[0], mine[1]])
    no_owner = Page.of(second.press(client, ("submit", "y"), fields={"reason": "workload"}))
    owner_field = next(n for n in no_owner.tree.iter("select") if n.attrs.get("name") == "owner_id")
    assert "is-invalid" in owner_field.classes
    assert no_owner.kept() == {mine[0].id, mine[1].id} and no_owner.count() == 2
    assert set(no_owner.boxes()) == set(second.boxes())  # the same page comes back

    # A case ticked on page 1 that changed meanwhile: named, unticked; the others kept.
    db.session.execute(update(Case).where(Case.id == mine[0].id).values(version=Case.version + 1))
    db.session.commit()
    stale = Page.of(
        no_owner.press(client, ("submit", "y"), fields={"owner_id": new.id, "reason": "workload"})
    )
    assert mine[0].number in stale.html and "changed since the page was loaded" in stale.html
    assert stale.kept() == {mine[1].id} and stale.count() == 1
    assert owners(db, mine[:2]) == {a.id}

    # Nothing ticked on any page: the field's own message, under the list.
    cleared = Page.of(stale.press(client, ("clear", "y")))
    none = Page.of(cleared.press(client, ("submit", "y")))
    feedback = [n for n in none.tree.iter() if n.attrs.get("data-for") == "cases"]
    assert [n.text() for n in feedback] == ["Cases: Tick at least one case to reassign."]


def test_a_changed_case_stays_ticked_as_seen_until_the_post_names_it(client, db, office, leaving):
    a = leaving
    mine = open_cases_of(office, a)
    seen = mine[0].version
    client.login(office.supervisor)
    first = listing(client, a)
    second = first.go(client, "Next", tick=[mine[0]])
    db.session.execute(update(Case).where(Case.id == mine[0].id).values(version=Case.version + 1))
    db.session.commit()
    back = second.go(client, "Previous")
    box = back.boxes()[mine[0].id]
    assert "checked" in box.attrs  # not silently unticked
    assert box.attrs["value"] == f"{mine[0].id}:{seen}"  # the version seen


def test_at_most_so_many_cases_at_a_time(client, db, office, leaving, monkeypatch):
    import casemgr.supervision.forms as forms

    monkeypatch.setattr(forms, "MAX_CHOSEN", 2)
    a, new = leaving, office.workers[0]
    mine = open_cases_of(office, a)
    client.login(office.supervisor)
    first = listing(client, a)
    second = first.go(client, "Next", tick=mine[:2])
    refused = Page.of(
        second.press(
            client,
            ("submit", "y"),
            tick=mine[2:3],
            fields={"owner_id": new.id, "reason": "workload"},
        )
    )
    feedback = [n.text() for n in refused.tree.iter() if n.attrs.get("data-for") == "cases"]
    assert feedback == ["Cases: Tick at most 2 cases at a time."]
    assert refused.count() == 3
    assert owners(db, mine) == {a.id}


@pytest.mark.parametrize("value", ["0", "-1", "abc", str(10**30), "", "9" * 5000])
def test_a_pager_button_with_any_value_shows_a_page_of_the_list(client, db, office, leaving, value):
    a = leaving
    mine = open_cases_of(office, a)
    client.login(office.supervisor)
    first = listing(client, a)
    shown = Page.of(first.press(client, ("goto", value), tick=mine[:1]))
    assert shown.count() == 1
    last_page = -(-len(mine) // PER_PAGE)
    expected = last_page if value == str(10**30) else 1  # too many digits to read: page 1
    assert re.search(rf"Page {expected} of {last_page}", shown.html)


@pytest.mark.parametrize(
    "forged",
    [str(10**20) + ":1", "9" * 5000 + ":1", "1:" + "9" * 5000, "abc", "1:x", ":", "1:", "١:1"],
)
def test_a_malformed_tick_is_dropped_when_browsing_and_refused_when_posted(
    client, db, office, leaving, forged
):
    a, new = leaving, office.workers[0]
    mine = open_cases_of(office, a)
    client.login(office.supervisor)
    first = listing(client, a)
    second = first.go(client, "Next", tick=mine[:1], extra=[("cases", forged)])
    assert second.kept() == {mine[0].id} and second.count() == 1
    refused = Page.of(
        second.press(
            client,
            ("submit", "y"),
            fields={"owner_id": new.id, "reason": "workload"},
            extra=[("cases", forged)],
        )
    )
    assert "Choose at least one case." in refused.html
    assert owners(db, mine) == {a.id}


@pytest.mark.parametrize("worker", [str(2**53 + 1), str(2**63), str(10**30), "-3"])
def test_a_worker_number_no_id_reaches_names_nobody(client, db, office, leaving, worker):
    """An edited link naming no worker is not found (as on the overdue list), never a 500,
    for the list and for its "tick all" posted anyway."""
    client.login(office.supervisor)
    assert client.get(f"/supervision/reassign?worker={worker}").status_code == 404
    posted = client.post(f"/supervision/reassign?worker={worker}", data={"select_all": "y"})
    assert posted.status_code in (400, 404)  # no CSRF token (checked first), or no worker
