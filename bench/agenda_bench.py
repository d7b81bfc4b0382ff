"""Agenda benchmark: a large mission on SQLite, driven through the real Application.

2,000 sessions, 200 venues, 500 FAQ entries and 1,000 registered delegates. Prints p50 and
p99 handler time for /agenda, /next and a free-text question (each update processed through
PTB, the middleware, the handler and the database, replies captured in process), then the
updates per second of a mixed stream of those, compared in the same run with a bare echo
handler on the same Application machinery (the ratio is what to read on a noisy machine).

Then the same comparison end to end, as in production: the real bot (`python -m bot run`, a
child process, on the same SQLite database with the mission moved to this week) and a bare
PTB echo bot (`python -m bench.echo_bot`) each poll a loopback Bot API on 127.0.0.1, which
hands them the same mixed stream (100 updates a getUpdates call, as Telegram does) and
records every reply; updates/s from the first update offered to the last reply.

    python -m bench.agenda_bench [--samples 300] [--stream 2000] [--rounds 3] [--no-http]
                               [--rtt-ms 50]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from telegram import Update
from telegram.ext import Application, MessageHandler, filters

from bench.children import bot_env, stop
from bot.app import build_application, shutdown, startup
from bot.clock import FrozenClock
from bot.config import load_settings
from bot.loopback import LoopbackBotAPI
from bot.offline import OfflineBotAPI
from bot.updates import MAX_CONCURRENT
from models import (
    AgendaItem,
    Audience,
    Delegate,
    FaqEntry,
    Mission,
    Registration,
    RegistrationStatus,
    SessionKind,
    Venue,
)
from models.db import create_engine

ROOT = Path(__file__).resolve().parents[1]
SESSIONS, VENUES, FAQS, DELEGATES = 2000, 200, 500, 1000
DAYS = 5
START = date(2017, 4, 10)
TOPICS = [
    "oncology",
    "vaccines",
    "diagnostics",
    "medtech",
    "digital health",
    "AI",
    "genomics",
    "biomanufacturing",
    "regulatory",
    "financing",
    "clinical trials",
    "microbiome",
]
QUESTIONS = [
    "where is the gala dinner",
    "ou est le diner de gala",
    "wifi password",
    "code wifi",
    "what's next",
    "c'est quoi la suite",
    "programme de demain",
    "agenda for tomorrow",
    "oncology panel what time",
    "visite vaccins a quelle heure",
    "venue 17 address",
    "emergency number",
    "numero d'urgence",
    "shuttle to the hotel",
    "navette pour l'hotel",
]


async def populate(app: Any, clock: FrozenClock, start: date = START) -> None:
    rnd = random.Random(7)
    sessions = app.bot_data.sessions
    now = clock.now()
    async with sessions.begin() as db:
        mission = Mission(
            key="big-2017",
            name_fr="Grande mission",
            name_en="Big mission",
            city="Lyon",
            timezone="Europe/Paris",
            starts_on=start,
            ends_on=start + timedelta(days=DAYS - 1),
            invite_code="BIG2017",
            registration_open=True,
            capacity=None,
            requires_approval=False,
            seats_taken=DELEGATES,
            created_at=now,
            updated_at=now,
        )
        db.add(mission)
        await db.flush()
        await db.execute(
            insert(Venue),
            [
                {
                    "mission_id": mission.id,
                    "key": f"venue-{i}",
                    "name": f"Venue {i} {rnd.choice(TOPICS).title()} Hall",
                    "address": f"{i} rue de la République, 69002 Lyon",
                    "latitude": 45.75 + i / 10000,
                    "longitude": 4.85,
                    "notes_fr": "Entrée principale",
                    "notes_en": "Main entrance",
                }
                for i in range(VENUES)
            ],
        )
        venue_ids = list(await db.scalars(select(Venue.id).where(Venue.mission_id == mission.id)))
        rows = []
        for i in range(SESSIONS):
            day = start + timedelta(days=i % DAYS)
            start = datetime(
                day.year, day.month, day.day, 6 + (i // DAYS) % 13, (i * 7) % 60, tzinfo=UTC
            )
            topic = rnd.choice(TOPICS)
            tagged = i % 10 == 0
            rows.append(
                {
                    "mission_id": mission.id,
                    "key": f"s-{i}",
                    "title_fr": f"Séance {i} : {topic}",
                    "title_en": f"Session {i}: {topic}",
                    "description_fr": f"Atelier sur {topic}.",
                    "description_en": f"Workshop on {topic}.",
                    "starts_at": start,
                    "ends_at": start + timedelta(minutes=45),
                    "local_timezone": None,
                    "venue_id": rnd.choice(venue_ids),
                    "room": f"Room {i % 30}",
                    "kind": rnd.choice(list(SessionKind)),
                    "audience": Audience.TAGGED if tagged else Audience.EVERYONE,
                    "audience_tags": [topic.split()[0]] if tagged else [],
                    "cancelled": False,
                    "updated_at": now,
                }
            )
        await db.execute(insert(AgendaItem), rows)
        await db.execute(
            insert(FaqEntry),
            [
                {
                    "mission_id": mission.id,
                    "key": f"faq-{i}",
                    "question_fr": f"Question {i} sur {rnd.choice(TOPICS)} ?",
                    "question_en": f"Question {i} about {rnd.choice(TOPICS)}?",
                    "answer_fr": f"Réponse {i}.",
                    "answer_en": f"Answer {i}.",
                }
                for i in range(FAQS)
            ],
        )
        await db.execute(
            insert(Delegate),
            [
                {
                    "telegram_id": 100_000 + i,
                    "language": "fr" if i % 2 else "en",
                    "telegram_language": "fr",
                    "home_timezone": None,
                    "current_mission_id": mission.id,
                    "unreachable": False,
                    "created_at": now,
                    "last_seen_at": now,
                }
                for i in range(DELEGATES)
            ],
        )
        delegate_ids = list(await db.scalars(select(Delegate.id)))
        await db.execute(
            insert(Registration),
            [
                {
                    "mission_id": mission.id,
                    "delegate_id": d,
                    "status": RegistrationStatus.CONFIRMED,
                    "full_name": f"Delegate {d}",
                    "organisation": "Org",
                    "email": f"d{d}@example.com",
                    "phone": "+15145550123",
                    "tags": [rnd.choice(TOPICS).split()[0]],
                    "created_at": now,
                    "updated_at": now,
                }
                for d in delegate_ids
            ],
        )


class Updates:
    def __init__(self) -> None:
        self.ids = itertools.count(1)

    def text(self, user_id: int, text: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self.ids),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": "D", "language_code": "fr"},
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
        return {"update_id": next(self.ids), "message": message}


async def timed(app: Any, data: list[dict[str, Any]]) -> list[float]:
    durations = []
    for item in data:
        update = Update.de_json(item, app.bot)
        started = time.perf_counter()
        await app.process_update(update)
        durations.append(time.perf_counter() - started)
    return durations


def quantiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.99) - 1] * 1000


async def run(samples: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        settings = load_settings(database_url=url, telegram_bot_token=None, bot_admin_ids=[])
        clock = FrozenClock(datetime(2017, 4, 11, 8, 30, tzinfo=UTC))
        api = OfflineBotAPI()
        app = build_application(settings, clock=clock, request=api, rate_limit=False)
        await app.initialize()
        await startup(app)
        print(
            f"populating: {SESSIONS} sessions, {VENUES} venues, {FAQS} FAQ, {DELEGATES} delegates"
        )
        await populate(app, clock)
        updates = Updates()
        rnd = random.Random(11)
        users = [100_000 + i for i in range(DELEGATES)]

        def batch(make: Any) -> list[dict[str, Any]]:
            return [make(rnd.choice(users)) for _ in range(samples)]

        await timed(app, batch(lambda u: updates.text(u, "/agenda")))  # warm-up, index build
        await timed(app, batch(lambda u: updates.text(u, rnd.choice(QUESTIONS))))
        results = {
            "/agenda": await timed(app, batch(lambda u: updates.text(u, "/agenda"))),
            "/next": await timed(app, batch(lambda u: updates.text(u, "/next"))),
            "question": await timed(app, batch(lambda u: updates.text(u, rnd.choice(QUESTIONS)))),
        }
        print(f"{'handler':<10} {'p50 ms':>8} {'p99 ms':>8}")
        for name, durations in results.items():
            p50, p99 = quantiles(durations)
            print(f"{name:<10} {p50:8.2f} {p99:8.2f}")

        mixed_kinds = ["/agenda", "/next", None]
        mixed = batch(lambda u: updates.text(u, rnd.choice(mixed_kinds) or rnd.choice(QUESTIONS)))
        started = time.perf_counter()
        await timed(app, mixed)
        mixed_rate = len(mixed) / (time.perf_counter() - started)
        await app.shutdown()
        await shutdown(app)

        echo_api = OfflineBotAPI()
        echo = (
            Application.builder()
            .token("1:bench")
            .request(echo_api)
            .get_updates_request(echo_api)
            .build()
        )

        async def reply(update: Update, _context: Any) -> None:
            assert update.effective_message is not None
            await update.effective_message.reply_text(update.effective_message.text or "")

        echo.add_handler(MessageHandler(filters.ALL, reply))
        await echo.initialize()
        plain = batch(lambda u: updates.text(u, rnd.choice(QUESTIONS)))
        started = time.perf_counter()
        await timed(echo, plain)
        echo_rate = len(plain) / (time.perf_counter() - started)
        await echo.shutdown()
        print(
            f"mixed stream: {mixed_rate:.0f} updates/s; echo: {echo_rate:.0f} updates/s; "
            f"ratio {mixed_rate / echo_rate:.2f}"
        )


async def seed(path: Path) -> None:
    """The same mission on a file, with its days around today (the child bot keeps real
    time), every delegate last seen yesterday: the stream is each one's first messages of
    the day, as at 08:00 on a mission day."""
    now = datetime.now(UTC)
    url = f"sqlite+aiosqlite:///{path}"
    settings = load_settings(database_url=url, telegram_bot_token=None, bot_admin_ids=[])
    app = build_application(
        settings, clock=FrozenClock(now), request=OfflineBotAPI(), rate_limit=False
    )
    await app.initialize()
    await startup(app)
    await populate(app, FrozenClock(now), now.date() - timedelta(days=1))
    async with app.bot_data.sessions.begin() as db:
        # Nothing but the stream: no reminders or briefings going out meanwhile.
        await db.execute(
            update(Delegate).values(
                reminder_minutes=0, briefing=False, last_seen_at=now - timedelta(days=1)
            )
        )
        await db.execute(update(Mission).values(briefing_minute=None))
    await app.shutdown()
    await shutdown(app)


async def forget_seen(path: Path) -> None:
    """Every delegate last seen yesterday again: each bot writes last-seen times when it
    stops, so without this only the first round would be the first messages of the day."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.begin() as db:
            yesterday = datetime.now(UTC) - timedelta(days=1)
            await db.execute(update(Delegate).values(last_seen_at=yesterday))
    finally:
        await engine.dispose()


