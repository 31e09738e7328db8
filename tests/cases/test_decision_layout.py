"""The case page's "Next step" card: every workflow decision is drawn the same way, a box
headed by the decision's name with its fields and one button, whether it asks for a comment,
a reason, a confirmation, or nothing at all; a decline or a return stays red."""

from __future__ import annotations

import pytest

from casemgr.cases import services
from casemgr.cases.workflow import move_named
from tests.cases.conftest import record_detailed_assessment
from tests.walk.dom import Node, parse

CONFIRM = "Xác nhận"  # the button of every decision ("Confirm"): the heading names it


def _take(casework, who: str, *names: str, **extra) -> None:
    user, case = getattr(casework, who), casework.case
    for name in names:
        services.take_move(
            user, case, casework.access(user), name, expected_version=case.version, **extra
        )


def _to(casework, step: str) -> None:
    """Move the fixture's case to a step of the workflow."""
    if step == "intake":
        return
    _take(casework, "worker", "verify", "assess", "assess_in_detail")
    if step == "detailed_assessment":
        return
    record_detailed_assessment(casework.worker, casework.case)
    _take(casework, "worker", "submit_plan")
    if step == "plan_drafted":
        return
    _take(casework, "supervisor", "approve_plan")
    _take(casework, "worker", "implement", "review")
    if step == "review":
        return
    _take(casework, "worker", "request_closure", reason="Trẻ đã an toàn.",
          closure_reason="goals_met")  # fmt: skip
    assert step == "closure_requested"


def _next_step_card(html: str) -> Node:
    for heading in parse(html).iter("h2"):
        if heading.text() == "Bước tiếp theo":
            return next(a for a in heading.ancestors() if "card" in a.classes)
    raise AssertionError("no 'Next step' card")


def _decisions(card: Node) -> dict[str, Node]:
    """Each decision's box in the card, by the move it takes."""
    found = {}
    for box in card.iter("fieldset"):
        assert "decision" in box.classes, box.attrs
        heading = next(box.iter("h3"))
        found[heading.attrs["data-testid"].removeprefix("move-heading-")] = box
    return found


@pytest.mark.parametrize(
    ("step", "who", "moves"),
    [
        # Two decisions without any field (the combined one explains its steps).
        ("intake", "worker", ["verify", "verified_at_intake"]),
        # One without a field next to one with a reason and a comment (the case of the issue).
        ("review", "worker", ["new_plan_cycle", "request_closure"]),
        ("plan_drafted", "supervisor", ["approve_plan", "return_plan"]),
        ("closure_requested", "supervisor", ["approve_closure", "decline_closure"]),
    ],
)
def test_every_decision_is_a_box_headed_by_its_name_with_one_button(
    app, client, casework, db, step, who, moves
):
    _to(casework, step)
    db.session.commit()
    client.login(getattr(casework, who))
    card = _next_step_card(client.get(f"/cases/{casework.case.id}").get_data(as_text=True))
    boxes = _decisions(card)
    assert list(boxes) == moves
    with app.test_request_context():  # the labels in the page's language
        labels = {name: str(move_named(name).label) for name in moves}
    for name, box in boxes.items():
        heading = next(box.iter("h3"))
        assert heading.text() == labels[name]
        # The box's first element is its legend, and the heading is in it: the decision's
        # fields and button are grouped under its name.
        legend = next(box.iter("legend"))
        first = next(child for child in box.children if isinstance(child, Node))
        assert first is legend and heading.parent is legend
        buttons = list(box.iter("button"))
        assert len(buttons) == 1 and buttons[0].attrs["data-testid"] == f"move-{name}"
        button = buttons[0]
        # The name is not said twice in a row: the button confirms, the heading names.
        assert button.text() == CONFIRM
        assert labels[name] not in button.text()
        # Read out alone (a list of the page's buttons), the button still says which decision.
        assert button.attrs["aria-labelledby"] == f"move-{name} move-heading-{name}"
        assert button.attrs["id"] == f"move-{name}"
        # The name appears once in its box: as its heading.
        assert box.text().count(labels[name]) == 1, labels[name]
        undoes = name.startswith(("decline", "return"))
        assert ("btn-outline-danger" in button.classes) is undoes
        assert ("border-danger" in box.classes) is undoes
        if name.startswith("approve"):
            assert "btn-success" in button.classes


def test_a_decision_waiting_for_a_record_is_drawn_the_same_way(client, casework, db):
    """The plan cannot go for approval before the detailed assessment: its box has the
    same heading and a disabled button, with what to do."""
    _to(casework, "detailed_assessment")
    db.session.commit()
    client.login(casework.worker)
    card = _next_step_card(client.get(f"/cases/{casework.case.id}").get_data(as_text=True))
    boxes = _decisions(card)
    assert "submit_plan" in boxes
    box = boxes["submit_plan"]
    assert box.attrs["data-testid"] == "gated-submit_plan"
    assert next(box.iter("h3")).text() == "Trình phê duyệt kế hoạch"
    (button,) = box.iter("button")
    assert "disabled" in button.attrs and button.text() == CONFIRM
    assert button.attrs["aria-describedby"] == "gate-submit_plan"
    assert button.attrs["aria-labelledby"] == "move-submit_plan move-heading-submit_plan"
    assert any(a.attrs.get("data-testid") == "gate-link-submit_plan" for a in box.iter("a"))


def test_a_refused_decision_comes_back_in_its_box_with_the_message(client, casework, db):
    """Empty comment on a return: the page comes back, the message is under the comment in
    the return's own box, and the other decision's box is untouched."""
    _to(casework, "plan_drafted")
    db.session.commit()
    client.login(casework.supervisor)
    case = casework.case
    response = client.post_form(
        f"/cases/{case.id}/transition",
        {"transition": "return_plan", "version": case.version, "reason": "", "understood": "y"},
    )
    assert response.status_code == 200
    boxes = _decisions(_next_step_card(response.get_data(as_text=True)))
    returned = boxes["return_plan"]
    errors = [d for d in returned.iter("div") if "invalid-feedback" in d.classes]
    assert errors and errors[0].attrs["id"] == "reason-return_plan-error"
    assert not [d for d in boxes["approve_plan"].iter("div") if "invalid-feedback" in d.classes]
