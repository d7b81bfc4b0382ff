"""The typed context every handler receives: shared resources plus this update's delegate."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from bot.clock import Clock, SystemClock
from bot.config import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

    from bot.outbox import Sender
    from bot.services.people import Person


@dataclass
class AppState:
    """Long-lived resources, opened at build time and closed in post_shutdown.

    PTB instantiates bot_data with no arguments, hence the defaults; `build_application`
    fills every field before the first update.
    """

    settings: Settings | None = None
    engine: AsyncEngine | None = None
    sessions: async_sessionmaker[AsyncSession] | None = None
    clock: Clock = field(default_factory=SystemClock)
    # The outbox sender; in `run` it works in the background, the demo and tests flush it.
    sender: Sender | None = None
    background_sender: bool = False
    sender_stop: asyncio.Event | None = None
    sender_task: asyncio.Task[None] | None = None
    # Set when the first reminder pass after start has run (what is due is then queued).
    reminders_armed: bool = False
    started_at: float = 0.0  # time.monotonic() when start-up began


class BotContext(
    CallbackContext[ExtBot[None], dict[object, object], dict[object, object], AppState]
):
    """`context` in every handler. `person` is set by the group -1 middleware."""

    person: Person | None = None

    @property
    def state(self) -> AppState:
        return self.bot_data

    @property
    def db(self) -> async_sessionmaker[AsyncSession]:
        sessions = self.bot_data.sessions
        assert sessions is not None, "build_application() sets the session factory"
        return sessions

    @property
    def clock(self) -> Clock:
        return self.bot_data.clock

    @property
    def settings(self) -> Settings:
        settings = self.bot_data.settings
        assert settings is not None
        return settings

    @property
    def me(self) -> Person:
        """The delegate behind this update; every handler runs after the middleware set it."""
        assert self.person is not None, "middleware runs in group -1 for every user update"
        return self.person


BotApplication = Application[
    ExtBot[None],
    BotContext,
    dict[object, object],
    dict[object, object],
    AppState,
    JobQueue[BotContext],
]