def offer(api: LoopbackBotAPI, stream: list[dict[str, Any]], timeout: float = 600) -> float:
    """Offer the stream once the bot polls; return updates/s up to the last reply."""
    deadline = time.monotonic() + 120
    while not any(c.method == "getUpdates" for c in api.calls):
        if time.monotonic() > deadline:
            raise SystemExit("the bot never polled the loopback Bot API")
        time.sleep(0.05)
    time.sleep(1.0)  # start-up calls (menus, first reminder pass) out of the way
    base = len(api.calls)
    last_id = stream[-1]["update_id"]
    started = time.monotonic()
    for item in stream:
        api.push_update(item)
    deadline = started + timeout
    while time.monotonic() < deadline:
        time.sleep(0.25)
        calls = api.calls[base:]
        replies = [c for c in calls if c.method != "getUpdates"]
        confirmed = any(
            c.method == "getUpdates" and int(c.params.get("offset") or 0) > last_id for c in calls
        )
        answered = {c.chat_id for c in replies}
        if confirmed and answered >= {u["message"]["chat"]["id"] for u in stream}:
            quiet = time.monotonic() - max(c.at for c in replies)
            if quiet > 1.0:
                return len(stream) / (max(c.at for c in replies) - started)
    raise SystemExit("the bot did not answer the whole stream in time")


