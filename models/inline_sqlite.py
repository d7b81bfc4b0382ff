"""Reading SQLite on the event loop's own thread, for SQLAlchemy's aiosqlite dialect.

aiosqlite runs every call (cursor, execute, fetch, close, begin, rollback) on a thread of
its connection and hands the result back to the loop: on a shared two-core machine each such
hop costs 0.1 ms or more, about nine of them a reading unit of work, while the reads a
delegate's update needs (a person, a day of the agenda) take a few microseconds of SQLite
itself. In WAL mode a reader never waits for a writer, so running the reads in place cannot
stall the loop the way a writer waiting for SQLite's lock would: writers keep aiosqlite's
threads (models/db.py gives them an engine of their own) and these connections refuse to
write (`PRAGMA query_only`), so a write that strays here fails at once instead of blocking.

The classes offer what SQLAlchemy's adapter (sqlalchemy.dialects.sqlite.aiosqlite) calls on
an aiosqlite connection and cursor, as coroutines that complete without suspending.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any

# A reader waits this long at most, on the loop, for what WAL still locks (recovering the
# index after a crash, a checkpoint that truncates): rare, brief, never a writer's turn.
READ_BUSY_TIMEOUT = 2.0


class InlineCursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InlineCursor:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size or self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class _InPlace:
    """Stands for aiosqlite's queue of calls, which the adapter uses to set the isolation
    level: the call runs at once and its future is settled."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:  # handed to whoever awaits the future
            future.set_exception(error)


class InlineConnection:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn: sqlite3.Connection | None = connection
        self._tx = _InPlace()

    @property
    def _connection(self) -> sqlite3.Connection | None:  # what the adapter checks
        return self._conn

    def _live(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ValueError("Connection closed")
        return self._conn

    @property
    def isolation_level(self) -> str | None:
        return self._live().isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._live().cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> InlineCursor:
        return await self.cursor().execute(sql, parameters)

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._live().create_function(*args, **kwargs)

    async def commit(self) -> None:
        self._live().commit()

    async def rollback(self) -> None:
        self._live().rollback()

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def reader(path: str) -> Callable[[], Any]:
    """An `async_creator` for create_async_engine: read-only connections to the file."""

    async def connect() -> InlineConnection:
        connection = sqlite3.connect(
            path, timeout=READ_BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
        )
        connection.execute("PRAGMA query_only=ON")
        return InlineConnection(connection)

    return connect
