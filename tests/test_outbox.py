"""The outbox sender: outcomes per recipient, Telegram's errors, pacing and crash recovery."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.outbox import Outgoing, Pacer, Sender, enqueue
from bot.services.people import identify
from models import Delegate, OutboxMessage, OutboxStatus
from tests.harness import Harness


def sender(h: Harness, rate: float = 1000.0) -> Sender:
    return Sender(h.db, h.app.bot, h.clock, rate=rate, per_chat_interval=0.0)


async def queue(h: Harness, chats: list[int], kind: str = "broadcast") -> None:
    async with h.db.begin() as session:
        enqueue(
            session, h.clock, [Outgoing(chat_id=c, text=f"hello {c}", kind=kind) for c in chats]
        )


async def statuses(h: Harness) -> dict[int, OutboxMessage]:
    async with h.db() as session:
        return {row.chat_id: row for row in await session.scalars(select(OutboxMessage))}


async def drain(s: Sender, h: Harness, rounds: int = 20) -> None:
    for _ in range(rounds):
        if not await s.run_once():
            h.clock.advance(timedelta(seconds=61))  # let retries and pauses come due


async def test_each_recipient_gets_one_message_and_the_outcome_is_recorded(
    harness: Harness,
) -> None:
    chats = list(range(1000, 1050))
    await queue(harness, chats)
    await drain(sender(harness), harness)
    rows = await statuses(harness)
    assert {r.status for r in rows.values()} == {OutboxStatus.SENT}
    assert all(r.telegram_message_id for r in rows.values())
    sends = [c.chat_id or 0 for c in harness.api.calls if c.method == "sendMessage"]
    assert sorted(sends) == chats


async def test_blocked_failed_rate_limited_and_flaky_recipients(harness: Harness) -> None:
    blocked = await identify(harness.db, harness.clock, 2001, "fr")
    api = harness.api
    api.failures[2001] = (403, "Forbidden: bot was blocked by the user", None)
    api.failures[2002] = (400, "Bad Request: chat not found", None)
    api.failures[2003] = (429, "Too Many Requests: retry after 1", 1)
    api.failure_times[2003] = 1
    api.failures[2004] = (0, "timeout", None)
    api.failure_times[2004] = 2
    api.failures[2005] = (502, "Bad Gateway", None)
    await queue(harness, [2001, 2002, 2003, 2004, 2005, 2006])
    s = sender(harness)
    await drain(s, harness)
    rows = await statuses(harness)
    assert rows[2001].status == OutboxStatus.BLOCKED
    assert rows[2002].status == OutboxStatus.FAILED
    assert "chat not found" in (rows[2002].error or "").lower()
    assert rows[2003].status == OutboxStatus.SENT  # waited retry_after, then went through
    assert rows[2004].status == OutboxStatus.SENT  # two timeouts, then sent
    assert rows[2005].status == OutboxStatus.FAILED  # 5xx every time: bounded retries
    assert rows[2005].attempts == 5
    assert rows[2006].status == OutboxStatus.SENT
    async with harness.db() as session:
        delegate = await session.get(Delegate, blocked.delegate_id)
        assert delegate is not None
        assert delegate.unreachable
    attempts_to_blocked = [c for c in api.calls if c.chat_id == 2001]
    assert len(attempts_to_blocked) == 1  # never retried


async def test_a_crash_in_flight_is_recovered_without_sending_twice(harness: Harness) -> None:
    await queue(harness, [3001, 3002, 3003])
    s = sender(harness)
    claimed = await s.claim(2)  # a sender claims two rows, then dies before sending
    assert len(claimed) == 2
    assert await s.recover() == 0  # too recent: maybe still in flight elsewhere
    harness.clock.advance(timedelta(minutes=2))
    assert await s.recover() == 2
    await drain(s, harness)
    sends = sorted(c.chat_id or 0 for c in harness.api.calls if c.method == "sendMessage")
    assert sends == [3001, 3002, 3003]


async def test_sent_rows_are_never_claimed_again(harness: Harness) -> None:
    await queue(harness, [4001])
    s = sender(harness)
    await drain(s, harness)
    async with harness.db.begin() as session:
        await session.execute(update(OutboxMessage).values(claimed_at=None))
    harness.clock.advance(timedelta(hours=1))
    assert await s.recover() == 0
    assert await s.run_once() == 0
    assert len([c for c in harness.api.calls if c.method == "sendMessage"]) == 1


def test_pacer_spaces_sends_globally_and_per_chat() -> None:
    pacer = Pacer(rate=10, per_chat_interval=1.0)
    assert pacer.delay_for(1) == 0
    pacer.sent(1)
    assert 0.05 < pacer.delay_for(2) <= 0.1  # global: 10 per second
    assert 0.9 < pacer.delay_for(1) <= 1.0  # the same chat: one per second
    pacer.pause(5)
    assert pacer.delay_for(3) > 4.5


async def test_the_background_sender_sends_and_stops_cleanly(harness: Harness) -> None:
    import asyncio

    await queue(harness, [5001, 5002])
    s = sender(harness)
    stop = asyncio.Event()
    task = asyncio.create_task(s.run(stop, idle=0.01))
    for _ in range(200):
        if len([c for c in harness.api.calls if c.method == "sendMessage"]) == 2:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    rows = await statuses(harness)
    assert {r.status for r in rows.values()} == {OutboxStatus.SENT}


async def test_a_stopped_broadcast_is_not_resent_after_an_error_in_flight(lyon: Harness) -> None:
    from bot.services import broadcasts
    from tests.harness import TgUser
    from tests.test_agenda import register

    for telegram_id in (6001, 6002):
        await register(lyon, TgUser(telegram_id, "D", "fr"))
    admin = await identify(lyon.db, lyon.clock, 9001, "fr")
    async with lyon.db() as session:
        from models import Mission

        mission = await session.scalar(select(Mission))
        assert mission is not None
    created = await broadcasts.create(
        lyon.db, lyon.clock, admin, mission.id, "confirmed", None, "Bonjour", "Hello", None
    )
    assert created is not None
    lyon.api.failures[6001] = (502, "Bad Gateway", None)
    s = sender(lyon)
    claimed = await s.claim(10)  # both rows are in flight...
    assert await broadcasts.cancel(lyon.db, lyon.clock, admin, created.id) == 0  # ...none queued
    for row in claimed:
        await s._deliver(row)  # 6001 fails (would be retried), 6002 goes out
    await drain(s, lyon)
    rows = await statuses(lyon)
    assert rows[6001].status == OutboxStatus.CANCELLED
    assert rows[6002].status == OutboxStatus.SENT
    assert len([c for c in lyon.api.calls if c.chat_id == 6001]) == 1