@contextmanager
def child(
    module: str, api: LoopbackBotAPI, url: str, **extra: str
) -> Iterator[subprocess.Popen[bytes]]:
    env = bot_env(api, url, LOG_LEVEL="WARNING", **extra)
    process = subprocess.Popen(
        [sys.executable, "-m", module, *(["run"] if module == "bot" else [])],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield process
    finally:
        stop(process)


def end_to_end(size: int, rounds: int, rtt: float = 0.0, echo_concurrent: int = 0) -> None:
    """Echo bot and real bot in turn, `rounds` times each: the median ratio of neighbouring
    runs is what to read on a shared machine. `echo_concurrent`: the echo bot handles that
    many updates at once (0: PTB's default, one at a time, its fastest with no latency)."""
    rnd = random.Random(13)
    users = [100_000 + i for i in range(DELEGATES)]
    kinds = ["/agenda", "/next", None]
    rates: dict[str, list[float]] = {"echo": [], "bot": []}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "e2e.db"
        asyncio.run(seed(path))
        url = f"sqlite+aiosqlite:///{path}"
        for _round in range(rounds):
            for name, module in (("echo", "bench.echo_bot"), ("bot", "bot")):
                updates = Updates()
                stream = [
                    updates.text(rnd.choice(users), rnd.choice(kinds) or rnd.choice(QUESTIONS))
                    for _ in range(size)
                ]
                extra = {"ECHO_CONCURRENT_UPDATES": str(echo_concurrent)} if name == "echo" else {}
                asyncio.run(forget_seen(path))
                with LoopbackBotAPI(delay=rtt) as api, child(module, api, url, **extra):
                    rates[name].append(offer(api, stream))
    ratios = [bot / echo for bot, echo in zip(rates["bot"], rates["echo"], strict=True)]
    print(
        f"end to end ({size} updates a run, loopback Bot API answering in {rtt * 1000:.0f} ms, "
        f"{rounds} rounds, echo bot {echo_concurrent or 1} update(s) at once): "
        f"bot {' '.join(f'{r:.0f}' for r in rates['bot'])} updates/s; "
        f"echo bot {' '.join(f'{r:.0f}' for r in rates['echo'])} updates/s; "
        f"ratios {' '.join(f'{r:.2f}' for r in ratios)}; median {statistics.median(ratios):.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--stream", type=int, default=2000, help="updates in the end-to-end run")
    parser.add_argument("--rounds", type=int, default=3, help="end-to-end runs of each bot")
    parser.add_argument("--no-http", action="store_true", help="skip the end-to-end run")
    parser.add_argument(
        "--rtt-ms",
        type=float,
        default=0,
        help="also run end to end with the Bot API answering after this many ms (Telegram's "
        "round trip from a server is tens of ms)",
    )
    args = parser.parse_args()
    asyncio.run(run(args.samples))
    if not args.no_http:
        end_to_end(args.stream, args.rounds)
        if args.rtt_ms:
            # With latency, the echo bot at its best too: as many updates at once as the bot.
            end_to_end(min(args.stream, 500), args.rounds, args.rtt_ms / 1000, MAX_CONCURRENT)


if __name__ == "__main__":
    main()
