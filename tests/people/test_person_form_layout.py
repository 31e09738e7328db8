"""Registering and correcting a person show the same fields in the same layout (one partial)."""

from __future__ import annotations

from casemgr.people.models import Person
from tests.walk.dom import Node, parse

SHARED = (
    "surname",
    "middle_name",
    "given_name",
    "sex",
    "date_of_birth",
    "birth_year",
    "ethnicity_code",
    "national_id",
    "phone",
    "area_id",
    "street_address",
)


def layout(html: str) -> list[tuple[str, str]]:
    """Each person field of the page's form, in order, with the grid column it sits in."""
    form = next(
        f for f in parse(html).iter("form") if any(i.attrs.get("name") == "sex" for i in f.iter())
    )
    placed = []
    for control in (*form.iter("input"), *form.iter("select")):
        name = control.attrs.get("name")
        if name not in SHARED:
            continue
        column = next(
            (a for a in control.ancestors() if any(c.startswith("col") for c in a.classes)),
            Node("none", {}),
        )
        placed.append((name, " ".join(sorted(column.classes))))
    order = {name: i for i, name in enumerate(SHARED)}
    return sorted(placed, key=lambda pair: order[pair[0]])


def test_register_and_edit_lay_out_the_same_fields_alike(client, casework, db):
    person = db.session.get(Person, casework.case.person_id)
    client.login(casework.worker)
    registering = layout(client.get("/people/new").get_data(as_text=True))
    correcting = layout(client.get(f"/people/{person.id}/edit").get_data(as_text=True))
    assert [name for name, _ in registering] == list(SHARED)
    assert correcting == registering
    # A grid: the names share a row, the birth facts another (not one field per line).
    columns = dict(correcting)
    assert columns["surname"] == columns["given_name"] == "col-md-4"
    assert columns["sex"] == columns["birth_year"] == "col-lg-3 col-md-6"


def test_fields_come_in_the_same_order_in_the_markup(client, casework, db):
    person = db.session.get(Person, casework.case.person_id)
    client.login(casework.worker)
    for url in ("/people/new", f"/people/{person.id}/edit"):
        page = parse(client.get(url).get_data(as_text=True))
        fields = [d for d in page.iter("div") if d.attrs.get("data-testid") == "person-fields"]
        assert len(fields) == 1, f"{url}: not drawn by people/_person_fields.html"
        names = [
            c.attrs["name"]
            for c in fields[0].iter()
            if c.tag in ("input", "select") and c.attrs.get("name") in SHARED
        ]
        assert names == list(SHARED), url
