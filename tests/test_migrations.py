"""Migrations: one head, and upgrading an empty database gives exactly the models' schema."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from casemgr import create_app
from casemgr.crypto.keyfile import new_key_document
from casemgr.db import built_on
from casemgr.extensions import db
from tests.conftest import app_config
from tests.dbsetup import fresh_database


def test_single_head(app):
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        assert len(ScriptDirectory.from_config(config).get_heads()) == 1


# SQLite cannot reflect an expression index (0023), so autogenerate skips it there with a
# warning; PostgreSQL compares it. tests/audit/test_search_plan.py checks it is used on both.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_upgrade_matches_models_and_downgrade_empties():
    with fresh_database("migrations") as url:
        app = create_app(app_config(url, new_key_document()))
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                diff = compare_metadata(
                    MigrationContext.configure(
                        conn,
                        opts={"compare_type": True, "include_object": built_on(conn.dialect.name)},
                    ),
                    db.metadata,
                )
            assert diff == []
            downgrade(revision="base")
            with db.engine.connect() as conn:
                assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
            upgrade()  # and back up again
            db.engine.dispose()


def test_0018_moves_values_to_v2_and_back_with_data_present():
    """Values written in format v1 before 0018 read after it; downgrading gives v1 again."""
    import datetime as dt
    import os

    import pytest

    from casemgr.crypto import envelope
    from casemgr.crypto.errors import IntegrityFailure
    from casemgr.crypto.fields import ERASED
    from casemgr.crypto.valueformat import ValueContext, open_v1, seal_v1
    from casemgr.people.models import Attachment, Person

    with fresh_database("values") as url:
        app = create_app(app_config(url, new_key_document()))
        with app.app_context():
            upgrade(revision="0013")
            ring = envelope.keyring()
            master = ring.active_master.id
            now = dt.datetime.now(dt.UTC)
            persons = sa.table(
                "persons",
                *(
                    sa.column(c)
                    for c in (
                        *("id", "sex", "created_at", "birth_year_is_estimated"),
                        *("is_pseudonymous", "version", "erased_at", "given_name_enc", "note_enc"),
                    )
                ),
            )
            attachments = sa.table(
                "attachments",
                *(
                    sa.column(c)
                    for c in (
                        *("id", "person_id", "content_type", "size", "created_at"),
                        *("filename_enc", "content_enc"),
                    )
                ),
            )
            data_keys = sa.table(
                "data_keys",
                *(
                    sa.column(c)
                    for c in (
                        *("id", "person_id", "wrapped_key", "master_key_id", "created_at"),
                        "destroyed_at",
                    )
                ),
            )
            raws = {pid: os.urandom(32) for pid in (1, 2, 3, 4)}

            def v1(pid: int, table: str, column: str, row: int, text: bytes) -> bytes:
                context = ValueContext(table, column, row, pid)
                return seal_v1(AESGCM(raws[pid]), pid, text, context)

            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            with db.engine.begin() as conn:
                for pid in (1, 2, 3, 4):
                    erased = pid == 3
                    wrapped = None if erased else envelope.wrap(ring, master, pid, raws[pid])
                    conn.execute(
                        persons.insert().values(
                            id=pid, sex="unknown", created_at=now, birth_year_is_estimated=False,
                            is_pseudonymous=False, version=1,
                            erased_at=now if erased else None,
                            given_name_enc=None if erased else v1(
                                pid, "persons", "given_name_enc", pid, f"Tên {pid}".encode()
                            ),
                            note_enc=None,
                        )
                    )  # fmt: skip
                    conn.execute(
                        data_keys.insert().values(
                            id=pid, person_id=pid, master_key_id=master, created_at=now,
                            wrapped_key=wrapped,
                            destroyed_at=now if erased else None,
                        )
                    )  # fmt: skip
                conn.execute(
                    attachments.insert().values(
                        id=1, person_id=1, content_type="application/pdf", size=9,
                        created_at=now,
                        filename_enc=v1(1, "attachments", "filename_enc", 1, b"don.pdf"),
                        content_enc=v1(1, "attachments", "content_enc", 1, b"%PDF-1.7\n"),
                    )
                )  # fmt: skip
                # Person 4: a value that no longer authenticates stays as it was, refused later.
                conn.execute(
                    persons.update().where(persons.c.id == 4).values(note_enc=b"\x01" + b"x" * 60)
                )

            upgrade()
            envelope.forget()
            one, two = db.session.get(Person, 1), db.session.get(Person, 2)
            assert (one.given_name, one.note, two.given_name) == ("Tên 1", None, "Tên 2")
            assert one.enc_version == 1 and one.given_name_enc[0] == 2
            attachment = db.session.get(Attachment, 1)
            assert (attachment.filename, attachment.content) == ("don.pdf", b"%PDF-1.7\n")
            assert db.session.get(Person, 3).given_name is ERASED
            with pytest.raises(IntegrityFailure):
                _ = db.session.get(Person, 4).given_name
            one.given_name = "Tên mới"  # the app writes v2 with generation 2
            db.session.commit()
            db.session.remove()

            downgrade(revision="0013")
            with db.engine.connect() as conn:
                blob = conn.execute(sa.select(persons.c.given_name_enc).where(persons.c.id == 1))
                blob = blob.scalar_one()
                assert blob[0] == 1
                context = ValueContext("persons", "given_name_enc", 1, 1)
                opened = open_v1(lambda _key_id: AESGCM(raws[1]), blob, context)
                assert opened == "Tên mới".encode()
                assert "enc_seal" not in {
                    c["name"] for c in sa.inspect(conn).get_columns("persons")
                }
            upgrade()
            envelope.forget()
            assert db.session.get(Person, 1).given_name == "Tên mới"
            assert db.session.get(Attachment, 1).content == b"%PDF-1.7\n"
            db.session.remove()
            with db.engine.connect() as conn:  # the case history is still append-only
                if conn.dialect.name == "sqlite":
                    found = (
                        "SELECT count(*) FROM sqlite_master WHERE name = 'case_events_no_update'"
                    )
                else:
                    found = (
                        "SELECT count(*) FROM pg_trigger WHERE tgname = 'case_events_append_only'"
                        " AND tgenabled = 'O'"
                    )
                assert conn.execute(sa.text(found)).scalar() == 1
            db.engine.dispose()


def test_0030_adds_closure_reasons_and_takes_them_away_keeping_the_cases():
    """Cases closed before 0030 have no reason (NULL, shown "No reason recorded"); downgrading
    drops the reasons recorded since, keeps the cases, and the history stays append-only."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy.exc import DBAPIError

    from casemgr.auth.models import User
    from casemgr.auth.roles import Role
    from casemgr.cases import services
    from casemgr.cases.models import Case, CaseEvent
    from casemgr.cases.policy import case_access
    from casemgr.clock import utcnow
    from casemgr.org.models import UnitKind
    from casemgr.reference.services import load_reference_data
    from tests.cases.conftest import open_child_case, record_detailed_assessment
    from tests.factories import Factories

    def take(user, case, *names, **extra):
        for name in names:
            access = case_access(user, case, None, utcnow())
            services.take_move(user, case, access, name, expected_version=case.version, **extra)

    def columns(conn, table: str) -> set[str]:
        return {c["name"] for c in sa.inspect(conn).get_columns(table)}

    with fresh_database("closure") as url:
        app = create_app(app_config(url, new_key_document()))
        with app.app_context():
            upgrade(revision="0029")
            with db.engine.connect() as conn:
                assert "closure_reason" not in columns(conn, "cases")
            upgrade()
            load_reference_data()
            make = Factories(db)
            commune = make.unit(make.unit(kind=UnitKind.PROVINCIAL_DEPARTMENT))
            worker = make.user(Role.SOCIAL_WORKER, commune)
            supervisor = make.user(Role.SUPERVISOR, commune)
            case = open_child_case(worker, commune)
            take(worker, case, "verify", "assess", "assess_in_detail")
            record_detailed_assessment(worker, case)
            take(worker, case, "submit_plan")
            take(supervisor, case, "approve_plan")
            take(worker, case, "implement")
            take(worker, case, "review_and_request_closure", reason="Trẻ đã an toàn.",
                 closure_reason="goals_met")  # fmt: skip
            take(supervisor, case, "approve_closure")
            case_id, worker_id, supervisor_id = case.id, worker.id, supervisor.id
            db.session.commit()
            db.session.remove()

            downgrade(revision="0029")
            with db.engine.connect() as conn:
                assert "closure_reason" not in columns(conn, "cases")
                assert "closure_reason" not in columns(conn, "case_events")
                kept = conn.execute(
                    sa.text("SELECT status FROM cases WHERE id = :id"), {"id": case_id}
                ).scalar_one()
                assert kept == "closed"
            upgrade()
            with db.engine.connect() as conn:
                assert {"closure_reason"} <= columns(conn, "cases")
                assert {"closure_reason"} <= columns(conn, "case_events")
            closed = db.session.get(Case, case_id)
            assert (closed.status, closed.closure_reason) == ("closed", None)  # not guessed
            said = db.session.scalars(
                sa.select(CaseEvent.closure_reason).where(CaseEvent.case_id == case_id)
            )
            assert set(said) == {None}
            # The history is append-only still (SQLite kept its triggers: no table copy).
            with pytest.raises(DBAPIError):
                db.session.execute(sa.text("UPDATE case_events SET closure_reason = 'died'"))
            db.session.rollback()
            with pytest.raises(DBAPIError):
                db.session.execute(sa.text("DELETE FROM case_events"))
            db.session.rollback()
            # A closure recorded from now on has its reason.
            case = db.session.get(Case, case_id)
            worker, supervisor = (
                db.session.get(User, worker_id),
                db.session.get(User, supervisor_id),
            )
            take(supervisor, case, "reopen", reason="Gia đình báo tin mới.")
            take(worker, case, "request_closure", reason="Chuyển vào Nam.",
                 closure_reason="moved_away")  # fmt: skip
            db.session.commit()
            assert db.session.get(Case, case_id).closure_reason == "moved_away"
            db.session.remove()
            db.engine.dispose()
