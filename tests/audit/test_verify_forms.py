"""The canonical form the database writes for verification is byte for byte the Python one.

verify.iter_chain has SQLite (json_array) or PostgreSQL (to_json) write each event's canonical
form, and falls back to chain.canonical_values for values it cannot show to be encoded alike.
Here both paths read the same rows (strings that need escaping; on SQLite also values edited
in with other types or formats), before and after tampering, and must agree on every form and
on every problem found.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from casemgr.audit.chain import GENESIS_MAC, canonical_values
from casemgr.audit.models import AuditEvent
from casemgr.audit.signing import Signer, TrustedKeys
from casemgr.audit.verify import (
    _SQLITE_CANONICAL,
    COLUMN_NAMES,
    _database_form,
    _exact_row,
    iter_chain,
    iter_events,
    verify_log,
    walk_events,
)
from tests.audit.synthetic import create_audit_tables, insert_events, synthetic_events
from tests.dbsetup import fresh_database

MAC_KEY = secrets.token_bytes(32)
TRUSTED = TrustedKeys([Signer.from_seed(secrets.token_bytes(32)).public_key])
EVENTS = AuditEvent.__table__
AWKWARD = [
    'quote " and backslash \\ and slash /',
    "controls \b \f \n \r \t \x01 \x1f and \x7f",
    "Nguyễn Thị Ánh, Đà Nẵng",
    "emoji \U0001f600, line separator \u2028, BOM \ufeff",
    "",
    "null",
    "[1,2]",
]


def chain_the_rows(conn: sa.Connection) -> None:
    """Set prev_mac and mac of every row as record() would have, from the values as stored
    (read back raw, encoded in Python): the rows are then a valid chain by definition."""
    p = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    prev = GENESIS_MAC
    for rows in iter_events(conn):
        for row in rows:
            mac = hmac.digest(MAC_KEY, prev + canonical_values(row), "sha256")
            conn.exec_driver_sql(
                f"UPDATE audit_events SET prev_mac = {p}, mac = {p} WHERE seq = {p}",
                (prev, mac, row[0]),
            )
            prev = mac


def add_raw(conn: sa.Connection, rows: list[dict]) -> None:
    """Insert rows with their values as given, past SQLAlchemy's type conversions."""
    p = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    columns = ", ".join(COLUMN_NAMES)
    marks = ", ".join([p] * len(COLUMN_NAMES))
    for row in rows:
        conn.exec_driver_sql(
            f"INSERT INTO audit_events ({columns}) VALUES ({marks})",
            tuple(row[name] for name in COLUMN_NAMES),
        )


@pytest.fixture
def conn() -> Iterator[sa.Connection]:
    with fresh_database("audit_forms") as url:
        engine = sa.create_engine(url)
        create_audit_tables(engine)
        with engine.connect() as conn:
            with conn.begin():
                insert_events(conn, synthetic_events(MAC_KEY, 40))
                seq = 41
                for text in AWKWARD:
                    for column in ("actor_name", "object_id", "reason", "client_addr"):
                        conn.execute(
                            sa.insert(EVENTS),
                            next(synthetic_events(MAC_KEY, 1, first_seq=seq, seed=seq))
                            | {column: text, "is_break_glass": seq % 2 == 0},
                        )
                        seq += 1
                chain_the_rows(conn)
            yield conn
        engine.dispose()


def both_ways(conn: sa.Connection) -> tuple:
    """The walk over the database's forms and over the Python ones, as comparable values."""
    fast = [row for rows in iter_chain(conn, batch_size=7) for row in rows]
    exact = [_exact_row(row) for rows in iter_events(conn, batch_size=7) for row in rows]
    assert fast == exact
    walks = (walk_events([fast], MAC_KEY, set()), walk_events([exact], MAC_KEY, set()))
    return tuple(
        ([(p.seq, p.kind, p.detail) for p in w.problems], w.events, w.first, w.last) for w in walks
    )


