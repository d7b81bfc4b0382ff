"""Reminder benchmark: the real bot (`python -m bot run`, a child process) against a loopback
Bot API server that records the arrival time of every message.

The database holds one mission with 2,000 confirmed delegates and 50 sessions everyone
attends: 100,000 pending reminders (30 minutes before each session). The first session's
reminders, 2,000 of them, fall due at the same instant a few seconds after the bot starts.
Briefings are off, so reminders are measured alone.

Figures, each compared with a baseline from the same run:
- armed: from spawning the process until its first reminder pass has run (what is due is
  then in the outbox and the sender waits for it), against the same for an empty bot;
- resident memory (VmRSS once armed, and the peak VmHWM after the burst) against an empty
  bot (no mission) measured the same way;
- lateness of the 2,000 reminders: the k-th message's arrival minus (due + k / rate), that is
  beyond what the rate limit itself imposes; p50 and p99.

    python -m bench.reminder_bench [--delegates 2000] [--sessions 50] [--rate 25]

Targets (issue 5): armed <= 2 s; memory <= 1.2x the empty bot; lateness p99 <= 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.children import bot_env, stop
from bot.loopback import LoopbackBotAPI

ROOT = Path(__file__).resolve().parents[1]
FIRST_CHAT = 20_000_000
LEAD = timedelta(minutes=30)


async def seed(url: str, delegates: int, sessions: int, first_due: datetime | None) -> None:
    """Schema, and (unless `first_due` is None: the empty bot) the mission and its people."""
    from sqlalchemy import insert

    from models import (
        AgendaItem,
        Audience,
        Delegate,
        Mission,
        Registration,
        RegistrationStatus,
        SessionKind,
    )
    from models.db import create_engine, upgrade_schema

    engine = create_engine(url)
    await upgrade_schema(engine)
    if first_due is not None:
        now = datetime.now(UTC)
        today = now.date()
        async with engine.begin() as conn:
            mission_id = (
                await conn.execute(
                    insert(Mission).returning(Mission.id),
                    [
                        {
                            "key": "bench", "name_fr": "Banc", "name_en": "Bench",
                            "description_fr": "", "description_en": "", "city": "Lyon",
                            "timezone": "Europe/Paris",
                            "starts_on": today - timedelta(days=1),
                            "ends_on": today + timedelta(days=10),
                            "invite_code": "BENCH2017", "registration_open": True,
                            "capacity": None, "requires_approval": False,
                            "seats_taken": delegates, "content_version": 0,
                            "reminder_minutes": 30, "briefing_minute": None,
                            "created_at": now, "updated_at": now,
                        }
                    ],
                )
            ).scalar_one()  # fmt: skip
            first_start = first_due + LEAD
            await conn.execute(
                insert(AgendaItem),
                [
                    {
                        "mission_id": mission_id, "key": f"s{index}",
                        "title_fr": f"Séance {index}", "title_en": f"Session {index}",
                        "description_fr": "", "description_en": "",
                        # The first one now; the others every 3 hours from 3 hours on.
                        "starts_at": first_start + timedelta(hours=3 * index),
                        "ends_at": first_start + timedelta(hours=3 * index, minutes=45),
                        "kind": SessionKind.TALK, "audience": Audience.EVERYONE,
                        "audience_tags": [], "cancelled": False, "updated_at": now,
                    }
                    for index in range(sessions)
                ],
            )  # fmt: skip
            ids = (
                await conn.execute(
                    insert(Delegate).returning(Delegate.id),
                    [
                        {
                            "telegram_id": FIRST_CHAT + index,
                            "language": "fr" if index % 2 else "en",
                            "telegram_language": None, "unreachable": False,
                            "briefing": True, "created_at": now, "last_seen_at": now,
                        }
                        for index in range(delegates)
                    ],
                )
            ).scalars().all()  # fmt: skip
            await conn.execute(
                insert(Registration),
                [
                    {
                        "mission_id": mission_id, "delegate_id": delegate_id,
                        "status": RegistrationStatus.CONFIRMED,
                        "full_name": f"Delegate {delegate_id}", "organisation": "Org",
                        "email": f"d{delegate_id}@example.com", "phone": "+15145550123",
                        "tags": [], "created_at": now, "updated_at": now,
                    }
                    for delegate_id in ids
                ],
            )  # fmt: skip
    await engine.dispose()


async def set_due(url: str, due: datetime) -> None:
    """Move the first session so that its reminders fall due at `due`."""
    from sqlalchemy import update

    from models import AgendaItem
    from models.db import create_engine

    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(
            update(AgendaItem)
            .where(AgendaItem.key == "s0")
            .values(starts_at=due + LEAD, ends_at=due + LEAD + timedelta(minutes=45))
        )
    await engine.dispose()


@dataclass
class Child:
    process: subprocess.Popen[str]
    spawned: float
    armed_at: float | None = None
    armed_line: str = ""
    lines: list[str] = field(default_factory=list)

    def rss(self) -> tuple[int, int]:
        """(VmRSS, VmHWM) in KiB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        values = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", status, re.MULTILINE))
        return int(values["VmRSS"]), int(values["VmHWM"])


