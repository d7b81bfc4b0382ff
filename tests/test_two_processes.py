"""Several `missionbot run` processes on one database, against one loopback Bot API, on the
real clock: each reminder goes out exactly once, and a process killed in the middle of a
burst loses nothing (a successor resends at most the one message that was in flight).

Telegram has no idempotency key: a message Telegram received whose answer the sender had not
recorded when it died is sent again by the next sender. Here the killed process is caught
with exactly one request unanswered, and that chat (only that one) receives it twice.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import pytest
from sqlalchemy import delete, func, select

from bot.clock import SystemClock
from bot.loopback import LoopbackBotAPI
from bot.offline import ApiCall, fake_result
from bot.outbox import MAX_IN_FLIGHT, Outgoing, enqueue
from bot.services.mission_file import load_mission_file
from bot.services.people import identify
from bot.services.registration import enrol
from models import Base, Mission, OutboxMessage, OutboxStatus
from models.db import create_engine, create_session_factory

TOKEN = "123456:LOCK-test-token"
SECRET_NAME = "Quentin Zyxwvut"  # a delegate's name: must never reach the logs


class BotProcess:
    """`missionbot run` in a subprocess; its log goes to a file (a pipe could fill up)."""

    def __init__(
        self, name: str, api: LoopbackBotAPI, database_url: str, workdir: Path, rate: int = 40
    ) -> None:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TELEGRAM_", "DATABASE_URL", "BOT_ADMIN", "BROADCAST_RATE"))
        }
        env |= {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "TELEGRAM_API_FILE_URL": api.file_url,
            "DATABASE_URL": database_url,
            "BROADCAST_RATE": str(rate),
            "LOG_LEVEL": "INFO",
        }
        self.log_path = workdir / f"{name}.log"
        self._log: IO[str] = self.log_path.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8")

    def terminate(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.wait()

    def kill(self) -> int:
        if self.process.poll() is None:
            self.process.kill()
        return self.wait()

    def wait(self) -> int:
        try:
            return self.process.wait(timeout=30)
        finally:
            self._log.close()  # (closing twice is harmless)


@contextmanager
def processes() -> Iterator[list[BotProcess]]:
    """Whatever happens in the test, no process it started outlives it."""
    started: list[BotProcess] = []
    try:
        yield started
    finally:
        for p in started:
            p.kill()


def poll(condition: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what}")
        time.sleep(0.05)


def sends(api: LoopbackBotAPI, chats: set[int]) -> list[ApiCall]:
    return [c for c in list(api.calls) if c.method == "sendMessage" and c.chat_id in chats]


@contextmanager
def cleaned(database_url: str) -> Iterator[str]:
    """The (session-wide) test database, emptied afterwards as the harness does."""
    try:
        yield database_url
    finally:
        asyncio.run(_wipe(database_url))


async def _wipe(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                await conn.execute(delete(table))
    finally:
        await engine.dispose()


# --- two processes, reminders due at once ------------------------------------------------

DELEGATES = list(range(8_100_001, 8_100_051))  # 50 Telegram ids
SESSIONS = {"lock-a": "Session Alpha", "lock-b": "Session Bravo", "lock-c": "Session Charlie"}


def _mission_file(path: Path, now: datetime) -> None:
    today = now.date()
    lines = [
        "mission:",
        "  key: lock-test",
        '  name: {fr: "Mission verrou", en: "Lock mission"}',
        "  city: Montreal",
        "  timezone: America/Toronto",
        f"  starts_on: {today - timedelta(days=1)}",
        f"  ends_on: {today + timedelta(days=2)}",
        "  invite_code: LOCKTEST",
        "sessions:",
    ]
    for index, (key, title) in enumerate(SESSIONS.items()):
        # The default reminder comes 30 min before; these are 10 to 50 s late when the
        # processes look (and a reminder up to 20 min late is still sent).
        start = now + timedelta(minutes=29, seconds=10 + 20 * index)
        lines += [
            f"  - key: {key}",
            f'    title: {{fr: "{title}", en: "{title}"}}',
            f"    start: {start.isoformat(timespec='seconds')}",
            f"    end: {(start + timedelta(hours=1)).isoformat(timespec='seconds')}",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


async def _seed_mission(url: str, mission_file: Path) -> None:
    engine = create_engine(url)
    try:
        sessions = create_session_factory(engine)
        clock = SystemClock()
        await load_mission_file(sessions, clock, mission_file)
        async with sessions() as session:
            mission_id = await session.scalar(select(Mission.id).where(Mission.key == "lock-test"))
        assert mission_id is not None
        for telegram_id in DELEGATES:
            person = await identify(sessions, clock, telegram_id, "en")
            profile: dict[str, str | None] = {
                "full_name": SECRET_NAME,
                "organisation": "Org",
                "email": "quentin.zyxwvut@example.com",
                "phone": "+15145550123",
            }
            await enrol(sessions, clock, person.delegate_id, mission_id, profile)
    finally:
        await engine.dispose()


def test_two_processes_send_each_reminder_exactly_once(database_url: str, tmp_path: Path) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("two bot processes on one database: PostgreSQL deployments")
    _mission_file(tmp_path / "mission.yaml", datetime.now(UTC))
    chats = set(DELEGATES)
    expected = len(DELEGATES) * len(SESSIONS)
    with cleaned(database_url), LoopbackBotAPI() as api:
        asyncio.run(_seed_mission(database_url, tmp_path / "mission.yaml"))
        with processes() as started:
            for name in ("one", "two"):
                started.append(BotProcess(name, api, database_url, tmp_path, rate=100))
            poll(lambda: len(sends(api, chats)) >= expected, 40, f"{expected} reminders")
            time.sleep(3)  # both keep running: nothing more may arrive
            senders = [p for p in started if "now sends the outbox" in p.log()]
            standing_by = [p for p in started if "stands by" in p.log()]
            for p in started:
                p.process.send_signal(signal.SIGTERM)
            for p in started:
                assert p.wait() == 0, p.log()

    reminders = [c for c in sends(api, chats) if "⏰" in c.text]
    per_pair = Counter(
        (c.chat_id, title) for c in reminders for title in SESSIONS.values() if title in c.text
    )
    assert len(per_pair) == expected  # every delegate, every session...
    assert set(per_pair.values()) == {1}  # ...exactly once
    assert len(reminders) == expected
    assert len(senders) == 1, "exactly one process held the sender lock"
    assert len(standing_by) == 1
    for p in started:
        log = p.log()
        assert SECRET_NAME not in log
        assert "quentin" not in log.lower()
        assert TOKEN not in log


# --- a sender killed mid-burst -----------------------------------------------------------

BURST = list(range(8_200_000, 8_200_200))  # 200 chats, one message each
IN_FLIGHT = BURST[70]  # the request the first process never sees answered


async def _queue_burst(url: str) -> None:
    engine = create_engine(url)
    try:
        sessions = create_session_factory(engine)
        async with sessions.begin() as session:
            enqueue(
                session,
                SystemClock(),
                [Outgoing(chat_id=c, text=f"burst {c}", kind="broadcast") for c in BURST],
            )
    finally:
        await engine.dispose()


async def _outbox_counts(url: str) -> dict[OutboxStatus, int]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            )
            return {status: int(count) for status, count in rows}
    finally:
        await engine.dispose()


@pytest.mark.parametrize("successor", ["restarted", "standing-by"])
def test_a_sender_killed_mid_burst_loses_nothing(
    database_url: str, tmp_path: Path, successor: str
) -> None:
    """SIGKILL during a burst; then either a process started afterwards (a restart) or one
    that was standing by all along takes over, requeues what was in flight and finishes."""
    chats = set(BURST)
    held: list[ApiCall] = []
    ids = itertools.count(900_000)

    def stall_once(call: ApiCall) -> tuple[int, dict[str, Any], float] | None:
        # The first request for IN_FLIGHT reaches "Telegram" but is answered only after the
        # sender has been killed: a message delivered but never recorded.
        if call.method == "sendMessage" and call.chat_id == IN_FLIGHT and not held:
            held.append(call)
            return 200, {"ok": True, "result": fake_result(call, ids)}, 3.0
        return None

    with (
        cleaned(database_url),
        LoopbackBotAPI(responder=stall_once) as api,
        processes() as started,
    ):
        asyncio.run(_queue_burst(database_url))
        first = BotProcess("first", api, database_url, tmp_path)
        started.append(first)
        if successor == "standing-by":
            poll(lambda: "now sends the outbox" in first.log(), 30, "the first to send")
            standby = BotProcess("second", api, database_url, tmp_path)
            started.append(standby)
            poll(lambda: "stands by" in standby.log(), 30, "the second to stand by")
        api.wait_for("sendMessage", timeout=40, chat_id=IN_FLIGHT)
        first.kill()
        killed_at = time.monotonic()
        before = len(sends(api, chats))
        # Requests overlap: a few more may have gone out while the held one waited.
        assert 71 <= before < 71 + MAX_IN_FLIGHT + 30
        if successor == "restarted":
            left = asyncio.run(_outbox_counts(database_url))
            # Killed with the held message in flight and the rest of its claim not yet sent.
            assert left.get(OutboxStatus.SENDING, 0) >= 1
            started.append(BotProcess("second", api, database_url, tmp_path))
        second = started[-1]
        poll(lambda: {c.chat_id for c in sends(api, chats)} == chats, 30, "every chat")
        poll(
            lambda: asyncio.run(_outbox_counts(database_url)) == {OutboxStatus.SENT: 200},
            10,
            "every row recorded as sent",
        )
        assert second.terminate() == 0, second.log()
        resumed = min(c.at for c in sends(api, chats)[before:]) - killed_at

    received = Counter(c.chat_id for c in sends(api, chats))
    assert set(received) == chats  # nothing lost
    twice = [chat for chat, n in received.items() if n > 1]
    # Only messages in flight at the kill (answered, not yet recorded) go once more: the
    # held one, and at most the few requests open beside it.
    assert IN_FLIGHT in twice
    assert len(twice) <= MAX_IN_FLIGHT
    assert all(n == 2 for n in received.values() if n > 1)
    # Not after STALE_CLAIM (60 s): the new holder requeued at once. A standby process
    # takes over within LOCK_RETRY (3 s); a restarted one as soon as it is up.
    assert resumed < 15, resumed
    assert "requeued" in second.log()
    print(f"{successor}: sending resumed {resumed:.2f} s after SIGKILL")
