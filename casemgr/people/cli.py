"""`flask --app wsgi casemgr people ...`: maintenance of the person indexes."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

people_cli = AppGroup("people", help="Person maintenance commands.")

NEW_INDEXES = ("persons.name_variant",)


def backfill_index(index_name: str, *, batch_size: int = 500, commit=None) -> int:
    """Write one blind index's entries for every person (under each index key still written),
    in batches of `batch_size`, replacing what was there; return how many persons."""
    from casemgr.crypto import blind, envelope
    from casemgr.crypto.fields import ERASED
    from casemgr.extensions import db
    from casemgr.people.models import Person

    index = next(i for i in Person.__blind_indexes__ if i.name == index_name)
    ring = envelope.keyring()
    key_ids = [entry.id for entry in ring.index_write_keys()]
    last, total = 0, 0
    while True:
        persons = list(
            db.session.scalars(
                sa.select(Person).where(Person.id > last).order_by(Person.id).limit(batch_size)
            )
        )
        if not persons:
            return total
        envelope.preload(db.session, [p.id for p in persons])
        rows = []
        for person in persons:
            values = [getattr(person, name) for name in index.fields]
            if person.is_erased or any(value is ERASED for value in values):
                continue
            rows.extend(
                blind.rows_for(ring, key_ids, "persons", person.id, index, index.terms(*values))
            )
        blind.replace_entries(
            db.session, "persons", [p.id for p in persons], [index.name], rows, key_ids=key_ids
        )
        last, total = persons[-1].id, total + len(persons)
        for person in persons:
            db.session.expunge(person)
        if commit is not None:
            commit()


@people_cli.command("index-name-variants")
@click.option("--batch-size", default=500, show_default=True, help="Persons per commit.")
def index_name_variants(batch_size: int) -> None:
    """Write the duplicate-candidate name index for persons registered before it existed."""
    from casemgr.extensions import db

    for name in NEW_INDEXES:
        done = backfill_index(name, batch_size=batch_size, commit=db.session.commit)
        click.echo(f"{name}: {done} persons indexed")
