"""How updates are taken from the queue: one person's in order, different people at once.

PTB's default handles every update one after another, so each waits for the replies to all
the updates before it. The Bot API is a network round trip away (tens of milliseconds from a
server, more on a bad day): when a hundred delegates ask "what's next" at the same minute,
the last one would wait for ninety-nine round trips. Here updates from different people run
concurrently, while each person's updates still run one at a time and in the order they came:
what a ConversationHandler (registration, a coordinator's edit) relies on, and what a person
expects when they tap two buttons in a row. This is the use PTB made BaseUpdateProcessor for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# Updates being handled at once, all people together.
MAX_CONCURRENT = 16
# Updates accepted from the queue at once, most of them waiting for their person's turn.
# PTB takes its slot before `do_process_update` runs: were that the limit above, one person
# with many updates queued behind a slow one would hold every slot and stall everyone else.
MAX_WAITING = 4096


class PerPersonUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT) -> None:
        super().__init__(MAX_WAITING)
        # Taken once it is the person's turn, so only updates that can run hold one.
        self._running = asyncio.BoundedSemaphore(max_concurrent_updates)
        # A lock per person with updates in progress or waiting; dropped when none are left.
        self._lanes: dict[int | None, tuple[asyncio.Lock, int]] = {}

    @staticmethod
    def lane_of(update: object) -> int | None:
        """Whose update this is: the person, else the chat; None (one shared lane) for
        updates that name neither."""
        if isinstance(update, Update):
            if update.effective_user is not None:
                return update.effective_user.id
            if update.effective_chat is not None:
                return update.effective_chat.id
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        lane = self.lane_of(update)
        lock, users = self._lanes.get(lane) or (asyncio.Lock(), 0)
        self._lanes[lane] = (lock, users + 1)
        try:
            # asyncio.Lock is fair: a person's updates go in the order they came.
            async with lock, self._running:
                await coroutine
        finally:
            lock, users = self._lanes[lane]
            if users == 1:
                del self._lanes[lane]
            else:
                self._lanes[lane] = (lock, users - 1)

    @property
    def busy_lanes(self) -> int:
        """People with an update in progress or waiting (for tests and diagnostics)."""
        return len(self._lanes)

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close: PTB waits for the updates in progress before calling this."""
