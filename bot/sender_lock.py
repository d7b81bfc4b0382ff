"""One outbox sender at a time per database.

Every sender paces itself at the full BROADCAST_RATE, so two senders working on one database
would together send at twice Telegram's limit. `Sender.run` therefore sends only while it
holds this lock; a process that does not hold it stands by and tries again every few
seconds, so it takes over when the holder stops or dies.

- PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) on a connection kept
  for as long as the lock is held. The server releases it when that connection closes, which
  the kernel does at once when the process dies, even on SIGKILL.
- SQLite file: `flock` on `<database>.sender-lock` next to the database file; the kernel
  releases it when the process dies. The file is never deleted (deleting it while another
  process waits on it would let two processes hold "the" lock).
- SQLite in memory: one process only, no lock.

`check()` confirms the lock is still held (the connection is alive and the server lists the
lock for it; the lock file is still the one at that path); the sender calls it between
batches and stops sending as soon as it fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock; run a single process there
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

# The advisory lock key: any 64-bit number this application alone uses on its database.
# Both 32-bit halves stay below 2**31 so they read back the same from pg_locks (oid columns).
ADVISORY_KEY = (0x6D697373 << 32) | 0x696F6E73  # "miss" "ions"
DB_TIMEOUT = 10.0  # seconds for any statement on the lock connection


class SenderLock(Protocol):
    async def acquire(self) -> bool:
        """Take the lock if it is free; never wait for it. True if now held."""

    async def check(self) -> bool:
        """True if the lock is still held; False (and no longer held) otherwise."""

    async def release(self) -> None:
        """Let go of the lock (idempotent)."""


class NoLock:
    """In-memory SQLite: only this process can reach the database."""

    async def acquire(self) -> bool:
        return True

    async def check(self) -> bool:
        return True

    async def release(self) -> None:
        return None


class PostgresAdvisoryLock:
    """`pg_try_advisory_lock` held on a connection of its own, in autocommit (never idle in a
    transaction). The connection comes from the engine's pool, so it is configured like
    every other one; it goes back unlocked, or is discarded when unlocking fails."""

    def __init__(self, engine: AsyncEngine, key: int = ADVISORY_KEY) -> None:
        self.engine = engine
        self.key = key
        self._conn: AsyncConnection | None = None

    async def acquire(self) -> bool:
        if self._conn is not None:
            return await self.check()
        conn = await asyncio.wait_for(self.engine.connect(), DB_TIMEOUT)
        try:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            got = await asyncio.wait_for(
                conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}),
                DB_TIMEOUT,
            )
        except BaseException:
            await _discard(conn)
            raise
        if not got:
            await conn.close()
            return False
        self._conn = conn
        return True

    async def check(self) -> bool:
        conn = self._conn
        if conn is None:
            return False
        try:
            held = await asyncio.wait_for(
                conn.scalar(
                    text(
                        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
                        " AND pid = pg_backend_pid() AND granted AND objsubid = 1"
                        " AND classid = :high AND objid = :low)"
                    ),
                    {"high": self.key >> 32, "low": self.key & 0xFFFFFFFF},
                ),
                DB_TIMEOUT,
            )
        except Exception as exc:  # connection closed, server restarted, timeout
            log.warning("outbox lock connection lost: %s", type(exc).__name__)
            held = False
        if not held:
            self._conn = None
            await _discard(conn)
        return bool(held)

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            await asyncio.wait_for(
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key}),
                DB_TIMEOUT,
            )
        except Exception:
            await _discard(conn)  # closing the session releases the lock anyway
        else:
            await conn.close()


async def _discard(conn: AsyncConnection) -> None:
    """Close a connection that may be broken or may still hold the lock: never pool it."""
    with contextlib.suppress(Exception):
        await conn.invalidate()
    with contextlib.suppress(Exception):
        await conn.close()


class FileLock:
    """`flock` on a file next to a SQLite database. Locks belong to the open file, so two
    senders in one process exclude each other as two processes do."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None

    async def acquire(self) -> bool:
        if self._fd is not None:
            return await self.check()
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    async def check(self) -> bool:
        fd = self._fd
        if fd is None:
            return False
        try:
            same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
        except OSError:
            same = False
        if not same:  # the file was removed or replaced: another process may lock the new one
            log.warning("outbox lock file %s was removed or replaced", self.path)
            await self.release()
        return same

    async def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the only descriptor releases the flock


def lock_for(engine: AsyncEngine) -> SenderLock:
    """The right lock for this engine's database."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        return PostgresAdvisoryLock(engine)
    database = url.database or ""
    in_memory = (
        database in {"", ":memory:"}
        or database.startswith("file::memory:")
        or url.query.get("mode") == "memory"
    )
    if in_memory:
        return NoLock()
    if fcntl is None:  # pragma: no cover
        log.warning("no file locking on this system: run one bot process per database")
        return NoLock()
    return FileLock(os.path.abspath(database) + ".sender-lock")
