"""Upgrading a database that holds data, from the oldest revision to head (issue 14, point 6).

Rows are written with plain SQL (tables reflected as they are at that revision, never the
current models) the way the app of that time wrote them: a user with a role and an audit
event at 0001; a person with sealed fields, a data key, key checks and blind-index entries
at 0003; a case at 0004. Then the documented upgrade runs (`casemgr init`: migrate to head,
reference data, stored deadlines), and the app reads everything back: the chain verifies,
the fields decrypt, the person is found by national ID, the user signs in, the case has its
deadlines, and new rows can be written beside the old ones.
"""

from __future__ import annotations

import datetime as dt
import os
from types import SimpleNamespace

import sqlalchemy as sa
from flask_migrate import upgrade

from casemgr import create_app
from casemgr.audit.chain import CHAINED_FIELDS, GENESIS_MAC, compute_mac
from casemgr.auth.passwords import hash_password
from casemgr.crypto import blind, envelope
from casemgr.crypto.keyfile import new_key_document
from casemgr.crypto.valueformat import ValueContext, seal_v1
from casemgr.extensions import db
from tests.conftest import app_config
from tests.dbsetup import fresh_database
from tests.factories import PASSWORD
from tests.web import BrowserClient

NOW = dt.datetime(2026, 1, 5, 2, 0, tzinfo=dt.UTC)
PERSON = {
    "surname": "Nguyễn",
    "middle_name": "Thị",
    "given_name": "Lan",
    "national_id": "001204000123",
    "phone": "0912345678",
    "street_address": "Số 5, thôn Đông",
    "note": "Ghi chú cũ từ phiên bản đầu.",
}
SUMMARY = "Tóm tắt ca từ bản 0004."


def _table(conn: sa.Connection, name: str) -> sa.Table:
    return sa.Table(name, sa.MetaData(), autoload_with=conn)


def _insert(conn: sa.Connection, table: str, /, **values) -> int | None:
    result = conn.execute(_table(conn, table).insert().values(**values))
    key = result.inserted_primary_key
    return key[0] if key else None


def _at_0001(conn: sa.Connection, app) -> dict:
    province = _insert(conn, "areas", level="province", code="01", name="Hà Nội",
                       division_type="thành phố", valid_from=dt.date(2025, 7, 1))  # fmt: skip
    unit = _insert(conn, "units", code="UPG-1", name="Phòng LĐTBXH", kind="commune_office",
                   path="/UPG-1/", valid_from=dt.date(2025, 7, 1))  # fmt: skip
    _insert(conn, "unit_areas", unit_id=unit, area_id=province)
    user = _insert(conn, "users", username="old.worker", display_name="Cán bộ cũ",
                   is_enabled=True, password_hash=hash_password(PASSWORD),
                   password_changed_at=NOW, must_change_password=False, is_demo=False,
                   created_at=NOW)  # fmt: skip
    _insert(conn, "role_assignments", user_id=user, role="social_worker", unit_id=unit,
            created_at=NOW)  # fmt: skip
    event = {name: None for name in CHAINED_FIELDS}
    event.update(seq=1, occurred_at=NOW, actor_id=user, actor_name="old.worker",
                 actor_roles="social_worker@UPG-1", action="auth.login", channel="web",
                 outcome="allowed", is_break_glass=False)  # fmt: skip
    mac = compute_mac(
        app.extensions["casemgr.keys"].audit_mac_key, GENESIS_MAC, SimpleNamespace(**event)
    )
    _insert(conn, "audit_events", **event, prev_mac=GENESIS_MAC, mac=mac)
    return {"unit": unit, "user": user, "province": province}


def _at_0003(conn: sa.Connection, app, ids: dict) -> None:
    ring = app.extensions["casemgr.keyring"]
    for value in ring.check_values().values():
        _insert(conn, "key_checks", key_id=value.key_id, kind=value.kind,
                check_mac=value.mac, state=value.state, created_at=NOW)  # fmt: skip
    person = _insert(conn, "persons", sex="female", birth_year=2015, created_at=NOW)
    raw = os.urandom(32)
    master = ring.active_master.id
    data_key = _insert(conn, "data_keys", person_id=person, master_key_id=master,
                       wrapped_key=envelope.wrap(ring, master, person, raw),
                       created_at=NOW)  # fmt: skip
    key = envelope.OpenKey(data_key, raw)
    sealed = {  # the value format of revision 0003 (v1); migration 0018 converts it
        f"{name}_enc": seal_v1(key.aead, key.key_id, value.encode(),
                            ValueContext("persons", f"{name}_enc", person, person))
        for name, value in PERSON.items()
    }  # fmt: skip
    persons = _table(conn, "persons")
    conn.execute(persons.update().where(persons.c.id == person).values(**sealed))
    from casemgr.people.models import Person

    index_keys = [e.id for e in ring.material.index_keys]
    for index in Person.__blind_indexes__:
        terms = index.terms(*(PERSON.get(field) for field in index.fields))
        for row in blind.rows_for(ring, index_keys, "persons", person, index, terms):
            _insert(conn, "blind_index_entries", **row)
    ids["person"] = person
    ids["data_key"] = key


