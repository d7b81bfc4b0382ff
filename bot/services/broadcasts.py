"""Coordinator broadcasts: who receives them, in which language, and how delivery goes.

Confirming a broadcast writes the broadcast and one outbox row per recipient in a single
transaction, each rendered in the recipient's language; the outbox sender does the rest.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_timedelta
from babel.numbers import format_decimal, format_percent
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import TelegramError

from bot.clock import Clock
from bot.i18n import pick_locale, render
from bot.outbox import Outgoing, enqueue
from bot.services.dates import fold
from bot.services.editing import may_edit
from bot.services.people import Person, language_of
from bot.services.spreadsheet import spreadsheet_csv
from models import (
    AuditRecord,
    Broadcast,
    BroadcastStatus,
    Delegate,
    Mission,
    OutboxMessage,
    OutboxStatus,
    Registration,
    RegistrationStatus,
    Role,
    RoleGrant,
)

log = logging.getLogger(__name__)

AUDIENCES = ("confirmed", "pending", "tag", "named", "coordinators")


@dataclass(frozen=True)
class Recipient:
    telegram_id: int
    delegate_id: int | None
    locale: str


async def recipients(
    session: AsyncSession, mission_id: int, audience: str, value: str | None
) -> list[Recipient]:
    found: dict[int, Recipient] = {}
    if audience == "coordinators":
        grants = await session.scalars(
            select(RoleGrant).where(
                RoleGrant.role == Role.COORDINATOR, RoleGrant.mission_id == mission_id
            )
        )
        for grant in grants:
            delegate = await session.scalar(
                select(Delegate).where(Delegate.telegram_id == grant.telegram_id)
            )
            locale = (
                (delegate.language or pick_locale(delegate.telegram_language)) if delegate else "en"
            )
            found[grant.telegram_id] = Recipient(
                grant.telegram_id, delegate.id if delegate else None, locale
            )
        return list(found.values())
    status = RegistrationStatus.PENDING if audience == "pending" else RegistrationStatus.CONFIRMED
    rows = await session.execute(
        select(Registration, Delegate)
        .join(Delegate, Registration.delegate_id == Delegate.id)
        .where(Registration.mission_id == mission_id, Registration.status == status)
        .order_by(Delegate.id)
    )
    named = (
        {int(i) for i in (value or "").split(",") if i.isdigit()} if audience == "named" else set()
    )
    for registration, delegate in rows.all():
        if audience == "tag" and value not in (registration.tags or []):
            continue
        if audience == "named" and delegate.id not in named:
            continue
        locale = delegate.language or pick_locale(delegate.telegram_language)
        found[delegate.telegram_id] = Recipient(delegate.telegram_id, delegate.id, locale)
    return list(found.values())


async def tags_of(sessions: async_sessionmaker[AsyncSession], mission_id: int) -> list[str]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Registration.tags).where(Registration.mission_id == mission_id)
        )
        return sorted({tag for tags in rows for tag in (tags or [])})


@dataclass(frozen=True)
class Audience:
    total: int
    french: int
    english: int


async def audience_size(
    sessions: async_sessionmaker[AsyncSession], mission_id: int, audience: str, value: str | None
) -> Audience:
    async with sessions() as session:
        found = await recipients(session, mission_id, audience, value)
    french = sum(r.locale == "fr" for r in found)
    return Audience(len(found), french, len(found) - french)


async def create(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    person: Person,
    mission_id: int,
    audience: str,
    value: str | None,
    text_fr: str,
    text_en: str,
    send_at: datetime | None,
    media: dict[str, Any] | None = None,
    progress_message: tuple[int, int] | None = None,
) -> Broadcast | None:
    """Record the broadcast and queue one message per recipient, in one transaction."""
    if not may_edit(person, mission_id) or audience not in AUDIENCES:
        return None
    now = clock.now()
    async with sessions.begin() as session:
        found = await recipients(session, mission_id, audience, value)
        broadcast = Broadcast(
            mission_id=mission_id, author_telegram_id=person.telegram_id, audience=audience,
            audience_value=value, text_fr=text_fr, text_en=text_en,
            status=BroadcastStatus.SENDING, send_at=send_at or now, total=len(found),
            created_at=now,
            progress_chat_id=progress_message[0] if progress_message else None,
            progress_message_id=progress_message[1] if progress_message else None,
        )  # fmt: skip
        session.add(broadcast)
        await session.flush()
        enqueue(
            session,
            clock,
            [
                Outgoing(
                    r.telegram_id,
                    text_fr if r.locale == "fr" else text_en,
                    kind="broadcast",
                    delegate_id=r.delegate_id,
                    broadcast_id=broadcast.id,
                    not_before=send_at,
                    media=media,
                )
                for r in found
            ],
        )
        session.add(
            AuditRecord(
                at=now, actor_telegram_id=person.telegram_id, action="broadcast.create",
                mission_id=mission_id, details={"broadcast_id": broadcast.id, "total": len(found)},
            )
        )  # fmt: skip
        return broadcast


@dataclass(frozen=True)
class Progress:
    broadcast_id: int
    mission_id: int
    total: int
    sent: int
    blocked: int
    failed: int
    cancelled: int
    waiting: int
    status: BroadcastStatus
    send_at: datetime
    created_at: datetime
    chat_id: int | None
    message_id: int | None
    timezone: str = "UTC"
    snippet: str = ""
    snippet_fr: str = ""

    @property
    def finished(self) -> bool:
        return self.waiting == 0


async def progress(session: AsyncSession, broadcast: Broadcast) -> Progress:
    rows = await session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.broadcast_id == broadcast.id)
        .group_by(OutboxMessage.status)
    )
    counts: dict[OutboxStatus, int] = {row[0]: int(row[1]) for row in rows}
    waiting = counts.get(OutboxStatus.QUEUED, 0) + counts.get(OutboxStatus.SENDING, 0)
    mission = await session.get(Mission, broadcast.mission_id)
    return Progress(
        broadcast.id, broadcast.mission_id, broadcast.total, counts.get(OutboxStatus.SENT, 0),
        counts.get(OutboxStatus.BLOCKED, 0), counts.get(OutboxStatus.FAILED, 0),
        counts.get(OutboxStatus.CANCELLED, 0), waiting, broadcast.status, broadcast.send_at,
        broadcast.created_at, broadcast.progress_chat_id, broadcast.progress_message_id,
        mission.timezone if mission else "UTC", broadcast.text_en[:80], broadcast.text_fr[:80],
    )  # fmt: skip


async def active(sessions: async_sessionmaker[AsyncSession]) -> list[Progress]:
    """Broadcasts still sending, with their counts; those now complete are marked done."""
    sending = Broadcast.status == BroadcastStatus.SENDING
    async with sessions() as session:
        # Read first: after each batch of the sender, most often there is none.
        if await session.scalar(select(Broadcast.id).where(sending).limit(1)) is None:
            return []
    async with sessions.begin() as session:
        rows = list(await session.scalars(select(Broadcast).where(sending)))
        result = []
        for broadcast in rows:
            state = await progress(session, broadcast)
            if state.finished:
                broadcast.status = BroadcastStatus.DONE
            result.append(state)
        return result


async def recent(
    sessions: async_sessionmaker[AsyncSession], person: Person, limit: int = 10
) -> list[Progress]:
    async with sessions() as session:
        query = select(Broadcast).order_by(Broadcast.created_at.desc(), Broadcast.id.desc())
        if not person.is_admin:
            query = query.where(Broadcast.mission_id.in_(person.coordinator_of))
        rows = list(await session.scalars(query.limit(limit)))
        return [await progress(session, b) for b in rows]


async def detail(
    sessions: async_sessionmaker[AsyncSession], person: Person, broadcast_id: int
) -> tuple[Progress, list[tuple[str, str, str]]] | None:
    """Counts and the recipients not reached: (name, status, reason)."""
    async with sessions() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
        if broadcast is None or not may_edit(person, broadcast.mission_id):
            return None
        rows = await session.execute(
            select(OutboxMessage, Registration.full_name)
            .outerjoin(
                Registration,
                (Registration.delegate_id == OutboxMessage.delegate_id)
                & (Registration.mission_id == broadcast.mission_id),
            )
            .where(
                OutboxMessage.broadcast_id == broadcast_id,
                OutboxMessage.status.in_((OutboxStatus.BLOCKED, OutboxStatus.FAILED)),
            )
            .order_by(OutboxMessage.id)
        )
        problems = [
            (name or str(row.chat_id), row.status.value, row.error or "")
            for row, name in rows.all()
        ]
        return await progress(session, broadcast), problems


def problems_csv(problems: list[tuple[str, str, str]]) -> bytes:
    return spreadsheet_csv(["name", "status", "reason"], problems)


async def cancel(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, person: Person, broadcast_id: int
) -> int | None:
    """Cancel what is not sent yet. Returns how many messages were cancelled."""
    async with sessions.begin() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
        if broadcast is None or not may_edit(person, broadcast.mission_id):
            return None
        if broadcast.status != BroadcastStatus.SENDING:
            return 0  # already finished or stopped: nothing left to stop
        result = await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.broadcast_id == broadcast_id,
                OutboxMessage.status == OutboxStatus.QUEUED,
            )
            .values(status=OutboxStatus.CANCELLED)
            .execution_options(synchronize_session=False)
        )
        broadcast.status = BroadcastStatus.CANCELLED
        broadcast.finished_at = clock.now()
        session.add(
            AuditRecord(
                at=clock.now(), actor_telegram_id=person.telegram_id, action="broadcast.cancel",
                mission_id=broadcast.mission_id, details={"broadcast_id": broadcast_id},
            )
        )  # fmt: skip
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


MAX_TEXT = 3500  # one Telegram message per recipient, with room for formatting


class ProgressReporter:
    """Edits each coordinator's progress message, at most every few seconds, then reports."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], bot: Bot, rate: float, clock: Clock
    ) -> None:
        self.clock = clock
        self.sessions = sessions
        self.bot = bot
        self.rate = rate
        self.every = 2.5
        self._last: dict[int, float] = {}

    async def __call__(self) -> None:
        for state in await active(self.sessions):
            if state.chat_id is None or state.message_id is None:
                continue
            if state.send_at > self.clock.now() and not state.finished:
                continue  # scheduled: the message already says when
            now = time.monotonic()
            if not state.finished and now - self._last.get(state.broadcast_id, 0.0) < self.every:
                continue
            self._last[state.broadcast_id] = now
            locale = await language_of(self.sessions, state.chat_id)
            try:
                await self.bot.edit_message_text(
                    progress_text(state, locale, self.rate),
                    chat_id=state.chat_id,
                    message_id=state.message_id,
                    reply_markup=None if state.finished else cancel_keyboard(state, locale),
                )
            except TelegramError as exc:  # "message is not modified", or the chat is gone
                log.debug("progress of broadcast %s not shown: %s", state.broadcast_id, exc)
            if state.finished:
                self._last.pop(state.broadcast_id, None)


