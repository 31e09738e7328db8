"""Provincial reports at scale: the full report over 10^5 cases and 10^6 services.

Run: .venv/bin/python -m bench.reports_bench [--cases 100000] [--services 1000000] [--runs 3]
     SQLite by default; PostgreSQL when CASEMGR_TEST_DATABASE_URL names a server (a fresh
     database is created and dropped, as for the tests).

Data (fresh database, migrated, areas, reference data and service catalogue loaded): one
province with 20 commune offices; persons with sex, birth year, ethnicity and commune only
(reports read no encrypted value, so the generator writes none), cases spread over the five
groups, two years, statuses and units, 0-2 sub-groups each, and services delivered on random
cases. Rows are inserted in bulk (Core executemany), not through the services.

Measured, as the provincial supervisor (whole province in scope) and as one commune's
supervisor: the full provincial report (services.all_tables: 4 measures x 5 breakdowns,
services, referrals, deadline compliance, i.e. 23 protected tables), one report table, and the
bar chart SVG; median wall time over --runs, and SQL statements (before_cursor_execute).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import time

from sqlalchemy import event, insert, select

from casemgr import create_app
from casemgr.admin.services import create_user
from casemgr.auth.roles import Role
from casemgr.cases.models import Case, CaseSubGroup
from casemgr.crypto.keyfile import new_key_document
from casemgr.extensions import db
from casemgr.org.models import Area, UnitKind
from casemgr.org.services import open_unit
from casemgr.people.models import Person
from casemgr.reference.models import Ethnicity, SubGroup
from casemgr.reports import services
from casemgr.reports.queries import Dimension, Measure, Period, Query
from casemgr.support.models import ServiceDelivery, ServiceType
from tests.dbsetup import fresh_database

YEAR = 2026
CHUNK = 20_000


def seed(app, n_cases: int, n_services: int) -> tuple[int, int]:
    rng = random.Random(2026)
    from flask_migrate import upgrade

    from casemgr.org.areas import load_current_areas
    from casemgr.reference.services import load_reference_data
    from casemgr.rules.services import seed_rules
    from casemgr.support.catalogue import load_service_catalogue

    with app.app_context():
        upgrade()
        load_current_areas()
        load_reference_data()
        load_service_catalogue()
        seed_rules()
        province = open_unit(
            None,
            code="BENCH-P",
            name="Sở Y tế (bench)",
            kind=UnitKind.PROVINCIAL_DEPARTMENT,
            parent=None,
            valid_from=dt.date(2025, 7, 1),
        )
        communes = [
            open_unit(
                None,
                code=f"BENCH-C{i}",
                name=f"Xã {i} (bench)",
                kind=UnitKind.COMMUNE_OFFICE,
                parent=province,
                valid_from=dt.date(2025, 7, 1),
            )
            for i in range(20)
        ]
        lead, _ = create_user(
            None,
            username="bench.lead",
            display_name="Lead",
            email=None,
            role=Role.SUPERVISOR,
            unit=province,
            password="bench-password-not-secret-42",
        )
        local, _ = create_user(
            None,
            username="bench.local",
            display_name="Local",
            email=None,
            role=Role.SUPERVISOR,
            unit=communes[0],
            password="bench-password-not-secret-42",
        )
        db.session.flush()
        areas = list(db.session.scalars(select(Area.id).where(Area.level == "commune").limit(200)))
        ethnicities = list(db.session.scalars(select(Ethnicity.code)))[:10]
        groups = ["child", "trafficking", "drug", "sex_work", "violence"]
        subs = {
            g: list(db.session.scalars(select(SubGroup.id).where(SubGroup.group_code == g)))
            for g in groups
        }
        types = {
            g: list(db.session.scalars(select(ServiceType.id).where(ServiceType.group_code == g)))
            for g in groups
        }
        groups = [g for g in groups if types[g]]  # groups with a service catalogue
        db.session.commit()
        connection = db.session.connection()
        start = dt.datetime(YEAR - 1, 1, 1, tzinfo=dt.UTC)
        case_group = {}
        first_day = dt.date(YEAR - 1, 1, 1)
        for base in range(0, n_cases, CHUNK):
            ids = range(base + 1, min(n_cases, base + CHUNK) + 1)
            connection.execute(
                insert(Person),
                [
                    {
                        "id": i,
                        "sex": rng.choice(["male", "female", "female", "unknown"]),
                        "birth_year": rng.choice([None, *range(1940, 2026)]),
                        "ethnicity_code": rng.choice(ethnicities),
                        "area_id": rng.choice(areas),
                        "created_at": start,
                        "birth_year_is_estimated": False,
                        "is_pseudonymous": False,
                        "version": 1,
                    }
                    for i in ids
                ],
            )
            rows, sub_rows = [], []
            for i in ids:
                group = rng.choice(groups)
                case_group[i] = group
                opened = start + dt.timedelta(minutes=rng.randint(0, 2 * 365 * 24 * 60))
                closed = (
                    opened + dt.timedelta(days=rng.randint(1, 300)) if rng.random() < 0.3 else None
                )
                unit = rng.choice(communes)
                rows.append(
                    {
                        "id": i,
                        "number": f"B-{i}",
                        "person_id": i,
                        "group_code": group,
                        "protection_level": "support",
                        "risk_level": "low",
                        "status": "closed" if closed else "implementation",
                        "unit_id": unit.id,
                        "owner_id": lead.id,
                        "plan_cycle": 1,
                        "opened_at": opened,
                        "updated_at": opened,
                        "closed_at": closed,
                        "version": 1,
                    }
                )
                for sub in rng.sample(subs[group], k=min(len(subs[group]), rng.randint(0, 2))):
                    sub_rows.append({"case_id": i, "sub_group_id": sub})
            connection.execute(insert(Case), rows)
            if sub_rows:
                connection.execute(insert(CaseSubGroup), sub_rows)
        for base in range(0, n_services, CHUNK):
            rows = []
            for _ in range(min(CHUNK, n_services - base)):
                case_id = rng.randint(1, n_cases)
                rows.append(
                    {
                        "case_id": case_id,
                        "person_id": case_id,
                        "service_type_id": rng.choice(types[case_group[case_id]]),
                        "delivered_on": first_day + dt.timedelta(days=rng.randint(0, 729)),
                        "author_id": lead.id,
                        "created_at": start,
                        "is_break_glass": False,
                    }
                )
            connection.execute(insert(ServiceDelivery), rows)
        db.session.commit()
        return lead.id, local.id


def measure(app, user_id: int, runs: int) -> dict:
    from casemgr.auth.models import User

    results = {}
    with app.app_context(), app.test_request_context():
        engine = db.engine
        user = db.session.get(User, user_id)
        full_query = Query(Measure.REGISTERED, Dimension.AGE_BAND, Dimension.SEX, Period(YEAR))
        scenarios = {
            "full provincial report (23 tables)": lambda: services.all_tables(user, full_query),
            "one table (active, age band x sex)": lambda: services.report_table(
                user,
                "active",
                Query(Measure.ACTIVE, Dimension.AGE_BAND, Dimension.SEX, Period(YEAR)),
            ),
            "one table (assisted, commune x sex)": lambda: services.report_table(
                user,
                "assisted",
                Query(Measure.ASSISTED, Dimension.AREA, Dimension.SEX, Period(YEAR)),
            ),
            "deadline compliance table": lambda: services.report_table(
                user, "deadlines", full_query
            ),
            "bar chart SVG": lambda: services.bar_svg(
                services.report_table(user, "registered", full_query)
            ),
        }
        for name, scenario in scenarios.items():
            times, counts = [], []
            statements: list[int] = []

            def listener(*args, statements=statements) -> None:
                statements.append(1)

            for _ in range(runs):
                statements.clear()
                event.listen(engine, "before_cursor_execute", listener)
                began = time.perf_counter()
                scenario()
                times.append(time.perf_counter() - began)
                event.remove(engine, "before_cursor_execute", listener)
                counts.append(len(statements))
            results[name] = (statistics.median(times), max(counts))
        db.session.remove()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--services", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with fresh_database("reports-bench") as url:
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": url, "CASEMGR_KEYS_JSON": json.dumps(new_key_document())}
        )
        began = time.perf_counter()
        lead_id, local_id = seed(app, args.cases, args.services)
        print(
            f"database: {url.split(':')[0]}; {args.cases} cases, {args.services} services; "
            f"generated in {time.perf_counter() - began:.0f} s"
        )
        for label, user_id in (
            ("provincial supervisor", lead_id),
            ("commune supervisor", local_id),
        ):
            for name, (seconds, statements) in measure(app, user_id, args.runs).items():
                print(f"{label:22} {name:40} {seconds * 1000:9.0f} ms  {statements:4d} queries")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
