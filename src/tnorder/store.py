"""The inventory store: SQLite by default (WAL, busy timeout, foreign keys), any SQLAlchemy URL.

Opening a store applies pending migrations. `write()` takes the write lock up front, so that a
read-then-write (is this order still pending?) cannot interleave with another process.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Column, Connection, Engine, Table, create_engine, event, insert, text
from sqlalchemy.exc import DBAPIError

from tnorder import storecheck
from tnorder.errors import ConfigError
from tnorder.migrations import MIGRATIONS
from tnorder.testhooks import pause

if TYPE_CHECKING:
    from sqlmodel import Session


class Store:
    def __init__(self, url: str) -> None:
        self.url = url
        storecheck.opened = url
        try:  # a store that cannot be used is exit 2 naming it (storecheck.py), before anything is sent
            self.engine = _engine(url)
            self.dialect = self.engine.dialect.name
            migrate(self.engine)
        except (DBAPIError, OSError) as exc:
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
                self._lock(session)  # through the session: its transaction is the one that commits
                yield session

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """`write()` without the ORM: one Core transaction holding the write lock."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(begin="IMMEDIATE")
            with conn.begin():
                self._lock(conn)
                yield conn

    def _lock(self, conn: Connection | Session) -> None:
        """PostgreSQL: one writer at a time, as SQLite's BEGIN IMMEDIATE gives (held to commit).

        The checks made before a write (this key placed already? this number held?) then stay
        true until the write commits, on every host sharing the store.
        """
        if self.dialect == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(7355609)"))

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


def driver_value(conn: Connection | Session, column: Column, value: object) -> object:
    """`value` as the driver takes it for `column` (a datetime becomes SQLite's text form)."""
    dialect = conn.dialect if isinstance(conn, Connection) else conn.get_bind().dialect
    processor = column.type.dialect_impl(dialect).bind_processor(dialect)
    return processor(value) if processor else value


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:" and not path.startswith("file:"):  # `file:` URIs: opened as given
            storecheck.create_private(Path(path))
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # times are stored as UTC without a zone: a PostgreSQL session's zone must be UTC too
    connect_args = {"options": "-c timezone=UTC"} if url.startswith("postgresql") else {}
    try:
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    except Exception as exc:  # a bad URL or a missing driver: say which
        raise ConfigError(f"cannot use store {url.split('@')[-1]!r}: {exc}") from None


def _sqlite_connect(dbapi_conn, _record) -> None:
    # pysqlite's own transaction handling defers BEGIN; we issue BEGIN ourselves (see _sqlite_begin)
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
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
