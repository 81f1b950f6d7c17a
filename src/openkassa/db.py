"""Database engine and sessions: SQLite (WAL) embedded, PostgreSQL (psycopg 3) in production."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import DateTime, MetaData, TypeDecorator, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from openkassa.ids import new_id

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops tzinfo)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use openkassa.db.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime}


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)


IMMEDIATE = "sqlite_begin_immediate"
SQLITE_CACHE_KIB = 65_536
"""Each SQLite connection's page cache, at most (SQLite's default is 2 MiB). A catalog of a million
products has nine B-trees and a search index; an import that writes them all slows several times
over when their pages keep falling out of a small cache."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def _unicode_lower(value):
    return value.lower() if isinstance(value, str) else value


def make_engine(url: str) -> Engine:
    """An engine with the pragmas our rules rely on (foreign keys, WAL, busy timeout)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            cursor.close()
            # SQLite's own lower() folds only ASCII; ILIKE searches must find «ХЛЕБ» by «хлеб».
            dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
            # The driver would start transactions only at the first write, so a read-check-write
            # would run unprotected; we issue BEGIN ourselves (see _sqlite_begin).
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection):
            # Deferred by default: a request takes the write lock at its first write (rate-limit
            # attempts commit on a second connection before that). A transaction that starts by
            # writing asks for IMMEDIATE, so it queues on the busy timeout instead of failing.
            immediate = connection.get_execution_options().get(IMMEDIATE, False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


class Database:
    """One engine and its session factory; the app and the worker each hold one."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self, *, immediate: bool = False) -> Iterator[Session]:
        """A session that commits when the block ends and rolls back on an error.

        `immediate=True` for a transaction that will write: on SQLite its first statement begins
        with BEGIN IMMEDIATE, so it queues for the write lock on the busy timeout. A deferred
        transaction that read first and then writes while another connection has written
        fails at once with "database is locked" (WAL cannot upgrade a stale snapshot). The
        lock is taken at the first statement, not here, so work done before it on another
        connection (`ratelimit.attempt`) does not wait for this one. PostgreSQL ignores it.
        """
        bind = self.engine.execution_options(**{IMMEDIATE: True}) if immediate else self.engine
        with self.sessions(bind=bind) as session, session.begin():
            yield session

    @contextmanager
    def snapshot(self) -> Iterator[Session]:
        """A read-only session that sees one state of the database throughout, however long it
        reads (a stream of a million rows): SQLite's transaction does so already; PostgreSQL's
        default READ COMMITTED would let rows committed meanwhile in, so it reads REPEATABLE READ."""
        if self.engine.dialect.name == "sqlite":
            with self.sessions() as session, session.begin():
                yield session
            return
        with self.engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection, \
                connection.begin(), Session(bind=connection) as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def ensure_sqlite_dir(url: str) -> None:
    """Create the folder of an SQLite file so a fresh checkout starts without setup."""
    if url.startswith("sqlite:///") and ":memory:" not in url:
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
