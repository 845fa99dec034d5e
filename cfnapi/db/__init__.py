"""Persistence: one SQLAlchemy declarative base shared by every package.

Each package keeps its tables in its own ``models.py`` on this ``Base``;
``cfnapi.db.schema`` imports them all so Alembic sees the whole schema.
SQLite (WAL) is the embedded default, PostgreSQL the shared one.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

# Deterministic constraint names so migrations are the same on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and foreign keys."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


# How long a SQLite transaction waits for the in-process turn before going ahead
# under SQLite's own locking (busy timeout) instead; only an unforeseen wait
# between two transactions of one process could take this long.
SQLITE_TURN_TIMEOUT = 10.0


class Database:
    """An engine plus a session factory; ``transaction()`` is the unit of work."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time, and a writer that finds the database locked
        # sleeps in SQLite's busy handler (1, 2, 5 … 100 ms steps) however soon the lock
        # is free: with dozens of engine threads that sleeping added up. Taking turns on
        # a lock in the process instead wakes the next transaction the moment the
        # previous one ends. Transactions that may write take turns; ``read_transaction``
        # does not (see there).
        self._sqlite_turn = threading.RLock() if self.is_sqlite else None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction: committed on success, rolled back on any error."""
        with self._turn(), self.sessions() as session, session.begin():
            yield session

    @contextlib.contextmanager
    def read_transaction(self) -> Iterator[Session]:
        """``transaction()`` for code that only reads (the API's Describe/List calls).

        On SQLite it does not wait for the in-process turn: in WAL mode a reader never
        waits for a writer (it reads the last committed state), and a read takes no
        write lock. Waiting for the turn made a DescribeStacks poll sit behind the
        engine's 20 ms write of a 500-resource wave. Anything written in it still
        works (SQLite's busy timeout), only without the turn's prompt wake-up."""
        with self.sessions() as session, session.begin():
            yield session

    @contextlib.contextmanager
    def core_transaction(self) -> Iterator[Connection]:
        """One transaction on a plain Connection, for hot paths that write with prebuilt
        Core statements and need no ORM session (the engine's status changes)."""
        with self._turn(), self.engine.begin() as connection:
            yield connection

    @contextlib.contextmanager
    def transaction_on(self, connection: Connection) -> Iterator[Connection]:
        """``core_transaction`` on a connection the caller keeps between transactions (and
        uses from one thread at a time): no pool checkout and return around each one."""
        with self._turn(), connection.begin():
            yield connection

    @contextlib.contextmanager
    def _turn(self) -> Iterator[None]:
        if self._sqlite_turn is None:
            yield
            return
        acquired = self._sqlite_turn.acquire(timeout=SQLITE_TURN_TIMEOUT)
        try:
            yield
        finally:
            if acquired:
                self._sqlite_turn.release()

    def dispose(self) -> None:
        self.engine.dispose()
