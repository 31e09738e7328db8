"""Duplicate finding: recall and false positives on synthetic persons with planted duplicates.

Run: .venv/bin/python -m bench.duplicates_bench [--persons 10000] [--planted 600] [--fresh 1000]
                                                [--seed 11]
     SQLite by default; PostgreSQL when CASEMGR_TEST_DATABASE_URL names a server.

Data (fresh database, migrated, communes loaded, seeded): --persons synthetic persons with
Vietnamese names (diacritics, surname frequencies as in bench.names), sex, birth year,
one of 20 communes, a 12-digit national ID (60 %) consistent with sex and year and a mobile
number (50 %), all written through the ORM so that every sealed value and blind-index entry is
the app's own. Ten commune offices each registered a tenth of them.

Planted duplicates: --planted registrations of persons already in the table, each changed in
one way: the same national ID under another name; i/y (Mỹ/Mĩ, Thủy/Thuỷ -> Thuy/Thui); a
Sino-Vietnamese or regional reading (Hoàng/Huỳnh, Vũ/Võ, Phúc/Phước); swapped name order; the
middle name left out; birth year ±1; another commune. Each is checked as the registration page
does (exact_matches, then probable_matches) by (a) a provincial supervisor, who may open every
registration, and (b) the worker of the registering commune, for whom other communes' persons
are only counted. Recall: the planted original is listed (a), or listed or counted (b).
False positives: --fresh registrations of new synthetic persons (not in the table), and the
other persons listed for planted ones; reported per registration. Time: per check (both
calls, audit appends included). The old rule (folded whole name + same birth year + sex) is
measured on the same registrations for comparison.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import time
from dataclasses import dataclass

from sqlalchemy import select

from bench.names import GIVEN_FEMALE, GIVEN_MALE, MIDDLE_FEMALE, MIDDLE_MALE, SURNAMES
from casemgr import create_app
from casemgr.admin.services import create_user
from casemgr.auth.models import User
from casemgr.auth.roles import Role
from casemgr.crypto import normalise
from casemgr.crypto.keyfile import new_key_document
from casemgr.extensions import db
from casemgr.org.models import Area, UnitKind
from casemgr.org.services import open_unit
from casemgr.people import duplicates
from casemgr.people.models import Person, Sex
from casemgr.people.queries import find_persons_by
from tests.dbsetup import base_url, fresh_database

COMMUNES = 10
FROM = dt.date(2025, 7, 1)
AREAS = 20
VARIANT_SWAPS = {
    "Hoàng": "Huỳnh",
    "Huỳnh": "Hoàng",
    "Vũ": "Võ",
    "Võ": "Vũ",
    "Phúc": "Phước",
    "Phước": "Phúc",
}
KINDS = (
    "same ID, other name",
    "i/y",
    "variant reading",
    "swapped order",
    "no middle name",
    "birth year ±1",
    "other commune",
    "one-letter typo (not covered)",
)


@dataclass
class Row:
    """A synthetic person as registered (plain values, for planting variants)."""

    id: int
    sex: Sex
    surname: str
    middle: str
    given: str
    year: int
    area_id: int
    unit_index: int
    national_id: str | None
    phone: str | None


class Maker:
    """Synthetic persons: names by frequency, IDs consistent with sex and year, phones."""

    def __init__(self, seed: int, areas: list[int]) -> None:
        self.rng = random.Random(seed)
        self.areas = areas
        self.ids: set[str] = set()
        self.phones: set[str] = set()

    def name(self, sex: Sex) -> tuple[str, str, str]:
        surname = self.rng.choices(list(SURNAMES), list(SURNAMES.values()))[0]
        female = sex == Sex.FEMALE
        extra = ["Mỹ", "Thúy", "Vy", "Phước"] if female else ["Phước", "Duy", "Quý"]
        given_pool = [*(GIVEN_FEMALE if female else GIVEN_MALE), *extra]
        middle = self.rng.choice(MIDDLE_FEMALE if female else MIDDLE_MALE)
        return surname, middle, self.rng.choice(given_pool)

    def national_id(self, sex: Sex, year: int) -> str:
        while True:
            century = (0 if year < 2000 else 2) + (1 if sex == Sex.FEMALE else 0)
            value = f"0{self.rng.randint(1, 96):02d}{century}{year % 100:02d}"
            value += f"{self.rng.randint(0, 999999):06d}"
            if value not in self.ids:
                self.ids.add(value)
                return value

    def phone(self) -> str:
        while True:
            value = f"09{self.rng.randint(0, 99999999):08d}"
            if value not in self.phones:
                self.phones.add(value)
                return value

    def row(self, index: int) -> Row:
        sex = Sex.FEMALE if self.rng.random() < 0.52 else Sex.MALE
        year = self.rng.randint(1950, 2020)
        surname, middle, given = self.name(sex)
        return Row(
            id=0,
            sex=sex,
            surname=surname,
            middle=middle,
            given=given,
            year=year,
            area_id=self.rng.choice(self.areas),
            unit_index=index % COMMUNES,
            national_id=self.national_id(sex, year) if self.rng.random() < 0.6 else None,
            phone=self.phone() if self.rng.random() < 0.5 else None,
        )


def i_y(word: str) -> str | None:
    """The word with a final i written y or y written i, keeping the tone (Mỹ/Mĩ, Quý/Quí,
    Vy/Vi, Lý/Lí), where both spellings are in use; else None."""
    swaps = {"ỹ": "ĩ", "ĩ": "ỹ", "ý": "í", "í": "ý", "y": "i", "i": "y", "ỳ": "ì", "ì": "ỳ",
             "ỷ": "ỉ", "ỉ": "ỷ", "ỵ": "ị", "ị": "ỵ"}  # fmt: skip
    last = word[-1:]
    if last in swaps and (len(word) == 2 or word[:-1].lower() == "qu"):
        return word[:-1] + swaps[last]
    return None


def plant(rng: random.Random, kind: str, row: Row, maker: Maker) -> dict | None:
    """A registration of `row` changed in one way (None if the person does not lend itself)."""
    values = dict(
        surname=row.surname, middle_name=row.middle, given_name=row.given,
        birth_year=row.year, sex=str(row.sex), area_id=row.area_id,
        national_id=None, phone=None,
    )  # fmt: skip
    if kind == "same ID, other name":
        if not row.national_id:
            return None
        other = maker.name(row.sex)
        values.update(surname=other[0], middle_name=other[1], given_name=other[2])
        values["national_id"] = row.national_id
    elif kind == "i/y":
        if i_y(row.given):
            values["given_name"] = i_y(row.given)
        elif i_y(row.surname):
            values["surname"] = i_y(row.surname)
        else:
            return None
    elif kind == "variant reading":
        if row.surname in VARIANT_SWAPS:
            values["surname"] = VARIANT_SWAPS[row.surname]
        elif row.given in VARIANT_SWAPS:
            values["given_name"] = VARIANT_SWAPS[row.given]
        else:
            return None
    elif kind == "swapped order":
        values.update(surname=row.given, given_name=row.surname)
    elif kind == "no middle name":
        values["middle_name"] = None
    elif kind == "birth year ±1":
        values["birth_year"] = row.year + rng.choice((-1, 1))
    elif kind == "one-letter typo (not covered)":
        word = row.given
        position = rng.randrange(len(word))
        letter = rng.choice("abcdeghiklmnopqrstuvx")
        values["given_name"] = word[:position] + letter + word[position + 1 :]
        if normalise.fold(values["given_name"]) == normalise.fold(word):
            return None
    elif kind == "other commune":
        values["area_id"] = rng.choice([a for a in maker.areas if a != row.area_id])
    return values


def check(user, values: dict) -> tuple[list[int], list[Person]]:
    """What the registration page shows: exact matches, then probable ones (ids, in scope)."""
    exact = duplicates.exact_matches(user, national_id=values["national_id"], phone=values["phone"])
    probable = duplicates.probable_matches(
        user,
        surname=values["surname"],
        middle_name=values["middle_name"],
        given_name=values["given_name"],
        birth_year=values["birth_year"],
        sex=values["sex"],
        area_id=values["area_id"],
    )
    found = exact.national_id.all_ids() + exact.phone.all_ids()
    return found + probable.all_ids(), (exact.national_id.visible + exact.phone.visible
                                        + probable.visible)  # fmt: skip


def old_rule(user, values: dict) -> list[int]:
    """The rule before issue 11: folded whole name, same birth year and sex."""
    name = " ".join(
        p for p in (values["surname"], values["middle_name"], values["given_name"]) if p
    )
    sex = Sex(values["sex"]) if values["sex"] in (Sex.MALE, Sex.FEMALE) else None
    found = find_persons_by(
        user, name=name, whole_name=True, birth_year=values["birth_year"], sex=sex
    )
    return [p.id for p in found if p.area_id in (None, values["area_id"])]


def run(args) -> int:
    kind = "postgresql" if base_url() else "sqlite"
    print(f"database: {kind}; {args.persons:,} persons; {args.planted} planted; seed {args.seed}")
    with fresh_database("duplicates_bench") as url:
        app = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": url,
                "CASEMGR_KEYS_JSON": json.dumps(new_key_document()),
                "ARGON2_TIME_COST": 1,
                "ARGON2_MEMORY_KIB": 1024,
                "ARGON2_PARALLELISM": 1,
                "RATELIMIT_STORAGE_URI": "memory://",
            }
        )
        with app.app_context():
            return measure(args)


def measure(args) -> int:
    from flask_migrate import upgrade

    from casemgr.org.areas import load_current_areas

    upgrade()
    load_current_areas()
    db.session.commit()
    areas = list(db.session.scalars(select(Area.id).where(Area.level == "commune").limit(AREAS)))
    province = open_unit(
        None, code="B-P", name="Bench province", kind=UnitKind.PROVINCIAL_DEPARTMENT,
        parent=None, valid_from=FROM,
    )  # fmt: skip
    units, workers = [], []
    for n in range(COMMUNES):
        unit = open_unit(
            None, code=f"B-C{n}", name=f"Bench commune {n}", kind=UnitKind.COMMUNE_OFFICE,
            parent=province, valid_from=FROM, areas=[db.session.get(Area, areas[n % len(areas)])],
        )  # fmt: skip
        units.append(unit)
        workers.append(
            create_user(None, username=f"bw{n}", display_name=f"W{n}", email=None,
                        role=Role.SOCIAL_WORKER, unit=unit, password="bench-pass-not-secret-1")[0]
        )  # fmt: skip
    lead, _ = create_user(
        None, username="blead", display_name="Lead", email=None, role=Role.SUPERVISOR,
        unit=province, password="bench-pass-not-secret-1",
    )  # fmt: skip
    db.session.commit()
    unit_ids = [u.id for u in units]
    lead_id = lead.id
    worker_ids = [w.id for w in workers]

    maker = Maker(args.seed, areas)
    rows = [maker.row(i) for i in range(args.persons)]
    start = time.perf_counter()
    for first in range(0, len(rows), 500):
        batch = rows[first : first + 500]
        persons = []
        for row in batch:
            person = Person(sex=row.sex, birth_year=row.year, area_id=row.area_id,
                            registered_unit_id=unit_ids[row.unit_index],
                            registered_by_id=worker_ids[row.unit_index])  # fmt: skip
            person.surname, person.middle_name, person.given_name = (
                row.surname, row.middle, row.given,
            )  # fmt: skip
            person.national_id, person.phone = row.national_id, row.phone
            persons.append(person)
        db.session.add_all(persons)
        db.session.flush()
        for row, person in zip(batch, persons, strict=True):
            row.id = person.id
        db.session.commit()
        db.session.expunge_all()
    print(f"{len(rows):,} persons written in {time.perf_counter() - start:.1f} s")

    rng = random.Random(args.seed + 1)
    planted: list[tuple[str, Row, dict]] = []
    per_kind = args.planted // len(KINDS)
    for kind in KINDS:
        candidates = rows[:]
        rng.shuffle(candidates)
        made = 0
        for row in candidates:
            values = plant(rng, kind, row, maker)
            if values is not None:
                planted.append((kind, row, values))
                made += 1
                if made == per_kind:
                    break
    fresh_rows = [maker.row(i) for i in range(args.fresh)]

    stats: dict[str, dict[str, list]] = {}
    times: list[float] = []
    for kind, row, values in planted:
        lead = db.session.get(User, lead_id)
        worker_view = db.session.get(User, worker_ids[(row.unit_index + 1) % COMMUNES])
        t0 = time.perf_counter()
        _, shown = check(lead, values)
        times.append(time.perf_counter() - t0)
        ids_w, _ = check(worker_view, values)
        old = old_rule(lead, values)
        s = stats.setdefault(kind, {"lead": [], "worker": [], "old": [], "fp": []})
        s["lead"].append(row.id in {p.id for p in shown})
        s["worker"].append(row.id in ids_w)
        s["old"].append(row.id in old)
        s["fp"].append(len({p.id for p in shown} - {row.id}))
        db.session.expunge_all()
    fresh_fp, fresh_any, fresh_old = [], 0, []
    for row in fresh_rows:
        values = dict(surname=row.surname, middle_name=row.middle, given_name=row.given,
                      birth_year=row.year, sex=str(row.sex), area_id=row.area_id,
                      national_id=row.national_id, phone=row.phone)  # fmt: skip
        lead = db.session.get(User, lead_id)
        t0 = time.perf_counter()
        _, shown = check(lead, values)
        times.append(time.perf_counter() - t0)
        fresh_fp.append(len(shown))
        fresh_any += bool(shown)
        fresh_old.append(len(old_rule(lead, values)))
        db.session.expunge_all()
    db.session.rollback()

    print()
    print("| planted change | registrations | recall (listed, province supervisor) | "
          "recall (listed or counted, another commune's worker) | recall, old rule | "
          "other persons listed per registration |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    total = {"lead": [], "worker": [], "old": [], "fp": []}
    for kind in KINDS:
        s = stats.get(kind)
        if not s:
            continue
        for key in total:
            total[key].extend(s[key])
        print(f"| {kind} | {len(s['lead'])} | {pct(s['lead'])} | {pct(s['worker'])} | "
              f"{pct(s['old'])} | {statistics.mean(s['fp']):.2f} |")  # fmt: skip
    print(f"| all | {len(total['lead'])} | {pct(total['lead'])} | {pct(total['worker'])} | "
          f"{pct(total['old'])} | {statistics.mean(total['fp']):.2f} |")  # fmt: skip
    print()
    print(f"new persons (no duplicate), {len(fresh_rows)} registrations: "
          f"{statistics.mean(fresh_fp):.3f} persons listed per registration, "
          f"{fresh_any / len(fresh_rows):.1%} of registrations shown any; old rule "
          f"{statistics.mean(fresh_old):.3f}")  # fmt: skip
    times.sort()
    print(f"time per check (exact + probable, audit included): median "
          f"{statistics.median(times) * 1000:.1f} ms, p95 "
          f"{times[int(len(times) * 0.95)] * 1000:.1f} ms over {len(times)} checks")  # fmt: skip
    return 0


def pct(values: list[bool]) -> str:
    return f"{sum(values) / len(values):.1%}" if values else "—"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--planted", type=int, default=700)
    parser.add_argument("--fresh", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=11)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
