"""The inventory store: SQLite by default (WAL, busy timeout, foreign keys), any SQLAlchemy URL.

Opening a store applies pending migrations. `write()` takes the write lock up front, so that a
read-then-write (is this order still pending?) cannot interleave with another process.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from functools import partial
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from sqlalchemy import Column, Connection, Engine, Table, TableClause, create_engine, event, insert, text
from sqlalchemy.exc import DBAPIError

from tnorder import storecheck
from tnorder.errors import ConfigError
from tnorder.migrations import MIGRATIONS
from tnorder.testhooks import pause

if TYPE_CHECKING:
    from sqlmodel import Session


REBUILD_CACHE_KIB = 64 * 1024  # SQLite's page cache while a bulk insert rebuilds indexes
SET_ASIDE_FROM = 100_000  # rows: below this, keeping indexes up to date costs less than a rebuild


class Store:
    def __init__(self, url: str) -> None:
        self.url = url
        storecheck.opened = url
        try:  # a store that cannot be used is exit 2 naming it (storecheck.py), before anything is sent
            self.engine = _engine(url)
            self.dialect = self.engine.dialect.name
            migrate(self.engine)
        except (DBAPIError, OSError) as exc:
            if storecheck.is_busy(exc):  # another process migrating it, or holding a lock, past the timeout
                raise storecheck.busy(url) from None
            raise storecheck.unusable(url, exc) from None

    def session(self) -> Session:
        from sqlmodel import Session  # the ORM loads only for commands that use it

        return Session(self.engine, expire_on_commit=False)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction holding the write lock; commits on success, rolls back on error."""
        from sqlmodel import Session

        with self.engine.connect() as conn:
            conn = conn.execution_options(begin="IMMEDIATE")
            with Session(bind=conn, expire_on_commit=False) as session, session.begin():
                with self._waiting():
                    session.connection()  # begins now: SQLite's BEGIN IMMEDIATE waits for the lock here
                    self._lock(session)  # through the session: its transaction is the one that commits
                yield session

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """`write()` without the ORM: one Core transaction holding the write lock."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(begin="IMMEDIATE")
            with self._waiting():
                transaction = conn.begin()
                self._lock(conn)
            with transaction:
                yield conn

    def _lock(self, conn: Connection | Session) -> None:
        """PostgreSQL: one writer at a time, as SQLite's BEGIN IMMEDIATE gives (held to commit).

        The checks made before a write (this key placed already? this number held?) then stay
        true until the write commits, on every host sharing the store.
        """
        if self.dialect == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(7355609)"))

    @contextmanager
    def _waiting(self) -> Iterator[None]:
        """Waiting for the write lock past TNORDER_LOCK_TIMEOUT is StoreBusy (exit 10), its own error:
        after an order was sent, the caller must tell it from "nothing was sent"."""
        try:
            yield
        except DBAPIError as exc:
            if storecheck.is_busy(exc):
                raise storecheck.busy(self.url) from None
            raise

    def close(self) -> None:
        self.engine.dispose()


def bulk_insert(conn: Connection | Session, target: Table, rows: list[dict]) -> None:
    """Insert many rows with one driver-level executemany.

    SQLAlchemy's per-row parameter processing costs more than SQLite's own insert once rows number
    in the tens of thousands (a CSV import, a large order); the statement is compiled once for the
    store's dialect and the rows go to the driver as they are. Values must already be in the
    driver's form: pass times through `driver_value`.
    """
    if not rows:
        return
    if not isinstance(conn, Connection):
        conn = conn.connection()
    compiled = insert(target).compile(dialect=conn.dialect, column_keys=list(rows[0]))
    params = list(map(itemgetter(*compiled.positiontup), rows)) if compiled.positional else rows
    conn.exec_driver_sql(str(compiled), params)


def insert_tuples(conn: Connection, target: TableClause, columns: Sequence[str], rows: list[tuple]) -> None:
    """`bulk_insert` of plain tuples, each in `columns` order: a CSV import of a million rows spends
    less on tuples than on a dict a row. Values must already be in the driver's form."""
    if not rows:
        return
    compiled = insert(target).compile(dialect=conn.dialect, column_keys=list(columns))
    if not compiled.positional:  # PostgreSQL's drivers take named parameters
        conn.exec_driver_sql(str(compiled), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    if list(compiled.positiontup) != list(columns):
        rows = list(map(itemgetter(*map(list(columns).index, compiled.positiontup)), rows))
    conn.exec_driver_sql(str(compiled), rows)


@contextmanager
def indexes_set_aside(conn: Connection, tables: Sequence[str], adding: int) -> Iterator[None]:
    """SQLite: the tables' secondary indexes dropped while `adding` rows go in, and built again from
    their own stored DDL before the transaction commits, when that is cheaper than keeping them up to
    date row by row (at least SET_ASIDE_FROM rows, more than the table holds). UNIQUE indexes stay: they are
    the checks. On an error the transaction's rollback restores them: nothing is ever committed
    without them. PostgreSQL keeps its indexes: dropping one would lock out its readers."""
    aside: list[str] = []
    if conn.dialect.name == "sqlite" and adding >= SET_ASIDE_FROM:
        for name in tables:
            if conn.exec_driver_sql(f'SELECT count(*) FROM "{name}"').scalar_one() < adding:
                aside += _set_aside(conn, name)
    if not aside:
        yield
        return
    cache = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    conn.exec_driver_sql(f"PRAGMA cache_size = -{REBUILD_CACHE_KIB}")  # the rebuilds' sorter: in memory
    try:
        yield
        for ddl in aside:
            conn.exec_driver_sql(ddl)
    finally:
        with suppress(DBAPIError):  # a broken connection's own error is the one to report
            conn.exec_driver_sql(f"PRAGMA cache_size = {cache}")  # the pooled connection as it was


def _set_aside(conn: Connection, table_name: str) -> list[str]:
    indexes = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                                   "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'", (table_name,)).all()
    for name, _ in indexes:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    return [ddl for _, ddl in indexes]


