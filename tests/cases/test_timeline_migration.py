"""Migration 0011 gives cases opened before it their history back: who opened them (the first
owner, not today's), the reassignments and transfers they went through; then refuses rewrites."""

from __future__ import annotations

import datetime as dt

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from casemgr import create_app
from casemgr.auth.roles import Role
from casemgr.cases import queries, transfers
from casemgr.cases.policy import case_access
from casemgr.clock import utcnow
from casemgr.crypto.keyfile import new_key_document
from casemgr.extensions import db
from casemgr.org.models import UnitKind
from casemgr.people.registration import add_relative, record_consent
from casemgr.supervision.models import ReassignReason
from casemgr.supervision.services import Choice, reassign_cases
from tests.cases.conftest import open_child_case
from tests.conftest import app_config
from tests.dbsetup import fresh_database
from tests.factories import Factories


def _consent(worker, person) -> None:
    mother = add_relative(
        worker, person, relationship_kind="mother", is_guardian=True, name="Trần Thị Hoa",
        phone=None,
    )  # fmt: skip
    for given_by, relative in (("subject", None), ("guardian", mother)):
        record_consent(
            worker, person, scope="transfer", given_by=given_by, given_on=dt.date(2026, 1, 5),
            relative=relative,
        )  # fmt: skip


def test_backfill_keeps_the_first_owner_as_opener():
    with fresh_database("history") as url:
        app = create_app(app_config(url, new_key_document()))
        with app.app_context():
            upgrade()
            from casemgr.reference.services import load_reference_data

            load_reference_data()
            make = Factories(db)
            province = make.unit(kind=UnitKind.PROVINCIAL_DEPARTMENT)
            commune, other = make.unit(province), make.unit(province)
            opener, colleague = (make.user(Role.SOCIAL_WORKER, commune) for _ in range(2))
            supervisor = make.user(Role.SUPERVISOR, commune)
            receiver = make.user(Role.SUPERVISOR, other)
            outsider = make.user(Role.SOCIAL_WORKER, other)
            moved = open_child_case(opener, commune)
            stayed = open_child_case(colleague, commune, given="Hà")
            reassign_cases(supervisor, [Choice(moved.id, moved.version)], colleague.id,
                           reason=ReassignReason.WORKLOAD)  # fmt: skip
            _consent(colleague, moved.person)
            access = case_access(colleague, moved, None, utcnow())
            request = transfers.request_transfer(
                colleague, moved, access, to_unit=other, reason="Gia đình chuyển nhà."
            )
            transfers.accept_transfer(
                receiver, request, new_owner=outsider, expected_version=moved.version
            )
            ids = (moved.id, stayed.id)
            opener_id, colleague_id, outsider_id = opener.id, colleague.id, outsider.id
            commune_id, other_id = commune.id, other.id
            db.session.commit()

            # As it was before 0011: no history table; upgrading rebuilds it from what is left.
            downgrade(revision="0010")
            upgrade()
            db.session.remove()

            moved, stayed = (db.session.get(type(moved), case_id) for case_id in ids)
            assert (moved.owner_id, moved.unit_id) == (outsider_id, other_id)
            first = queries.opened_by(moved)
            assert (first.actor_id, first.to_unit_id, first.occurred_at) == (
                opener_id, commune_id, moved.opened_at,
            )  # fmt: skip
            assert queries.opened_by(stayed).actor_id == colleague_id
            kinds = [(str(e.kind), e.from_user_id, e.to_user_id) for e in queries.history(moved)]
            assert kinds == [
                ("opened", None, opener_id),
                ("reassigned", opener_id, colleague_id),
                ("transfer_requested", colleague_id, None),
                ("transfer_accepted", colleague_id, outsider_id),
            ]
            with pytest.raises(DBAPIError):
                db.session.execute(text("DELETE FROM case_events"))
            db.session.rollback()
            db.session.remove()
            db.engine.dispose()
