"""The name-variant index backfill for persons registered before the index existed."""

from __future__ import annotations

import sqlalchemy as sa

from casemgr.crypto.models import BlindIndexEntry
from casemgr.people import duplicates
from casemgr.people.cli import backfill_index
from casemgr.people.services import register_person


def _entries(db, person_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(
            BlindIndexEntry.row_id == person_id,
            BlindIndexEntry.index_name == "persons.name_variant",
        )
    )


def test_backfill_restores_missing_variant_entries(app, casework, db):
    person = register_person(
        casework.worker, sex="female", birth_year=1990, surname="Trần", middle_name="Thị",
        given_name="Mỹ", registered_unit_id=casework.commune.id,
    )  # fmt: skip
    kept = _entries(db, person.id)
    assert kept == 2  # every word, and without the middle name
    db.session.execute(  # as in a database registered before the index existed
        sa.delete(BlindIndexEntry).where(BlindIndexEntry.index_name == "persons.name_variant")
    )
    typed = dict(surname="Trần", middle_name="Thị", given_name="Mĩ", birth_year=1990, sex="female")
    assert not duplicates.probable_matches(casework.worker, **typed)
    assert backfill_index("persons.name_variant", batch_size=1) >= 1
    assert _entries(db, person.id) == kept
    assert [p.id for p in duplicates.probable_matches(casework.worker, **typed).visible] == [
        person.id
    ]


def test_cli_command_is_registered(app):
    result = app.test_cli_runner().invoke(args=["casemgr", "people", "--help"])
    assert "index-name-variants" in result.output
