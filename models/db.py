"""Engine and session factory, and the schema upgrade (Alembic) run from code."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    # Error messages must not carry the values of a query: they are delegates' details.
    kwargs.setdefault("hide_parameters", True)
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


class SessionFactory(async_sessionmaker[AsyncSession]):
    """`factory()` for reading; `factory.begin()` for a unit of work that writes.

    On SQLite the writing transaction starts with BEGIN IMMEDIATE (see above), so concurrent
    writers queue instead of failing; reading sessions start a plain deferred BEGIN.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine, expire_on_commit=False)
        self._writer = engine.execution_options(**{WRITE_OPTION: True})

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncSession]:  # type: ignore[override]
        async with self(bind=self._writer) as session, session.begin():
            yield session


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return SessionFactory(engine)


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
