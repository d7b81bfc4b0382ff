"""One outbox sender per database: a second sender stands by while the first holds the lock,
takes over when it stops, requeues what was left in flight at once, and a sender that loses
its lock stops sending until it has it again. On SQLite (a file) and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.outbox import Sender
from bot.sender_lock import (
    ADVISORY_KEY,
    FileLock,
    NoLock,
    PostgresAdvisoryLock,
    SenderLock,
    lock_for,
)
from models import OutboxMessage, OutboxStatus
from models.db import create_engine
from tests.harness import Harness
from tests.test_outbox import queue


class CountingSender(Sender):
    """A sender that remembers which chats it delivered to itself."""

    def __init__(self, h: Harness, lock_check: float = 0.05) -> None:
        super().__init__(
            h.db,
            h.app.bot,
            h.clock,
            rate=1000.0,
            per_chat_interval=0.0,
            lock_retry=0.05,
            lock_check=lock_check,
        )
        self.delivered: list[int] = []

    async def _deliver(self, row: OutboxMessage, going: asyncio.Event | None = None) -> None:
        self.delivered.append(row.chat_id)
        await super()._deliver(row, going)


async def until(condition: Callable[[], bool], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.01)


def sent_to(h: Harness) -> list[int]:
    return sorted(c.chat_id or 0 for c in h.api.calls if c.method == "sendMessage")


@asynccontextmanager
async def running(sender: Sender) -> AsyncIterator[asyncio.Event]:
    """Run the sender in the background; set the yielded event to stop it early."""
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop, idle=0.01))
    try:
        yield stop
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)


def engine_of(h: Harness) -> AsyncEngine:
    engine = h.app.bot_data.engine
    assert engine is not None
    return engine


async def test_a_second_sender_stands_by_until_the_first_stops(harness: Harness) -> None:
    first, second = CountingSender(harness), CountingSender(harness)
    async with running(first) as stop_first:
        await until(lambda: first.active)
        async with running(second):
            await asyncio.sleep(0.3)  # the second tries the lock several times meanwhile
            assert not second.active
            await queue(harness, list(range(7001, 7021)))
            await until(lambda: len(sent_to(harness)) == 20)
            assert sorted(first.delivered) == list(range(7001, 7021))
            assert second.delivered == []

            stop_first.set()  # the first stops and releases the lock...
            await until(lambda: second.active, within=2)  # ...the second takes over
            assert not first.active
            await queue(harness, [7021, 7022])
            await until(lambda: len(sent_to(harness)) == 22)
            assert sorted(second.delivered) == [7021, 7022]
    assert sent_to(harness) == list(range(7001, 7023))  # each exactly once


async def test_taking_the_lock_requeues_rows_left_in_flight_at_once(harness: Harness) -> None:
    await queue(harness, [7101, 7102, 7103])
    crashed = CountingSender(harness)
    assert len(await crashed.claim(2)) == 2  # claimed, then the process died
    # The clock does not move: waiting for STALE_CLAIM would never requeue them here.
    successor = CountingSender(harness)
    async with running(successor):
        await until(lambda: len(sent_to(harness)) == 3)
    assert sent_to(harness) == [7101, 7102, 7103]
    async with harness.db() as session:
        statuses = set(await session.scalars(select(OutboxMessage.status)))
    assert statuses == {OutboxStatus.SENT}


async def test_a_sender_that_loses_its_lock_stops_until_it_has_it_again(
    harness: Harness,
) -> None:
    sender = CountingSender(harness, lock_check=0.3)
    engine = engine_of(harness)
    competitor: SenderLock = lock_for(engine)
    async with running(sender):
        await until(lambda: sender.active)
        # Lose the lock the way production would, and let another holder take it at once.
        if isinstance(competitor, PostgresAdvisoryLock):
            async with harness.db() as session:
                pid = await session.scalar(
                    text(
                        "SELECT pid FROM pg_locks WHERE locktype = 'advisory'"
                        " AND objid = :low AND granted"
                    ),
                    {"low": ADVISORY_KEY & 0xFFFFFFFF},
                )
                await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        else:
            assert isinstance(competitor, FileLock)
            os.unlink(competitor.path)  # someone removed the lock file
        deadline = time.monotonic() + 5
        while not await competitor.acquire():
            assert time.monotonic() < deadline, "the lost lock was never free"
            await asyncio.sleep(0.005)
        try:
            await until(lambda: not sender.active, within=3)
            await queue(harness, [7201, 7202])
            await asyncio.sleep(0.3)
            assert sender.delivered == []  # standing by: the competitor holds the lock
        finally:
            await competitor.release()
        await until(lambda: len(sent_to(harness)) == 2, within=3)
    assert sorted(sender.delivered) == [7201, 7202]


async def test_the_lock_fits_the_database(tmp_path: os.PathLike[str]) -> None:
    memory = create_engine("sqlite+aiosqlite:///:memory:")
    on_disk = create_engine(f"sqlite+aiosqlite:///{tmp_path}/bot.db")
    postgres = create_engine("postgresql+asyncpg://u@127.0.0.1:1/none")
    try:
        assert isinstance(lock_for(memory), NoLock)
        file_lock = lock_for(on_disk)
        assert isinstance(file_lock, FileLock)
        assert file_lock.path == f"{tmp_path}/bot.db.sender-lock"
        assert isinstance(lock_for(postgres), PostgresAdvisoryLock)
        other = FileLock(file_lock.path)
        assert await file_lock.acquire()
        assert not await other.acquire()  # exclusive, even within one process
        assert await file_lock.check()
        await file_lock.release()
        assert await other.acquire()
        await other.release()
    finally:
        for engine in (memory, on_disk, postgres):
            await engine.dispose()


async def test_recover_everything_ignores_the_age_of_claims(harness: Harness) -> None:
    await queue(harness, [7301, 7302])
    sender = CountingSender(harness)
    assert len(await sender.claim(5)) == 2
    assert await sender.recover() == 0  # fresh claims: maybe still in flight elsewhere
    assert await sender.recover(everything=True) == 2
    harness.clock.advance(timedelta(seconds=1))
    assert len(await sender.claim(5)) == 2
