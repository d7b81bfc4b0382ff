"""Drive the real Application: Telegram-shaped updates in, Bot API calls captured out."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update

from bot.app import build_application, flush_outbox, shutdown, startup
from bot.clock import FrozenClock
from bot.config import load_settings
from bot.context import BotApplication
from bot.offline import ApiCall, OfflineBotAPI
from bot.outbox import Pacer
from bot.services.agenda import clear_caches as clear_agenda_cache
from bot.services.questions import clear_cache as clear_question_cache
from models import Base

ADMIN_ID = 9001
LYON_CODE = "BIOVISION2017"


@dataclass(frozen=True)
class TgUser:
    id: int
    first_name: str = "Test"
    language_code: str | None = "en"

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.language_code:
            data["language_code"] = self.language_code
        return data


class Harness:
    def __init__(self, database_url: str, admin_ids: list[int] | None = None) -> None:
        self.api = OfflineBotAPI()
        self.clock = FrozenClock(datetime(2017, 3, 20, 12, 0, tzinfo=UTC))
        settings = load_settings(
            database_url=database_url,
            telegram_bot_token=None,
            bot_admin_ids=[ADMIN_ID] if admin_ids is None else admin_ids,
        )
        self.app: BotApplication = build_application(
            settings, clock=self.clock, request=self.api, rate_limit=False, background_sender=False
        )
        self._ids = itertools.count(1)
        # Every error that reaches the error handler is recorded; a test fails on any it did
        # not announce with `expect_errors`.
        self.errors: list[BaseException] = []
        self.expect_errors = False
        self.app.add_error_handler(self._record_error)

    async def _record_error(self, _update: object, context: Any) -> None:
        if context.error is not None:
            self.errors.append(context.error)

    @property
    def db(self) -> async_sessionmaker[AsyncSession]:
        sessions = self.app.bot_data.sessions
        assert sessions is not None
        return sessions

    async def start(self) -> None:
        # Caches are keyed by mission id and content version; this database was just wiped.
        clear_agenda_cache()
        clear_question_cache()
        await self.app.initialize()
        await startup(self.app)
        sender = self.app.bot_data.sender
        assert sender is not None
        # Tests do not wait on pacing.
        sender.pacer = Pacer(rate=100_000, per_chat_interval=0, ceiling=None)
        await self.app.start()  # job queue (conversation timeouts); no polling

    async def stop(self) -> None:
        if self.errors and not self.expect_errors:
            raise AssertionError(f"handlers raised: {self.errors!r}")
        async with self.db.begin() as session:
            for table in reversed(Base.metadata.sorted_tables):
                await session.execute(delete(table))
        await self.app.stop()
        await self.app.shutdown()
        await shutdown(self.app)

    # --- updates ------------------------------------------------------------------------

    async def process(self, data: dict[str, Any]) -> list[ApiCall]:
        before = len(self.api.calls)
        await self.app.process_update(Update.de_json(data, self.app.bot))
        await flush_outbox(self.app)  # what the update queued goes out now, in order
        return self.api.calls[before:]

    def _message(self, user: TgUser, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": user.id, "type": "private"},
            "from": user.as_dict(),
            **content,
        }

    async def send(self, user: TgUser, text: str) -> list[ApiCall]:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
        return await self.process(
            {"update_id": next(self._ids), "message": self._message(user, **content)}
        )

    async def share_contact(
        self, user: TgUser, phone: str, owner: int | None = None
    ) -> list[ApiCall]:
        contact = {
            "phone_number": phone,
            "first_name": user.first_name,
            "user_id": owner or user.id,
        }
        return await self.process(
            {"update_id": next(self._ids), "message": self._message(user, contact=contact)}
        )

    async def share_location(
        self, user: TgUser, latitude: float, longitude: float
    ) -> list[ApiCall]:
        location = {"latitude": latitude, "longitude": longitude}
        return await self.process(
            {"update_id": next(self._ids), "message": self._message(user, location=location)}
        )

    async def send_file(self, user: TgUser, name: str, content: bytes) -> list[ApiCall]:
        file_id = f"file{next(self._ids)}"
        self.api.stored_files[file_id] = content
        document = {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_name": name,
            "file_size": len(content),
        }
        return await self.process(
            {"update_id": next(self._ids), "message": self._message(user, document=document)}
        )

    async def press(self, user: TgUser, data: str) -> list[ApiCall]:
        """Press a button with this callback data, on the last message that showed buttons."""
        message = self.last_buttons_message(user)
        return await self.process(
            {
                "update_id": next(self._ids),
                "callback_query": {
                    "id": str(next(self._ids)),
                    "from": user.as_dict(),
                    "chat_instance": f"ci-{user.id}",
                    "data": data,
                    "message": message,
                },
            }
        )

    # --- what the bot sent --------------------------------------------------------------

    def texts(self, user: TgUser) -> list[str]:
        return [c.text for c in self.api.sent_to(user.id) if c.text]

    def last_text(self, user: TgUser) -> str:
        texts = self.texts(user)
        return texts[-1] if texts else ""

    def last_buttons_message(self, user: TgUser) -> dict[str, Any]:
        for call in reversed(self.api.sent_to(user.id)):
            if call.button_data() and isinstance(call.result, dict):
                return call.result
        return {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": user.id, "type": "private"},
            "text": "old message",
        }

    def labels(self, user: TgUser) -> list[str]:
        """The labels of the inline buttons last shown to this user."""
        for call in reversed(self.api.sent_to(user.id)):
            markup = call.reply_markup
            if markup is not None:
                rows = markup.get("inline_keyboard", [])
                return [str(b.get("text", "")) for row in rows for b in row]
        return []

    def buttons(self, user: TgUser) -> list[str]:
        for call in reversed(self.api.sent_to(user.id)):
            if call.reply_markup is not None:
                return call.button_data()
        return []


async def add_boston_mission(h: Harness) -> int:
    """A second mission (Boston, June 2018) for tests about several missions."""
    from datetime import date

    from models import Mission

    async with h.db.begin() as session:
        mission = Mission(
            key="boston-2018", name_fr="BIO Boston 2018", name_en="BIO Boston 2018",
            city="Boston", timezone="America/New_York", starts_on=date(2018, 6, 4),
            ends_on=date(2018, 6, 7), invite_code="BOSTON2018", registration_open=True,
            requires_approval=False, seats_taken=0, created_at=h.clock.now(),
            updated_at=h.clock.now(),
        )  # fmt: skip
        session.add(mission)
        await session.flush()
        return mission.id


def joined(calls: list[ApiCall]) -> str:
    return "\n".join(c.text for c in calls)