def cancel_keyboard(state: Progress, locale: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    render("✖ Stop sending", locale), callback_data=f"bc:{state.broadcast_id}"
                )
            ]
        ]
    )


def progress_text(state: Progress, locale: str, rate: float) -> str:
    done = state.sent + state.blocked + state.failed
    share = done / state.total if state.total else 1.0
    bar = "▓" * round(share * 10) + "░" * (10 - round(share * 10))
    counts = render(
        "Sent: %(sent)s / %(total)s · blocked: %(blocked)s · failed: %(failed)s",
        locale,
        sent=format_decimal(state.sent, locale=locale),
        total=format_decimal(state.total, locale=locale),
        blocked=state.blocked,
        failed=state.failed,
    )
    if state.status == BroadcastStatus.CANCELLED:
        head = render("<b>Broadcast stopped</b>", locale)
    elif state.finished:
        head = render("<b>Broadcast finished</b>", locale)
    else:
        left = format_timedelta(
            timedelta(seconds=max(1.0, state.waiting / rate)), locale=locale, threshold=1.1
        )
        head = render("<b>Sending…</b> about %(left)s left", locale, left=left)
    return f"{head}\n{bar} {format_percent(share, locale=locale)}\n{counts}"


async def find_delegates(
    sessions: async_sessionmaker[AsyncSession], mission_id: int, typed: str
) -> list[tuple[int, str]]:
    """Confirmed delegates whose name matches any of the comma-separated parts typed
    (case and accents do not matter): (delegate id, full name)."""
    wanted = [fold(part).strip() for part in typed.split(",") if part.strip()]
    async with sessions() as session:
        rows = await session.execute(
            select(Registration.delegate_id, Registration.full_name).where(
                Registration.mission_id == mission_id,
                Registration.status == RegistrationStatus.CONFIRMED,
            )
        )
        return [
            (delegate_id, name)
            for delegate_id, name in rows.all()
            if any(part and part in fold(name) for part in wanted)
        ][:50]
