"""Broadcast benchmark against a loopback Bot API server that records the time of every send.

Three runs, each a broadcast to N recipients sent by the real outbox sender over HTTP:
1. clean: achieved rate as a fraction of BROADCAST_RATE, the most sends in any 1-second
   window, total time;
2. errors: 5% of recipients answer 429 (retry_after 1 s) once, 2% 403, 2% time out once:
   lost must be 0 (blocked recipients are recorded, not lost);
3. crash: the sending process is killed with SIGKILL half way and restarted: duplicates
   (target <= 30) and lost (target 0).

    python -m bench.broadcast_bench [--recipients 5000] [--rate 30]

The sender runs in a child process (python -m bench.broadcast_bench --worker ...), so the
kill is a real SIGKILL.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.loopback import LoopbackBotAPI
from bot.offline import ApiCall

FIRST_CHAT = 10_000_000


def responder_for(errors: bool, seed: int = 5) -> Any:
    rnd = random.Random(seed)
    fate: dict[int, str] = {}
    seen: Counter[int] = Counter()

    def respond(call: ApiCall) -> tuple[int, dict[str, Any], float] | None:
        if call.method != "sendMessage" or not errors or call.chat_id is None:
            return None
        chat = call.chat_id
        if chat not in fate:
            roll = rnd.random()
            fate[chat] = (
                "429"
                if roll < 0.05
                else "403"
                if roll < 0.07
                else "timeout"
                if roll < 0.09
                else "ok"
            )
        seen[chat] += 1
        if fate[chat] == "403":
            return 403, {"ok": False, "description": "Forbidden: bot was blocked by the user"}, 0.0
        if fate[chat] == "429" and seen[chat] == 1:
            body = {
                "ok": False,
                "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1},
            }
            return 429, body, 0.0
        if fate[chat] == "timeout" and seen[chat] == 1:
            return 502, {"ok": False, "description": "Bad Gateway (timed out)"}, 2.5
        return None

    respond.fate = fate  # type: ignore[attr-defined]
    return respond


def worker(args: argparse.Namespace) -> None:
    """The sending process: set up the broadcast if asked, then send until nothing is left."""
    from sqlalchemy import func, select
    from telegram import Bot
    from telegram.request import HTTPXRequest

    from bot.clock import SystemClock
    from bot.outbox import MAX_IN_FLIGHT, Outgoing, Sender, enqueue
    from models import OutboxMessage, OutboxStatus
    from models.db import create_engine, create_session_factory, upgrade_schema

    async def main() -> None:
        engine = create_engine(args.db)
        sessions = create_session_factory(engine)
        clock = SystemClock()
        if args.setup:
            await upgrade_schema(engine)
            async with sessions.begin() as session:
                enqueue(
                    session,
                    clock,
                    [
                        Outgoing(FIRST_CHAT + i, f"Message {i}", kind="broadcast", broadcast_id=1)
                        for i in range(args.recipients)
                    ],
                )
        request = HTTPXRequest(
            connection_pool_size=MAX_IN_FLIGHT + 2, read_timeout=2.0, write_timeout=2.0
        )
        bot = Bot("123:bench", base_url=args.api, request=request)
        await bot.initialize()
        # One process sends: what a killed predecessor left "sending" is requeued now.
        sender = Sender(sessions, bot, clock, rate=args.rate, recover_after=timedelta(0))
        await sender.recover()
        while True:
            if not await sender.run_once():
                async with sessions() as session:
                    left = await session.scalar(
                        select(func.count()).where(OutboxMessage.status == OutboxStatus.QUEUED)
                    )
                if not left:
                    break
                await asyncio.sleep(0.2)
        await bot.shutdown()
        await engine.dispose()

    asyncio.run(main())


def spawn(db: str, api: str, recipients: int, rate: float, setup: bool) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "bench.broadcast_bench", "--worker", "--db", db, "--api", api,
               "--recipients", str(recipients), "--rate", str(rate)]  # fmt: skip
    if setup:
        command.append("--setup")
    return subprocess.Popen(command, cwd=Path(__file__).resolve().parents[1], env={**os.environ})


def sends(api: LoopbackBotAPI) -> list[ApiCall]:
    return [c for c in api.calls if c.method == "sendMessage"]


def max_per_second(times: list[float]) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end in range(len(times)):
        while times[end] - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def outcome(api: LoopbackBotAPI, recipients: int, blocked: set[int]) -> tuple[int, int]:
    delivered = Counter(c.chat_id for c in sends(api) if c.result is not None)
    duplicates = sum(n - 1 for n in delivered.values() if n > 1)
    lost = sum(
        1
        for i in range(recipients)
        if FIRST_CHAT + i not in delivered and FIRST_CHAT + i not in blocked
    )
    return duplicates, lost


def run(name: str, recipients: int, rate: float, errors: bool, kill: bool) -> None:
    responder = responder_for(errors)
    # The loopback server is the instrument: a garbage-collection pause in this process
    # (thousands of recorded calls) would delay time stamps and bunch them.
    gc.collect()
    gc.disable()
    with tempfile.TemporaryDirectory() as tmp, LoopbackBotAPI(responder=responder) as api:
        db = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        started = time.monotonic()
        process = spawn(db, api.base_url, recipients, rate, setup=True)
        if kill:
            while len(sends(api)) < recipients // 2 and process.poll() is None:
                time.sleep(0.05)
            process.send_signal(signal.SIGKILL)
            process.wait()
            process = spawn(db, api.base_url, recipients, rate, setup=False)
        process.wait(timeout=3600)
        elapsed = time.monotonic() - started
        calls = sends(api)
        ok_times = [c.at for c in calls if c.result is not None]
        blocked = {c for c, f in responder.fate.items() if f == "403"}
        duplicates, lost = outcome(api, recipients, blocked)
        window = max_per_second([c.at for c in calls])
        span = (max(ok_times) - min(ok_times)) if len(ok_times) > 1 else elapsed
        achieved = (len(ok_times) - 1) / span if span else 0.0
        print(f"{name}: {recipients} recipients at BROADCAST_RATE={rate:g}")
        print(f"  total time {elapsed:.1f} s; delivered {len(ok_times)}; blocked {len(blocked)}")
        print(f"  achieved {achieved:.2f}/s = {achieved / rate:.3f} of the limit; "
              f"most requests in any 1 s window: {window}")  # fmt: skip
        print(f"  duplicates {duplicates}; lost {lost}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=30)
    parser.add_argument("--only", choices=["clean", "errors", "crash"])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    print(f"started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC")
    plan = {"clean": (False, False), "errors": (True, False), "crash": (False, True)}
    for name, (errors, kill) in plan.items():
        if args.only in (None, name):
            run(name, args.recipients, args.rate, errors, kill)


if __name__ == "__main__":
    main()