def test_awkward_strings_give_the_python_form(conn):
    assert _database_form(conn) is not None  # the database writes the forms here
    fast, exact = both_ways(conn)
    assert fast == exact
    assert fast[0] == [] and fast[1] == 40 + 4 * len(AWKWARD)
    assert verify_log(conn, MAC_KEY, trusted=TRUSTED).ok


def test_edited_strings_are_found_alike(conn):
    with conn.begin_nested():
        for seq, text in ((3, "a\nb"), (45, 'x"'), (50, "Nguyễn"), (61, "\x02")):
            conn.execute(sa.update(EVENTS).where(EVENTS.c.seq == seq).values(reason=text))
        fast, exact = both_ways(conn)
        assert fast == exact
        assert [seq for seq, _kind, _detail in fast[0]] == [3, 45, 50, 61]


def sqlite_only(conn: sa.Connection) -> None:
    if conn.dialect.name != "sqlite":
        pytest.skip("values of other types or formats cannot be stored in PostgreSQL's columns")


# Values SQLite keeps as given that the database's form is not shown to encode as Python does:
# each such row must take the Python path. (column, value) per row.
ODD = [
    ("occurred_at", "2026-01-05T01:00:00.123456"),  # a T, not a space
    ("occurred_at", "2026-01-05 01:00:00.123456+07:00"),  # an offset after the fraction
    ("occurred_at", "2026-01-05 01:00:00"),  # no fraction
    ("occurred_at", "2026-01-05 01:00:00.12"),  # a short fraction
    ("occurred_at", "2026-02-29 01:00:00.000001"),  # no such day (Python refuses it)
    ("is_break_glass", "abc"),  # bool("abc") is true
    ("is_break_glass", 2),
    ("is_break_glass", 1.0),
    ("actor_id", 1.5),
    ("case_id", 1e20),
    ("actor_name", 7),
    ("fields", 0.1),
]


@pytest.mark.parametrize(("column", "value"), ODD)
def test_values_of_other_types_or_formats_take_the_python_path(conn, column, value):
    sqlite_only(conn)
    with conn.begin_nested():
        conn.execute(sa.delete(EVENTS).where(EVENTS.c.seq > 30))
        add_raw(conn, [dict(next(synthetic_events(MAC_KEY, 1, first_seq=31)), **{column: value})])
        form = f"SELECT {_SQLITE_CANONICAL} FROM audit_events WHERE seq = {{}}"
        assert conn.exec_driver_sql(form.format(31)).scalar() is None  # the guard stops it
        assert conn.exec_driver_sql(form.format(30)).scalar() is not None
        try:
            exact_rows = [_exact_row(row) for rows in iter_events(conn) for row in rows]
        except ValueError:  # Python refuses the value: so must the database's path
            with pytest.raises(ValueError):
                list(iter_chain(conn))
            return
        chain_the_rows(conn)
        fast, exact = both_ways(conn)
        assert fast == exact and fast[0] == [] and fast[1] == 31
        # An edit to the odd value is found alike, whichever value it puts there.
        conn.execute(sa.update(EVENTS).where(EVENTS.c.seq == 31).values(action="case.viewx"))
        fast, exact = both_ways(conn)
        assert fast == exact and [p[:2] for p in fast[0]] == [(31, "bad_mac")]
        assert len(exact_rows) == 31


def test_edits_in_the_stored_format_are_found_alike(conn):
    sqlite_only(conn)
    with conn.begin_nested():
        # Written as SQLAlchemy writes them: the database's form reads them, the same verdict.
        when = dt.datetime(2026, 1, 5, 1, 0, 0, 1).isoformat(sep=" ")
        conn.exec_driver_sql("UPDATE audit_events SET is_break_glass = 1 WHERE seq = 5")
        conn.exec_driver_sql(f"UPDATE audit_events SET occurred_at = '{when}' WHERE seq = 9")
        conn.exec_driver_sql("UPDATE audit_events SET outcome = 'error' WHERE seq = 12")
        fast, exact = both_ways(conn)
        assert fast == exact
        assert [(seq, kind) for seq, kind, _detail in fast[0]] == [
            (5, "bad_mac"),
            (9, "bad_mac"),
            (12, "bad_mac"),
        ]
