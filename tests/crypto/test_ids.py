"""Ids assigned before insert never collide between concurrent transactions."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from casemgr.crypto import ids
from tests.dbsetup import fresh_database


@pytest.fixture
def table_and_engine():
    with fresh_database("ids") as url:
        engine = sa.create_engine(url, connect_args={"timeout": 0.2} if "sqlite" in url else {})
        metadata = sa.MetaData()
        table = sa.Table(
            "persons",
            metadata,
            sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        )
        metadata.create_all(engine)
        yield table, engine
        engine.dispose()


def test_two_transactions_never_get_the_same_ids(table_and_engine):
    table, engine = table_and_engine
    first, second = Session(engine), Session(engine)
    mine = ids.allocate(first, table, 3)
    assert ids.allocate(first, table, 2) == [mine[-1] + 1, mine[-1] + 2]  # same transaction
    if engine.dialect.name == "sqlite":
        # The first transaction holds the write lock until it commits: the second waits.
        with pytest.raises(OperationalError, match="locked"):
            ids.allocate(second, table, 2)
        second.rollback()
    else:
        theirs = ids.allocate(second, table, 2)
        assert not set(theirs) & set(mine)
    first.execute(table.insert(), [{"id": i} for i in mine])
    first.commit()
    later = ids.allocate(second, table, 2)
    assert min(later) > max(mine)
    second.execute(table.insert(), [{"id": i} for i in later])
    second.commit()
    first.close()
    second.close()