def driver_value(conn: Connection | Session, column: Column, value: object) -> object:
    """`value` as the driver takes it for `column` (a datetime becomes SQLite's text form)."""
    dialect = conn.dialect if isinstance(conn, Connection) else conn.get_bind().dialect
    processor = column.type.dialect_impl(dialect).bind_processor(dialect)
    return processor(value) if processor else value


def _engine(url: str) -> Engine:
    storecheck.check_url(url)
    wait = storecheck.lock_timeout()
    if url.startswith("sqlite"):
        return _sqlite_engine(url, wait)
    # times are stored as UTC without a zone: a PostgreSQL session's zone must be UTC too; every lock
    # wait (the write lock's advisory lock above all) ends after TNORDER_LOCK_TIMEOUT (0 there: no bound)
    options = f"-c timezone=UTC -c lock_timeout={max(1, round(wait * 1000))}"
    connect_args = {"options": options} if url.startswith("postgresql") else {}
    try:
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    except Exception as exc:  # a bad URL or a missing driver: say which, never with its password
        raise ConfigError(f"cannot use store {storecheck.shown(url)}: "
                          f"{storecheck.scrub(str(exc), url)[:200]}") from None


def _sqlite_engine(url: str, wait: float) -> Engine:
    path = url.split(":///", 1)[-1]
    writable = True
    if path and path != ":memory:" and not path.startswith("file:"):  # `file:` URIs: opened as given
        from tnorder.settings import home

        # tnorder's home is made here (0700); any other folder, as --db/TNORDER_DB names it, must exist:
        # a mistyped path would start an empty store and report an empty inventory
        folder = Path(path).parent
        storecheck.create_private(Path(path), make_folder=not folder.is_dir() and folder == home())
        if storecheck.read_only(Path(path)):
            url, writable = f"sqlite:///file:{quote(path)}?mode=ro&immutable=1&uri=true", False
    engine = create_engine(url, connect_args={"timeout": wait})
    event.listen(engine, "connect", partial(_sqlite_connect, wait=wait, writable=writable))
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_conn, _record, *, wait: float, writable: bool) -> None:
    # pysqlite's own transaction handling defers BEGIN; we issue BEGIN ourselves (see _sqlite_begin)
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    if writable:  # a store opened read-only keeps the journal it has
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={round(wait * 1000)}")
    cursor.close()


def _sqlite_begin(conn) -> None:
    conn.exec_driver_sql(f"BEGIN {conn.get_execution_options().get('begin', '')}")


def migrate(engine: Engine) -> list[str]:
    """Apply every migration not yet recorded; returns the names applied."""
    dialect = engine.dialect.name
    applied: list[str] = []
    known, found = {name for name, _ in MIGRATIONS}, _applied(engine)
    if found - known:  # written by a newer tnorder: its schema may need what this one never writes
        raise storecheck.newer(str(engine.url), found - known)
    if known <= found:
        return applied  # the usual case: a plain read, no write lock for read-only commands
    pause("migrate")
    with engine.connect() as conn:
        conn = conn.execution_options(begin="IMMEDIATE")
        with conn.begin():
            if dialect == "postgresql":
                # PostgreSQL's CREATE TABLE IF NOT EXISTS is not safe against itself: two first opens at
                # once fail one of them on pg_type's unique index; the migration lock serialises them
                conn.execute(text("SELECT pg_advisory_xact_lock(7355608)"))
            conn.execute(text(
                "CREATE TABLE IF NOT EXISTS migrations "
                "(name VARCHAR(200) PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
            ))
        for name, fn in MIGRATIONS:
            with conn.begin():
                if dialect == "postgresql":
                    # serialise concurrent first opens of one database
                    conn.execute(text("SELECT pg_advisory_xact_lock(7355608)"))
                done = conn.execute(
                    text("SELECT 1 FROM migrations WHERE name = :n"), {"n": name}
                ).first()
                if done:
                    continue
                fn(conn, dialect)
                conn.execute(
                    text("INSERT INTO migrations (name, applied_at) VALUES (:n, :t)"),
                    {"n": name, "t": datetime.now(UTC).replace(tzinfo=None)},
                )
                applied.append(name)
    return applied


def _applied(engine: Engine) -> set[str]:
    try:
        with engine.connect() as conn:
            return {row[0] for row in conn.execute(text("SELECT name FROM migrations"))}
    except DBAPIError as exc:  # no migrations table yet: a new store (anything else is not a store)
        if "no such table" in str(exc).lower() or "does not exist" in str(exc).lower():
            return set()
        raise
