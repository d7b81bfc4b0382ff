"""Engine and session factory, and the schema upgrade (Alembic) run from code."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from models import inline_sqlite

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    # Error messages must not carry the values of a query: they are delegates' details.
    kwargs.setdefault("hide_parameters", True)
    # Updates of different people run at once (bot/updates.py): room for a writer waiting
    # on SQLite's lock, or a slow PostgreSQL query, without readers queueing for the pool.
    if kwargs.get("poolclass") is None and ":memory:" not in url:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    if url.startswith("sqlite"):
        # 30 s busy timeout: concurrent writers wait instead of failing with "database is locked".
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_async_engine(url, **kwargs)
        _sqlite_immediate_transactions(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def _sqlite_immediate_transactions(engine: AsyncEngine) -> None:
    """Start every SQLite transaction with BEGIN IMMEDIATE and enforce foreign keys.

    A deferred transaction that reads and then writes can deadlock against another writer and
    fail at once instead of waiting; taking the write lock at BEGIN makes writers queue.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers (sessions.begin()) take the write lock at once; readers do not block them.
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


WRITE_OPTION = "missionbot_write"


class CommitWatch:
    """Tells, without a round trip, whether anything was committed to an SQLite database
    since a previous look, by this process or another: SQLite's `PRAGMA data_version`,
    read on a connection of its own (it changes when any other connection commits).

    A read of a few microseconds that never waits for a writer (WAL). Where it cannot tell
    (PostgreSQL, an in-memory database, an error) the token is None and nothing is kept.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._path = _sqlite_file(engine)
        self._connection: sqlite3.Connection | None = None
        # data_version counts per connection: a reopened one starts again from where an old
        # one was, so a token also names the connection it was read on.
        self._generation = 0

    def token(self) -> int | None:
        if self._path is None:
            return None
        try:
            if self._connection is None:
                if not Path(self._path).exists():
                    return None
                self._connection = sqlite3.connect(
                    f"file:{quote(self._path)}?mode=ro", uri=True, timeout=0, isolation_level=None,
                    check_same_thread=False,
                )  # fmt: skip
                self._generation += 1
            row = self._connection.execute("PRAGMA data_version").fetchone()
            return self._generation << 48 | int(row[0])
        except sqlite3.Error:
            self.close()
            return None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class SessionFactory(async_sessionmaker[AsyncSession]):
    """`factory()` for reading; `factory.begin()` for a unit of work that writes.

    On SQLite the writing transaction starts with BEGIN IMMEDIATE (see above), so concurrent
    writers queue instead of failing; reading sessions start a plain deferred BEGIN, on a
    file database on connections that run on the event loop's thread and refuse to write
    (models/inline_sqlite.py): a read costs microseconds instead of thread hand-offs.

    `recall`/`remember` keep values read from the database for as long as nothing at all
    has been committed to it since (SQLite only; see CommitWatch): exact, never stale.
    """

    MEMO_LIMIT = 20_000

    def __init__(self, engine: AsyncEngine) -> None:
        self._given = engine
        self._reader = _inline_reader(engine)
        super().__init__(self._reader or engine, expire_on_commit=False)
        self._writer = engine.execution_options(**{WRITE_OPTION: True})
        self.watch = CommitWatch(engine)
        self._memo: dict[Hashable, tuple[int, Any]] = {}

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncSession]:  # type: ignore[override]
        async with self(bind=self._writer) as session, session.begin():
            yield session

    @property
    def engines(self) -> tuple[AsyncEngine, ...]:
        """Every engine this factory's sessions run on: the one it was given, and its own
        reading one where it has one."""
        given = self._given
        return (given, self._reader) if self._reader is not None else (given,)

    def change_token(self) -> int | None:
        """Take this before reading what `remember` will keep."""
        return self.watch.token()

    def recall(self, key: Hashable) -> Any | None:
        token = self.watch.token()
        kept = self._memo.get(key)
        if token is None or kept is None or kept[0] != token:
            return None
        return kept[1]

    def remember(self, key: Hashable, token: int | None, value: Any) -> None:
        if token is None:
            return
        if len(self._memo) >= self.MEMO_LIMIT:
            self._memo.clear()
        self._memo[key] = (token, value)

    def close(self) -> None:
        self.watch.close()
        self._memo.clear()

    async def dispose(self) -> None:
        """Close what this factory opened itself (the reading connections); the engine it
        was given is its owner's to dispose."""
        self.close()
        if self._reader is not None:
            await self._reader.dispose()


def _sqlite_file(engine: AsyncEngine) -> str | None:
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return url.database
    return None


def _inline_reader(engine: AsyncEngine) -> AsyncEngine | None:
    """On an SQLite file, an engine of reading connections on the loop's thread."""
    path = _sqlite_file(engine)
    if path is None or engine.url.get_driver_name() != "aiosqlite":
        return None
    reader = create_async_engine(
        engine.url, async_creator=inline_sqlite.reader(path), pool_size=10, max_overflow=20,
        hide_parameters=True,
    )  # fmt: skip

    @event.listens_for(reader.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Deferred: the reads of one unit of work see one snapshot, and take no lock.
        conn.exec_driver_sql("BEGIN")

    return reader


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return SessionFactory(engine)


def memo_of(sessions: async_sessionmaker[AsyncSession]) -> SessionFactory | None:
    """The factory's memo, when it has one (factories built by create_session_factory)."""
    return sessions if isinstance(sessions, SessionFactory) else None


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def _upgrade(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


async def upgrade_schema(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database to the latest schema (idempotent)."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, revision)
