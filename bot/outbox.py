"""The one outgoing path for bulk and timed messages: a persistent queue and one sender.

Services write `OutboxMessage` rows (text already in the recipient's language) in the same
transaction as the change that causes them. The sender claims due rows a small batch at a
time, sends them at Telegram's pace and records each outcome:

- sent (with the Telegram message id);
- blocked on 403 — the delegate is marked unreachable and never retried;
- failed on other 4xx, or after bounded retries of network errors and 5xx;
- on 429, every send pauses for `retry_after` and the row goes back to the queue.

Pace: a global rate (BROADCAST_RATE per second) and about one message per second per chat.
A claim holds at most one second's worth of messages, and each outcome is recorded as soon
as it is known, so a crash repeats at most the message in flight: Telegram has no
idempotency key, so a message Telegram accepted but whose answer was not recorded yet is
sent again by the next sender.

One sender per database: `run` sends only while it holds the sender lock
(`bot.sender_lock`), so several bot processes on one database never add up to more than
BROADCAST_RATE; the others stand by and take over within LOCK_RETRY seconds of the holder
stopping or dying. The process that takes the lock knows no other sender is running, so it
requeues every row left "sending" at once instead of waiting STALE_CLAIM. Claims still skip
rows locked by another transaction (PostgreSQL), and `recover` still requeues stale claims,
as a second line of defence.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.clock import Clock
from bot.sender_lock import SenderLock, lock_for
from models import Broadcast, BroadcastStatus, Delegate, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Requests open at once: enough to keep the pace when Telegram answers slowly.
MAX_IN_FLIGHT = 8
# Telegram takes about 30 messages a second in all: never more than that in 1.03 s, so
# that jitter on the way cannot put 31 in one second (at BROADCAST_RATE=30 this costs 3%).
TELEGRAM_CEILING = 30
CEILING_WINDOW = 1.03  # seconds
CAPTION_LIMIT = 1024
STALE_CLAIM = timedelta(seconds=60)
LOCK_RETRY = 3.0  # seconds between attempts to take the sender lock while standing by
LOCK_CHECK = 2.0  # seconds between checks that the held lock is still held


@dataclass(frozen=True)
class Outgoing:
    chat_id: int
    text: str
    kind: str = "notice"
    delegate_id: int | None = None
    broadcast_id: int | None = None
    dedupe_key: str | None = None
    not_before: datetime | None = None
    reply_markup: dict[str, Any] | None = None
    media: dict[str, Any] | None = None


def enqueue(session: AsyncSession, clock: Clock, messages: Iterable[Outgoing]) -> int:
    """Add messages to the outbox inside the caller's transaction. Returns how many."""
    now = clock.now()
    count = 0
    for message in messages:
        session.add(
            OutboxMessage(
                kind=message.kind,
                broadcast_id=message.broadcast_id,
                chat_id=message.chat_id,
                delegate_id=message.delegate_id,
                text=message.text,
                reply_markup=message.reply_markup,
                media=message.media,
                status=OutboxStatus.QUEUED,
                attempts=0,
                not_before=message.not_before or now,
                dedupe_key=message.dedupe_key,
                created_at=now,
            )
        )
        count += 1
    return count


