"""Updates from different people are handled at once; one person's, in order, one at a time."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.updates import PerPersonUpdateProcessor
from tests.harness import Harness, TgUser
from tests.test_agenda import paris, register

FR = TgUser(911, "Camille", "fr")
EN = TgUser(912, "Alex", "en")


def message(user_id: int, update_id: int, text: str = "hello", language: str = "fr") -> Update:
    return Update.de_json(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": user_id, "type": "private"},
                "from": {
                    "id": user_id,
                    "is_bot": False,
                    "first_name": "D",
                    "language_code": language,
                },
                "text": text,
            },
        },
        None,
    )


async def test_one_persons_updates_wait_for_each_other_and_keep_their_order() -> None:
    processor = PerPersonUpdateProcessor(16)
    log: list[str] = []
    release = {1: asyncio.Event(), 2: asyncio.Event()}

    async def handle(name: str, gate: asyncio.Event | None = None) -> None:
        log.append(f"start {name}")
        if gate is not None:
            await gate.wait()
        log.append(f"end {name}")

    tasks = [
        asyncio.create_task(processor.process_update(message(1, 1), handle("a1", release[1]))),
        asyncio.create_task(processor.process_update(message(1, 2), handle("a2"))),
        asyncio.create_task(processor.process_update(message(2, 3), handle("b1", release[2]))),
        asyncio.create_task(processor.process_update(message(1, 4), handle("a3"))),
    ]
    await asyncio.sleep(0.01)
    # a1 holds person 1's lane; b1 (another person) runs meanwhile; a2 and a3 wait.
    assert log == ["start a1", "start b1"]
    assert processor.busy_lanes == 2
    release[1].set()
    await asyncio.sleep(0.01)
    assert log == ["start a1", "start b1", "end a1", "start a2", "end a2", "start a3", "end a3"]
    release[2].set()
    await asyncio.gather(*tasks)
    assert log[-1] == "end b1"
    assert processor.busy_lanes == 0  # nothing kept once a person has nothing in progress


async def test_one_persons_backlog_does_not_hold_up_anyone_else() -> None:
    """Many updates of one person queued behind a slow one (a busy database, a slow Bot
    API call) take no slot from other people."""
    processor = PerPersonUpdateProcessor(4)
    slow = asyncio.Event()
    done: list[str] = []

    async def handle(name: str, wait: bool) -> None:
        if wait:
            await slow.wait()
        done.append(name)

    backlog = [
        asyncio.create_task(processor.process_update(message(1, i), handle(f"a{i}", i == 0)))
        for i in range(10)
    ]
    await asyncio.sleep(0)
    other = asyncio.create_task(processor.process_update(message(2, 99), handle("b", False)))
    try:
        await asyncio.wait_for(asyncio.shield(other), timeout=2)
    finally:
        slow.set()
        await asyncio.gather(*backlog, other)
    assert done[0] == "b"
    assert done[1:] == [f"a{i}" for i in range(10)]


async def test_a_failing_update_frees_the_persons_lane() -> None:
    processor = PerPersonUpdateProcessor(4)

    async def fail() -> None:
        raise RuntimeError("handler bug")

    async def fine() -> str:
        return "ok"

    failed = asyncio.create_task(processor.process_update(message(1, 1), fail()))
    done = asyncio.create_task(processor.process_update(message(1, 2), fine()))
    results = await asyncio.gather(failed, done, return_exceptions=True)
    assert isinstance(results[0], RuntimeError)
    assert processor.busy_lanes == 0


async def test_updates_from_the_queue_are_all_answered_each_persons_in_order(
    lyon: Harness,
) -> None:
    """Through the real Application's update queue (as polling feeds it): two people send
    several commands at once; everyone gets every answer, each in the order they asked."""
    await register(lyon, FR)
    await register(lyon, EN)
    lyon.clock.set(paris(11, 8))
    asked = {FR.id: ["/agenda", "/next", "/agenda demain", "/help"], EN.id: ["/next", "/help"]}
    before = len(lyon.api.calls)
    update_id = 10_000
    for position in range(4):
        for user_id, commands in asked.items():
            if position < len(commands):
                update_id += 1
                text = commands[position]
                update = message(user_id, update_id, text, "fr" if user_id == FR.id else "en")
                data = update.to_dict()
                data["message"]["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
                ]
                await lyon.app.update_queue.put(Update.de_json(data, lyon.app.bot))
    for _ in range(200):
        if len([c for c in lyon.api.calls[before:] if c.method == "sendMessage"]) >= 6:
            break
        await asyncio.sleep(0.02)
    replies = [c for c in lyon.api.calls[before:] if c.method == "sendMessage"]
    assert len(replies) == 6
    fr = [c.text for c in replies if c.chat_id == FR.id]
    assert "Maintenant" in fr[1] or "Ensuite" in fr[1]  # /next answered second
    assert "mercredi 12 avril" in fr[2].lower()  # then tomorrow's agenda
    assert "/agenda" in fr[3]  # then the help
    en = [c.text for c in replies if c.chat_id == EN.id]
    assert "/agenda" in en[1]
