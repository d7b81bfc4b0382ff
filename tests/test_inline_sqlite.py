"""Reads of an SQLite file run on the loop's thread (models/inline_sqlite.py): they see what
writers committed, keep one snapshot for a unit of work, never wait for a writer, and refuse
to write."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import OperationalError

from models import Delegate
from models.db import SessionFactory, create_engine, create_session_factory, upgrade_schema


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[SessionFactory]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await upgrade_schema(engine)
    factory = create_session_factory(engine)
    assert isinstance(factory, SessionFactory)
    async with factory.begin() as db:
        await db.execute(
            text(
                "INSERT INTO delegates (telegram_id, unreachable, created_at, last_seen_at) "
                "VALUES (7, 0, '2017-04-10 08:00:00', '2017-04-10 08:00:00')"
            )
        )
    yield factory
    await factory.dispose()
    await engine.dispose()


async def test_reads_run_on_their_own_engine_and_see_what_was_committed(
    sessions: SessionFactory,
) -> None:
    assert len(sessions.engines) == 2
    async with sessions() as db:
        assert await db.scalar(select(Delegate.telegram_id)) == 7
    async with sessions.begin() as db:
        await db.execute(update(Delegate).values(telegram_id=8))
    async with sessions() as db:
        assert await db.scalar(select(Delegate.telegram_id)) == 8


async def test_a_unit_of_work_reads_one_snapshot(sessions: SessionFactory, tmp_path: Path) -> None:
    async with sessions() as db:
        assert await db.scalar(select(Delegate.telegram_id)) == 7
        other = sqlite3.connect(tmp_path / "bot.db")
        other.execute("UPDATE delegates SET telegram_id = 9")
        other.commit()
        other.close()
        assert await db.scalar(select(Delegate.telegram_id)) == 7  # same transaction
    async with sessions() as db:
        assert await db.scalar(select(Delegate.telegram_id)) == 9


async def test_a_read_does_not_wait_for_a_writer_holding_the_lock(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    """Another process is in the middle of a write: the read answers at once, from what was
    committed before, and the loop was never held."""
    other = sqlite3.connect(tmp_path / "bot.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE delegates SET telegram_id = 10")
    try:
        started = time.perf_counter()
        async with sessions() as db:
            assert await db.scalar(select(Delegate.telegram_id)) == 7
        assert time.perf_counter() - started < 1.0
    finally:
        other.execute("ROLLBACK")
        other.close()


async def test_a_write_on_a_reading_session_fails_at_once(sessions: SessionFactory) -> None:
    """Writes belong in sessions.begin(): one that strays into a reading session is refused
    (it would otherwise wait for SQLite's lock on the loop's thread)."""
    async with sessions() as db:
        with pytest.raises(OperationalError, match="readonly"):
            await db.execute(update(Delegate).values(telegram_id=11))
    async with sessions() as db:
        assert await db.scalar(select(Delegate.telegram_id)) == 7


async def test_reads_of_concurrent_updates_interleave(sessions: SessionFactory) -> None:
    async def read() -> int | None:
        async with sessions() as db:
            first = await db.scalar(select(Delegate.telegram_id))
            await asyncio.sleep(0)
            return first

    assert await asyncio.gather(*(read() for _ in range(30))) == [7] * 30