class Pacer:
    """At most `rate` requests in any one-second window, spaced at least 0.8 of the mean
    interval apart, plus a minimum interval per chat (monotonic time).

    The window, not the spacing, holds the rate: a send that starts late (the event loop
    was busy, a claim took a moment) is caught up a little faster afterwards instead of
    pushing every later message back, so a long burst runs at the full rate."""

    def __init__(
        self, rate: float, per_chat_interval: float = 1.0, ceiling: int | None = TELEGRAM_CEILING
    ) -> None:
        self.interval = 1.0 / rate
        self.spacing = 0.8 * self.interval
        self.per_chat_interval = per_chat_interval
        self._window: deque[float] = deque(maxlen=max(1, math.floor(rate)))
        # None: no ceiling (the demo and tests talk to an in-process Bot API).
        self._ceiling: deque[float] = deque(maxlen=ceiling or 0)
        self._next_global = 0.0
        self._next_chat: dict[int, float] = {}
        self._paused_until = 0.0

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    def delay_for(self, chat_id: int) -> float:
        now = time.monotonic()
        ready = max(self._next_global, self._paused_until, self._next_chat.get(chat_id, 0.0))
        if len(self._window) == self._window.maxlen:
            ready = max(ready, self._window[0] + 1.0)
        if self._ceiling.maxlen and len(self._ceiling) == self._ceiling.maxlen:
            # Telegram's own ceiling, with a margin for the jitter between here and there.
            ready = max(ready, self._ceiling[0] + CEILING_WINDOW)
        return max(0.0, ready - now)

    def sent(self, chat_id: int, started: float | None = None) -> None:
        """Count a send that began at `started` (the request's own latency is not added
        to the spacing, or the achieved rate would fall short of the limit)."""
        now = time.monotonic()
        begun = started if started is not None else now
        self._window.append(begun)
        self._ceiling.append(begun)
        self._next_global = max(self._next_global, begun) + self.spacing
        # Groups (negative ids) allow 20 per minute; a private chat about one per second.
        spacing = 3.0 if chat_id < 0 else self.per_chat_interval
        self._next_chat[chat_id] = now + spacing
        if len(self._next_chat) > 50_000:  # forget chats long since due
            self._next_chat = {c: t for c, t in self._next_chat.items() if t > now}


