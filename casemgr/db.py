"""Declarative base with a naming convention, and the column types every model shares."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from typing import Annotated, Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    DateTime,
    Engine,
    Enum,
    Integer,
    MetaData,
    String,
    TypeDecorator,
    bindparam,
    event,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, mapped_column
from sqlalchemy.sql.functions import FunctionElement

from casemgr.clock import utcnow
from casemgr.collation import register_sqlite as register_sqlite_collation

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC timestamps on every database (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


def value_enum(enum_class: type[enum.Enum], length: int = 40) -> Enum:
    """Store an enum by its value (not its name) as a checked VARCHAR on every database."""
    return Enum(
        enum_class,
        native_enum=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


# BigInteger on PostgreSQL, INTEGER on SQLite (so that it stays the rowid alias).
BigId = BigInteger().with_variant(Integer(), "sqlite")

intpk = Annotated[int, mapped_column(BigId, primary_key=True)]
str40 = Annotated[str, mapped_column(String(40))]
str200 = Annotated[str, mapped_column(String(200))]
timestamp = Annotated[dt.datetime, mapped_column(UTCDateTime(), default=utcnow)]


class Base(DeclarativeBase):
    """Base class of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class not_indexed(FunctionElement):
    """A column that SQLite's planner must not use to look rows up by (`+column`, the unary
    plus of SQLite's documentation), so that it reads the table in one pass instead; the
    plain column on other databases, whose estimates an expression would spoil."""

    inherit_cache = True

    def __init__(self, column: Any) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(not_indexed)
def _not_indexed(element: not_indexed, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(not_indexed, "sqlite")
def _not_indexed_sqlite(element: not_indexed, compiler: Any, **kw: Any) -> str:
    return f"+{compiler.process(element.clauses, **kw)}"


def in_subtree(path_column: ColumnElement, path: str) -> ColumnElement[bool]:
    """SQL: a unit path at or below `path` (materialised paths: "/1/4/" covers "/1/4/9/").

    The prefix is written into the statement, not bound. PostgreSQL switches a prepared
    statement to a generic plan after five runs, and that plan, blind to the prefix, guessed
    one unit for any subtree: province-wide counts then walked an index once per case (the
    supervision dashboard 1.6 times and the overdue list 6 times slower on the bench province).
    Paths are the app's own ("/1/4/"), digits and slashes, and SQLAlchemy quotes them.
    """
    return path_column.startswith(bindparam(None, path, type_=String(), literal_execute=True))


def built_on(dialect: str) -> Callable[..., bool]:
    """Alembic's `include_object` for a database of `dialect`: leaves out of a schema comparison
    the indexes that the models build on another database only (`Index.ddl_if`)."""

    def include(item: Any, name: str | None, kind: str, reflected: bool, other: Any) -> bool:
        condition = getattr(item, "_ddl_if", None) if kind == "index" and not reflected else None
        if condition is None or condition.dialect is None:
            return True
        wanted = condition.dialect
        return dialect == wanted if isinstance(wanted, str) else dialect in wanted

    return include


def configure_sqlite(engine: Engine, busy_timeout_seconds: float) -> None:
    """Set up every new connection of a SQLite engine so that concurrent requests wait, not fail.

    - WAL journal: readers never block the writer and the writer never blocks readers. In the
      default rollback journal a commit needs every reader gone, and a slow page's SELECT held
      the others' commits (each appends its audit event) past the busy timeout: 503 "Database
      unavailable" under 8 connections. The mode is stored in the file; asking again is a no-op.
    - busy_timeout: how long a write waits for the write lock (one writer at a time, holding it
      from its first write, the audit append, to its commit) before "database is locked".
      pysqlite's 5 s was shorter than a slow page under load; CASEMGR_SQLITE_BUSY_TIMEOUT.
    - the "vietnamese" collation (casemgr.collation), which SQLite keeps per connection.

    Durability is unchanged (synchronous stays FULL): a committed audit event is on disk. The
    write transaction still starts at the first write statement (pysqlite's deferred BEGIN), so
    it holds no read snapshot while it waits and the busy handler always applies.
    """
    if engine.dialect.name != "sqlite":
        return
    memory = engine.url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        register_sqlite_collation(dbapi_connection)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_seconds * 1000)}")
            if not memory:
                cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()


def refresh_statistics(connection: Connection, *, sample: int = 0) -> int:
    """Refresh the query planner's statistics (ANALYZE); the number of tables analysed.

    SQLite keeps none unless ANALYZE runs (its documentation: after a bulk load or a schema
    change, and periodically on a growing database). `sample` bounds the work (PRAGMA
    analysis_limit: about that many rows of each index; 0 reads them all). PostgreSQL: ANALYZE
    of every table (its autovacuum also does so as tables change); 0 is returned.
    """
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA analysis_limit = {int(sample)}")
        connection.exec_driver_sql("ANALYZE")
        return connection.exec_driver_sql("SELECT count(DISTINCT tbl) FROM sqlite_stat1").scalar()
    connection.exec_driver_sql("ANALYZE")
    return 0


def take_sqlite_write_lock(connection: Connection, table: str) -> None:
    """SQLite: take the database's write (RESERVED) lock now, until the transaction ends.

    A write that matches no row takes it at once, like BEGIN IMMEDIATE, but also inside an open
    transaction or savepoint (the tests' fixture); the reads after it see the latest commit.
    `table` is any table the connection may write (a name from the code, never from input).
    """
    connection.exec_driver_sql(f"UPDATE {table} SET rowid = rowid WHERE 0 = 1")  # noqa: S608


def lock_latest(obj: Any) -> None:
    """Lock a versioned object's row until the commit, and bring the object to the version last
    committed, so that an optimistic-lock check compares with what a save would overwrite.

    Without it, two saves based on the same version could both pass their check, and the second
    then failed in its flush (StaleDataError: a 500, not the "someone else saved" answer).
    PostgreSQL: SELECT ... FOR UPDATE (a concurrent save waits for this one's commit). SQLite:
    the database's write lock (take_sqlite_write_lock; one writer at a time).
    """
    from sqlalchemy import inspect, select

    from casemgr.extensions import db

    mapper = inspect(obj).mapper
    table, key = mapper.local_table, mapper.primary_key[0]
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        take_sqlite_write_lock(connection, table.name)
    version = mapper.version_id_col
    latest = db.session.execute(
        select(version).where(key == inspect(obj).identity[0]).with_for_update()
    ).scalar_one()
    if latest != getattr(obj, mapper.get_property_by_column(version).key):
        db.session.refresh(obj)  # another save committed after this request loaded it


def next_yearly_number(counter: Any, unit_id: int, year: int) -> int:
    """The next number of a per-unit, per-year counter table (columns unit_id, year, last), safe
    under concurrent use: the UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite)
    before the read."""
    from sqlalchemy import select, update

    from casemgr.extensions import db

    where = (counter.unit_id == unit_id, counter.year == year)
    bumped = db.session.execute(update(counter).where(*where).values(last=counter.last + 1))
    if not bumped.rowcount:
        db.session.add(counter(unit_id=unit_id, year=year, last=1))
        db.session.flush()
    return db.session.scalar(select(counter.last).where(*where))