def _at_0004(conn: sa.Connection, ids: dict) -> None:
    _insert(conn, "target_groups", code="child", name_vi="Trẻ em", name_en="Children",
            is_active=True)  # fmt: skip
    case = _insert(conn, "cases", number="UPG-1/2026/0001", person_id=ids["person"],
                   group_code="child", protection_level="intervention", risk_level="high",
                   status="verification", unit_id=ids["unit"], owner_id=ids["user"],
                   plan_cycle=1, opened_at=NOW, updated_at=NOW, version=1)  # fmt: skip
    key = ids["data_key"]
    cases = _table(conn, "cases")
    summary = seal_v1(key.aead, key.key_id, SUMMARY.encode(),
                   ValueContext("cases", "summary_enc", case, ids["person"]))  # fmt: skip
    conn.execute(cases.update().where(cases.c.id == case).values(summary_enc=summary))
    ids["case"] = case


def _config(url: str, keys: dict, folder) -> dict:
    config = app_config(url, keys)
    config["CASEMGR_AUDIT_CHECKPOINT_DIR"] = str(folder / "audit-checkpoints")
    config["CASEMGR_AUDIT_ARCHIVE_DIR"] = str(folder / "audit-archives")
    return config


def test_upgrade_from_the_oldest_revision_keeps_the_data(tmp_path):
    keys = new_key_document()
    with fresh_database("upgrade") as url:
        app = create_app(_config(url, keys, tmp_path))
        ids: dict = {}
        with app.app_context():
            upgrade(revision="0001")
            with db.engine.begin() as conn:
                ids.update(_at_0001(conn, app))
            upgrade(revision="0003")
            with db.engine.begin() as conn:
                _at_0003(conn, app, ids)
            upgrade(revision="0004")
            with db.engine.begin() as conn:
                _at_0004(conn, ids)
            db.engine.dispose()

        # The documented upgrade: a new release's app runs `init` against the old database.
        app = create_app(_config(url, keys, tmp_path))
        result = app.test_cli_runner().invoke(args=["casemgr", "init", "--skip-areas"])
        assert result.exit_code == 0, result.output
        assert "stored deadlines:" in result.output  # the 0012 backfill ran for the old case
        verified = app.test_cli_runner().invoke(args=["casemgr", "audit", "verify"])
        assert "OK: the audit trail verifies" in verified.output, verified.output

        with app.app_context():
            _read_back(app, ids)
            db.session.remove()
            db.engine.dispose()


def _read_back(app, ids: dict) -> None:
    from casemgr.auth.models import User
    from casemgr.cases.models import Case
    from casemgr.people import queries
    from casemgr.people.models import Person
    from casemgr.people.services import register_person
    from casemgr.rules.models import Deadline

    user = db.session.get(User, ids["user"])
    person = db.session.get(Person, ids["person"])
    for name, value in PERSON.items():
        assert getattr(person, name) == value, name
    case = db.session.get(Case, ids["case"])
    assert case.summary == SUMMARY and case.person_id == person.id
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(Deadline).where(Deadline.case_id == case.id)
    )
    assert [r.role.value for r in user.roles] == ["social_worker"]
    # Found by its blind index, written at 0003 (an administrator-free, scope-free lookup).
    found = queries.find_persons_by(None, national_id=PERSON["national_id"])
    assert [p.id for p in found] == [person.id]
    # New rows go beside the old ones (sequences and defaults are sound after the upgrade).
    newcomer = register_person(None, surname="Trần", given_name="Bình")
    db.session.commit()
    assert newcomer.id > person.id
    username, case_id = user.username, case.id
    db.session.remove()
    # The old user signs in with the old password hash and opens the old case.
    app.test_client_class = BrowserClient
    client = app.test_client()
    signed_in = client.login(SimpleNamespace(username=username), PASSWORD)
    assert signed_in.status_code == 302 and "/auth/login" not in signed_in.headers["Location"]
    page = client.get(f"/cases/{case_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert SUMMARY in html and "UPG-1/2026/0001" in html