class Sender:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bot: Bot,
        clock: Clock,
        rate: float,
        per_chat_interval: float = 1.0,
        recover_after: timedelta = STALE_CLAIM,
        lock: SenderLock | None = None,
        lock_retry: float = LOCK_RETRY,
        lock_check: float = LOCK_CHECK,
    ) -> None:
        self.recover_after = recover_after
        # None: the lock for the database `sessions` is bound to, chosen when `run` starts.
        self.lock = lock
        self.lock_retry = lock_retry
        self.lock_check = lock_check
        # True while `run` holds the lock and sends.
        self.active = False
        self.sessions = sessions
        self.bot = bot
        self.clock = clock
        self.rate = rate
        self.pacer = Pacer(rate, per_chat_interval)
        # Called after each batch (broadcast progress messages).
        self.after_batch: Callable[[], Awaitable[None]] | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        self._last_to_chat: dict[int, asyncio.Task[None]] = {}
        self._last_task: asyncio.Task[None] | None = None
        self._last_start = 0.0

    async def recover(self, everything: bool = False) -> int:
        """Requeue rows a dead sender had claimed but not recorded. Returns how many.

        Only claims older than `recover_after` (maybe still in flight elsewhere), unless
        `everything`: the holder of the sender lock knows no other sender is running."""
        condition = OutboxMessage.status == OutboxStatus.SENDING
        if not everything:
            condition &= OutboxMessage.claimed_at < self.clock.now() - self.recover_after
        async with self.sessions.begin() as session:
            result = await session.execute(
                update(OutboxMessage)
                .where(condition)
                .values(status=OutboxStatus.QUEUED, claimed_at=None)
                .execution_options(synchronize_session=False)
            )
        count = int(result.rowcount or 0)  # type: ignore[attr-defined]
        if count:
            log.warning("requeued %d message(s) left in flight by a stopped sender", count)
        return count

    async def claim(self, limit: int) -> list[OutboxMessage]:
        """Take up to `limit` due rows. On PostgreSQL, SKIP LOCKED lets several senders
        share the queue without taking the same row; SQLite serialises writers anyway."""
        now = self.clock.now()
        due = (OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.not_before <= now)
        async with self.sessions() as session:
            # Looked at first without the write lock: an idle sender, twice a second, takes
            # no writing transaction (on SQLite, one writer at a time for the whole bot).
            if await session.scalar(select(OutboxMessage.id).where(*due).limit(1)) is None:
                return []
        async with self.sessions.begin() as session:
            query = (
                select(OutboxMessage)
                .where(*due)
                .order_by(OutboxMessage.not_before, OutboxMessage.id)
                .limit(limit)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = list(await session.scalars(query))
            for row in rows:
                row.status = OutboxStatus.SENDING
                row.claimed_at = now
            return rows

    async def run_once(self, stop: asyncio.Event | None = None, wait: bool = True) -> int:
        """Claim at most one second's worth of messages and start sending them at the pace;
        each outcome is recorded as soon as it is known. Requests overlap (a slow answer
        does not hold up the pace), but never two to the same chat, so each chat gets its
        messages in order. `wait`: return only when every request has been answered."""
        rows = await self.claim(max(1, int(self.rate)))
        for index, row in enumerate(rows):
            if stop is not None and stop.is_set():
                await self._release(rows[index:])  # stopping: what is not sent goes back
                break
            await self._wait_turn(row.chat_id)
            going = asyncio.Event()
            task = asyncio.create_task(self._deliver_logged(row, going))
            self._in_flight.add(task)
            self._last_to_chat[row.chat_id] = task
            task.add_done_callback(functools.partial(self._forget, row.chat_id))
            # The pace counts the moment a request really starts, not when it was handed
            # to a task (the event loop may be busy): wait for that before the next.
            await going.wait()
            self._last_task, self._last_start = task, time.monotonic()
        if wait:
            await self.drain()
        if self.after_batch is not None:
            await self.after_batch()
        return len(rows)

    async def _wait_turn(self, chat_id: int) -> None:
        """Until the pace allows a request to `chat_id`, the chat's previous request has
        been answered, and fewer than MAX_IN_FLIGHT requests are open."""
        while True:
            previous = self._last_to_chat.get(chat_id)
            if previous is not None and not previous.done():
                await asyncio.wait({previous})
                continue
            if len(self._in_flight) >= MAX_IN_FLIGHT:
                await asyncio.wait(set(self._in_flight), return_when=asyncio.FIRST_COMPLETED)
                continue
            last = self._last_task
            if last is not None and not last.done():
                # One at a time while answers come within the interval (requests then
                # reach Telegram as spaced as they left); overlap only when they are slow.
                patience = self._last_start + self.pacer.interval - time.monotonic()
                if patience > 0:
                    await asyncio.wait({last}, timeout=patience)
                    continue
            delay = self.pacer.delay_for(chat_id)
            if delay <= 0:
                return
            await asyncio.sleep(delay)

    def _forget(self, chat_id: int, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        if self._last_to_chat.get(chat_id) is task:
            del self._last_to_chat[chat_id]

    async def drain(self) -> None:
        """Wait for every request in flight to be answered and recorded."""
        while self._in_flight:
            await asyncio.wait(set(self._in_flight))

    async def _deliver_logged(self, row: OutboxMessage, going: asyncio.Event) -> None:
        try:
            await self._deliver(row, going)
        except Exception:  # the outcome could not be recorded: `recover` requeues the row
            log.exception("outbox row %s: outcome not recorded", row.id)
        finally:
            going.set()

    async def next_due_in(self, longest: float) -> float:
        """Seconds until the next queued row is due (at most `longest`)."""
        async with self.sessions() as session:
            soonest = await session.scalar(
                select(func.min(OutboxMessage.not_before)).where(
                    OutboxMessage.status == OutboxStatus.QUEUED
                )
            )
        if soonest is None:
            return longest
        return min(longest, max(0.0, (soonest - self.clock.now()).total_seconds()))

    async def run(self, stop: asyncio.Event, idle: float = 0.5) -> None:
        """Send until `stop` is set, but only while holding the sender lock; stand by
        (retrying every `lock_retry` seconds) while another process holds it."""
        if self.lock is None:
            self.lock = lock_for(_engine_of(self.sessions))
        lock = self.lock
        try:
            while await self._wait_for_lock(lock, stop):
                await self._send_while_held(lock, stop, idle)
        finally:
            self.active = False
            await lock.release()

    async def _wait_for_lock(self, lock: SenderLock, stop: asyncio.Event) -> bool:
        """Until the lock is taken (True) or `stop` is set (False)."""
        told = False
        while not stop.is_set():
            try:
                if await lock.acquire():
                    return True
            except Exception as exc:  # the database is down: keep trying, quietly
                log.warning("outbox lock not available: %s", type(exc).__name__)
            if not told:
                log.info("another process sends the outbox: this one stands by")
                told = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.lock_retry)
        return False

    async def _send_while_held(self, lock: SenderLock, stop: asyncio.Event, idle: float) -> None:
        log.info("this process now sends the outbox (sender lock taken)")
        self.active = True
        try:
            # No other sender is running: whatever is "sending" was left by one that stopped.
            await self.recover(everything=True)
        except Exception:
            log.exception("outbox recovery failed")
        next_recovery = time.monotonic() + self.recover_after.total_seconds() / 2
        next_check = time.monotonic() + self.lock_check
        try:
            while not stop.is_set():
                now = time.monotonic()
                if now >= next_check:
                    if not await lock.check():
                        log.warning("outbox sender lock lost: sending stops until it is retaken")
                        return
                    next_check = now + self.lock_check
                try:
                    if now >= next_recovery:
                        # Second line of defence: claims that somehow outlived their sender.
                        next_recovery = now + max(5.0, self.recover_after.total_seconds() / 2)
                        await self.recover()
                    sent = await self.run_once(stop)
                except Exception:  # never let one bad batch stop every future message
                    log.exception("outbox batch failed")
                    sent = 0
                if not sent:
                    # Sleep until the next row is due (a reminder at its minute), or `idle`.
                    try:
                        pause = await self.next_due_in(idle)
                    except Exception:
                        pause = idle
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=max(0.01, pause))
        finally:
            # Answers still on their way are recorded before the lock can pass to another
            # process (which would requeue them as left in flight).
            await self.drain()
            self.active = False

    async def _deliver(self, row: OutboxMessage, going: asyncio.Event | None = None) -> None:
        """Send one claimed row (its turn has come) and record the outcome."""
        try:
            markup = (
                InlineKeyboardMarkup.de_json(row.reply_markup, self.bot)
                if row.reply_markup
                else None
            )
            # Every request counts against Telegram's limits, answered or not.
            self.pacer.sent(row.chat_id, time.monotonic())
            if going is not None:
                going.set()
            message = await self._send(row, markup)
        except RetryAfter as exc:
            wait = _seconds(exc.retry_after)
            self.pacer.pause(wait)
            await self._record(row, OutboxStatus.QUEUED, retry_in=wait, count_attempt=False)
        except Forbidden as exc:
            await self._record(row, OutboxStatus.BLOCKED, error=str(exc))
            await self._mark_unreachable(row)
        except BadRequest as exc:
            await self._record(row, OutboxStatus.FAILED, error=str(exc))
        except Exception as exc:  # timeouts, 5xx, connection errors, anything unexpected
            if not isinstance(exc, TelegramError):
                log.exception("unexpected error sending outbox row %s", row.id)
            if row.attempts + 1 >= MAX_ATTEMPTS:
                await self._record(row, OutboxStatus.FAILED, error=str(exc))
            else:
                backoff = min(60.0, 2.0 ** (row.attempts + 1))
                await self._record(row, OutboxStatus.QUEUED, retry_in=backoff, error=str(exc))
        else:
            await self._record(row, OutboxStatus.SENT, message_id=message.message_id)

    async def _send(self, row: OutboxMessage, markup: InlineKeyboardMarkup | None) -> Message:
        media = row.media or {}
        kind = media.get("type")
        if kind == "edit_markup":  # a message sent earlier gets new buttons (no new message)
            edited = await self.bot.edit_message_reply_markup(
                row.chat_id, int(media["message_id"]), reply_markup=markup
            )
            if not isinstance(edited, Message):  # only for inline-mode messages
                raise BadRequest("the edited message was not returned")
            return edited
        if kind in {"photo", "document"} and len(row.text) <= CAPTION_LIMIT:
            send = self.bot.send_photo if kind == "photo" else self.bot.send_document
            return await send(row.chat_id, media["file_id"], caption=row.text, reply_markup=markup)
        # The text is what must arrive (and what a retry repeats); an attachment that needs
        # a second request (a venue pin, a caption too long) follows once, best-effort.
        message = await self.bot.send_message(row.chat_id, row.text, reply_markup=markup)
        if kind:
            await asyncio.sleep(self.pacer.delay_for(row.chat_id))
            self.pacer.sent(row.chat_id)
            try:
                if kind == "venue":
                    await self.bot.send_venue(
                        row.chat_id,
                        latitude=media["latitude"],
                        longitude=media["longitude"],
                        title=media["title"][:100],
                        address=media["address"][:100],
                    )
                else:
                    send = self.bot.send_photo if kind == "photo" else self.bot.send_document
                    await send(row.chat_id, media["file_id"])
            except TelegramError as exc:
                log.warning("attachment of outbox row %s not delivered: %s", row.id, exc)
        return message

    async def _record(
        self,
        row: OutboxMessage,
        status: OutboxStatus,
        *,
        retry_in: float = 0.0,
        error: str | None = None,
        message_id: int | None = None,
        count_attempt: bool = True,
    ) -> None:
        now = self.clock.now()
        values: dict[str, object] = {"status": status, "claimed_at": None}
        if count_attempt:
            values["attempts"] = OutboxMessage.attempts + 1
        if status == OutboxStatus.SENT:
            values |= {"sent_at": now, "telegram_message_id": message_id, "error": None}
        if status == OutboxStatus.QUEUED:
            values["not_before"] = now + timedelta(seconds=retry_in)
        if error is not None:
            values["error"] = error[:300]
        async with self.sessions.begin() as session:
            if status == OutboxStatus.QUEUED and row.broadcast_id is not None:
                stopped = await session.scalar(
                    select(Broadcast.status).where(Broadcast.id == row.broadcast_id)
                )
                if stopped == BroadcastStatus.CANCELLED:
                    values["status"] = OutboxStatus.CANCELLED  # stopped while in flight
            await session.execute(
                update(OutboxMessage)
                # Only a row this sender still holds: never overwrite a row that was
                # requeued and taken by another sender meanwhile.
                .where(OutboxMessage.id == row.id, OutboxMessage.status == OutboxStatus.SENDING)
                .values(**values)
                .execution_options(synchronize_session=False)
            )

    async def _release(self, rows: list[OutboxMessage]) -> None:
        async with self.sessions.begin() as session:
            await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id.in_([r.id for r in rows]),
                    OutboxMessage.status == OutboxStatus.SENDING,
                )
                .values(status=OutboxStatus.QUEUED, claimed_at=None)
                .execution_options(synchronize_session=False)
            )

    async def _mark_unreachable(self, row: OutboxMessage) -> None:
        async with self.sessions.begin() as session:
            await session.execute(
                update(Delegate)
                .where(Delegate.telegram_id == row.chat_id)
                .values(unreachable=True)
                .execution_options(synchronize_session=False)
            )


def _engine_of(sessions: async_sessionmaker[AsyncSession]) -> AsyncEngine:
    bind = sessions.kw.get("bind")
    if not isinstance(bind, AsyncEngine):
        raise TypeError("the session factory must be bound to an AsyncEngine to choose a lock")
    return bind


def _seconds(retry_after: int | float | timedelta) -> float:
    if isinstance(retry_after, timedelta):
        return retry_after.total_seconds()
    return float(retry_after)