@contextmanager
def bot_process(url: str, api: LoopbackBotAPI, rate: float) -> Iterator[Child]:
    env = bot_env(api, url, BROADCAST_RATE=str(rate), LOG_LEVEL="INFO")
    spawned = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    child = Child(process, spawned)

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            child.lines.append(line.rstrip())
            if child.armed_at is None and "reminders armed " in line:
                child.armed_at = time.monotonic()
                child.armed_line = line.strip()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        yield child
    finally:
        stop(process)
        reader.join(timeout=5)


def wait_armed(child: Child, timeout: float = 60.0) -> float:
    deadline = time.monotonic() + timeout
    while child.armed_at is None:
        if child.process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the bot did not arm:\n" + "\n".join(child.lines[-20:]))
        time.sleep(0.01)
    return child.armed_at - child.spawned


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--delegates", type=int, default=2000)
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--rate", type=float, default=25)
    parser.add_argument(
        "--lead-in", type=float, default=15, help="seconds from spawn to the burst's due time"
    )
    args = parser.parse_args()
    print(f"started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC")
    with tempfile.TemporaryDirectory() as tmp:
        empty_url = f"sqlite+aiosqlite:///{Path(tmp) / 'empty.db'}"
        full_url = f"sqlite+aiosqlite:///{Path(tmp) / 'full.db'}"
        asyncio.run(seed(empty_url, 0, 0, None))

        with LoopbackBotAPI() as api, bot_process(empty_url, api, args.rate) as empty:
            empty_armed = wait_armed(empty)
            time.sleep(2)  # let start-up settle (menus published, first polls)
            empty_rss, empty_peak = empty.rss()
            if os.environ.get("BENCH_DEBUG"):
                print("\n".join(empty.lines))

        seeded = time.monotonic()
        asyncio.run(seed(full_url, args.delegates, args.sessions, datetime.now(UTC)))
        seed_time = time.monotonic() - seeded
        due = datetime.now(UTC) + timedelta(seconds=args.lead_in)
        asyncio.run(set_due(full_url, due))
        pending = args.delegates * args.sessions
        with LoopbackBotAPI() as api, bot_process(full_url, api, args.rate) as full:
            offset = time.time() - time.monotonic()  # loopback times are monotonic
            full_armed = wait_armed(full)
            time.sleep(2)
            full_rss, _ = full.rss()
            if datetime.now(UTC) >= due:
                raise SystemExit(
                    f"the bot took {full_armed:.1f} s to arm: raise --lead-in\n"
                    + "\n".join(full.lines[-15:])
                )
            deadline = time.monotonic() + args.delegates / args.rate * 3 + 120
            while time.monotonic() < deadline:
                sent = [c for c in api.calls if c.method == "sendMessage"]
                if len(sent) >= args.delegates:
                    break
                time.sleep(0.2)
            time.sleep(1)
            _, full_peak = full.rss()
        sent = sorted(
            (c for c in api.calls if c.method == "sendMessage" and c.chat_id is not None),
            key=lambda c: c.at,
        )
        chats = [c.chat_id for c in sent]
        due_ts = due.timestamp()
        lateness = [
            (call.at + offset) - (due_ts + index / args.rate) for index, call in enumerate(sent)
        ]
        duplicates = len(chats) - len(set(chats))
        missing = args.delegates - len(set(chats))
        span = (sent[-1].at - sent[0].at) if len(sent) > 1 else 0.0

    print(f"database: {args.delegates} delegates x {args.sessions} sessions = {pending:,} "
          f"pending reminders (seeded in {seed_time:.1f} s)")  # fmt: skip
    print(f"BROADCAST_RATE={args.rate:g}")
    print(f"armed (spawn -> first reminder pass done): empty bot {empty_armed:.2f} s, "
          f"with {pending:,} pending {full_armed:.2f} s "
          f"(ratio {full_armed / empty_armed:.2f}; target <= 2 s)")  # fmt: skip
    print(f"  in-process: {full.armed_line.split('reminders armed ')[-1]}")
    print(f"memory: empty bot RSS {empty_rss / 1024:.1f} MiB (peak {empty_peak / 1024:.1f}); "
          f"with {pending:,} pending RSS {full_rss / 1024:.1f} MiB once armed = "
          f"{full_rss / empty_rss:.2f}x, peak after the burst {full_peak / 1024:.1f} MiB = "
          f"{full_peak / empty_peak:.2f}x (target <= 1.2x)")  # fmt: skip
    if lateness:
        print(f"burst: {len(sent)} reminders due at the same instant, sent in {span:.1f} s "
              f"({(len(sent) - 1) / span if span else 0:.2f}/s); first arrived "
              f"{lateness[0]:+.3f} s after due")  # fmt: skip
        print(f"  lateness beyond the rate limit: p50 {statistics.median(lateness):.3f} s, "
              f"p99 {percentile(lateness, 0.99):.3f} s, max {max(lateness):.3f} s "
              f"(target p99 <= 1 s)")  # fmt: skip
    print(f"  duplicates {duplicates}; missing {missing}")


if __name__ == "__main__":
    main()
